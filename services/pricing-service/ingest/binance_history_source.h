// The exchange's REST klines as the service's one-minute HistorySource.
#ifndef CRYPTOTRACKER_PRICING_INGEST_BINANCE_HISTORY_SOURCE_H_
#define CRYPTOTRACKER_PRICING_INGEST_BINANCE_HISTORY_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/market/history_source.h"
#include "services/pricing-service/providers/binance_rest_client.h"

namespace cryptotracker::pricing::ingest {

// One-minute history from Binance's REST klines.
class BinanceHistorySource final : public market::HistorySource {
 public:
  // `clock`: milliseconds since the epoch, to tell closed klines.
  BinanceHistorySource(std::unique_ptr<providers::BinanceRestClient> client,
                       std::function<int64_t()> clock);

  std::string name() const override { return "binance"; }
  // Throws std::runtime_error with the client's status on failure.
  std::vector<domain::Candle> FetchOneMinuteCandles(const std::string& pair,
                                                    int64_t from_ms,
                                                    int64_t to_ms) override;

  // Fails requests in progress and later ones (for shutdown).
  void Shutdown() { client_->Shutdown(); }

 private:
  std::unique_ptr<providers::BinanceRestClient> client_;
  std::function<int64_t()> clock_;
};

// The history source on a REST client of `rest_url` (BINANCE_REST_URL), or
// null when `rest_url` is empty. Throws common::ConfigError for a URL the
// client cannot use.
std::unique_ptr<BinanceHistorySource> MakeBinanceHistory(
    const std::string& rest_url);

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_BINANCE_HISTORY_SOURCE_H_
