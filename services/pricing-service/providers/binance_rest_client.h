// Binance spot REST market data: klines (with paging).
// The same code talks to the real exchange and to testing/exchange-sim; only
// the base URL differs.
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_BINANCE_REST_CLIENT_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_BINANCE_REST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/parsers/binance_parse.h"
#include "services/pricing-service/providers/http_client.h"

namespace cryptotracker::pricing::providers {

struct BinanceRestOptions {
  // "https://api.binance.com" for the exchange, "http://127.0.0.1:15100"
  // for the simulator.
  std::string base_url;
  HttpClientOptions http;
};

class BinanceRestClient {
 public:
  // Binance returns at most this many klines per request.
  static constexpr int kMaxKlinesPerRequest = 1000;
  // A range request never issues more pages than this (about 2 years of
  // one-minute klines), so a bad range cannot loop for hours.
  static constexpr int kMaxPages = 1100;

  static absl::StatusOr<std::unique_ptr<BinanceRestClient>> Create(
      BinanceRestOptions options);

  // One request: up to `limit` (1..1000) klines of `symbol` ("BTCUSDT")
  // whose open time lies in [start_ms, end_ms], oldest first. Rows that fail
  // validation are skipped and logged.
  // Errors: INVALID_ARGUMENT for bad arguments or a request Binance refuses
  // (the message carries Binance's code and text, e.g. -1121 "Invalid
  // symbol."), DATA_LOSS for a response that is not a klines array, and the
  // HttpClient errors (UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED).
  absl::StatusOr<std::vector<parsers::Kline>> GetKlines(
      std::string_view symbol, domain::Interval interval, int64_t start_ms,
      int64_t end_ms, int limit = kMaxKlinesPerRequest);

  // Every kline opening in [from_ms, to_ms), as candles of `interval`,
  // requesting 1000 at a time. A candle is closed when `now_ms` is past its
  // end. Fails as GetKlines does if any page fails.
  absl::StatusOr<std::vector<domain::Candle>> GetCandles(
      std::string_view symbol, domain::Interval interval, int64_t from_ms,
      int64_t to_ms, int64_t now_ms);

  // Unblocks and fails requests in progress (see HttpClient::Shutdown).
  void Shutdown() { http_->Shutdown(); }

 private:
  explicit BinanceRestClient(std::unique_ptr<HttpClient> http)
      : http_(std::move(http)) {}

  // The body of a 2xx response; Binance's error JSON as a status otherwise.
  absl::StatusOr<std::string> Fetch(const std::string& path_and_query);

  std::unique_ptr<HttpClient> http_;
};

// "BTCUSDT": 1 to 32 characters of A-Z and 0-9 (Binance's symbol alphabet).
bool IsValidBinanceSymbol(std::string_view symbol);

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_BINANCE_REST_CLIENT_H_
