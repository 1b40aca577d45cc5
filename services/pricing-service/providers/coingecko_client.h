// CoinGecko /coins/markets: market capitalisation, rank and metadata.
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_COINGECKO_CLIENT_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_COINGECKO_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/pricing-service/parsers/coingecko_parse.h"
#include "services/pricing-service/providers/http_client.h"

namespace cryptotracker::pricing::providers {

enum class CoinGeckoPlan {
  // No key: the public API, a handful of requests per minute.
  kPublic,
  // Demo key, sent as x-cg-demo-api-key.
  kDemo,
  // Paid key, sent as x-cg-pro-api-key (its base URL differs too).
  kPro,
};

struct CoinGeckoOptions {
  // Including the version path, e.g. ".../api/v3"; the simulator serves it
  // at "http://127.0.0.1:15100/api/v3".
  std::string base_url;
  CoinGeckoPlan plan = CoinGeckoPlan::kPublic;
  // Required for kDemo and kPro; never logged.
  std::string api_key;
  HttpClientOptions http;
};

class CoinGeckoClient {
 public:
  static constexpr int kMaxPerPage = 250;

  // INVALID_ARGUMENT when a plan needs a key and none is given.
  static absl::StatusOr<std::unique_ptr<CoinGeckoClient>> Create(
      CoinGeckoOptions options);

  // GET /coins/markets?vs_currency=usd&ids=bitcoin,ethereum&per_page=&page=
  // ordered by market cap. `vs_currency` is lower-case ("usd", "eur",
  // "btc"); `ids` are CoinGecko ids (empty: the whole market); per_page in
  // [1, 250], page from 1. Elements failing validation are in `rejected`.
  absl::StatusOr<parsers::Batch<parsers::CoinMarket>> GetCoinsMarkets(
      const std::string& vs_currency, const std::vector<std::string>& ids,
      int per_page = 100, int page = 1);

  void Shutdown() { http_->Shutdown(); }

 private:
  CoinGeckoClient(std::unique_ptr<HttpClient> http, HttpHeaders headers)
      : http_(std::move(http)), headers_(std::move(headers)) {}

  std::unique_ptr<HttpClient> http_;
  HttpHeaders headers_;
};

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_COINGECKO_CLIENT_H_
