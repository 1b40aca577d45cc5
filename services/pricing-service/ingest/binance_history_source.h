// The exchange's REST klines as the service's history source.
#ifndef CRYPTOTRACKER_PRICING_INGEST_BINANCE_HISTORY_SOURCE_H_
#define CRYPTOTRACKER_PRICING_INGEST_BINANCE_HISTORY_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/ingest/kline_source.h"
#include "services/pricing-service/ingest/request_pacer.h"
#include "services/pricing-service/providers/binance_rest_client.h"

namespace cryptotracker::pricing::ingest {

// Binance's request weight of one klines request of up to 1000 klines.
inline constexpr int kKlinesRequestWeight = 2;
// The default share of Binance's 6000 weight per minute per IP that the
// history uses (CANDLE_HISTORY_WEIGHT_PER_MINUTE): 600 requests a minute,
// leaving most of the limit to anything else on the same address.
inline constexpr int kDefaultHistoryWeightPerMinute = 1200;

// History from Binance's REST klines, one request per 1000 klines, paced
// to `weight_per_minute`.
class BinanceHistorySource final : public KlineSource {
 public:
  // `clock`: milliseconds since the epoch, to tell closed klines.
  BinanceHistorySource(std::unique_ptr<providers::BinanceRestClient> client,
                       std::function<int64_t()> clock, int weight_per_minute);

  std::string name() const override { return "binance"; }
  // Throws std::runtime_error with the client's status on failure, and
  // after Shutdown().
  std::vector<domain::Candle> FetchClosedCandles(const std::string& pair,
                                                 domain::Interval interval,
                                                 int64_t from_ms,
                                                 int64_t to_ms) override;

  // Fails requests in progress, waits for a request slot and later
  // requests (for shutdown).
  void Shutdown();

 private:
  std::unique_ptr<providers::BinanceRestClient> client_;
  std::function<int64_t()> clock_;
  RequestPacer pacer_;
};

// The history source on a REST client of `rest_url` (BINANCE_REST_URL), or
// null when `rest_url` is empty. Throws common::ConfigError for a URL the
// client cannot use.
std::unique_ptr<BinanceHistorySource> MakeBinanceHistory(
    const std::string& rest_url,
    int weight_per_minute = kDefaultHistoryWeightPerMinute);

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_BINANCE_HISTORY_SOURCE_H_
