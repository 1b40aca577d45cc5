// Closed candles of any interval from an exchange's REST history: the source
// of the history fill (start-up, the `backfill` job) and of gap repair.
// Implemented by BinanceHistorySource; tests use in-process fakes.
#ifndef CRYPTOTRACKER_PRICING_INGEST_KLINE_SOURCE_H_
#define CRYPTOTRACKER_PRICING_INGEST_KLINE_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::ingest {

class KlineSource {
 public:
  virtual ~KlineSource() = default;
  // Lower-case provider name for the candles' source, e.g. "binance".
  virtual std::string name() const = 0;
  // Closed candles of `pair` and `interval` opening in [from_ms, to_ms),
  // ascending. The implementation pages and keeps to the exchange's rate
  // limits. Throws on a failure it cannot retry away.
  virtual std::vector<domain::Candle> FetchClosedCandles(
      const std::string& pair, domain::Interval interval, int64_t from_ms,
      int64_t to_ms) = 0;
};

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_KLINE_SOURCE_H_
