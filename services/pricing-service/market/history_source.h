// Historical candles from an exchange's REST API, for the `backfill` job and
// for gap repair after a reconnect. Implemented by the providers library
// (the Binance REST client); the service only depends on this interface.
#ifndef CRYPTOTRACKER_PRICING_MARKET_HISTORY_SOURCE_H_
#define CRYPTOTRACKER_PRICING_MARKET_HISTORY_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/pricing-service/domain/candles.h"

namespace cryptotracker::pricing::market {

class HistorySource {
 public:
  virtual ~HistorySource() = default;
  // Lower-case provider name for the candles' source, e.g. "binance".
  virtual std::string name() const = 0;
  // Closed one-minute candles of `pair` opening in [from_ms, to_ms),
  // ascending; the implementation pages and honours rate limits. Throws on
  // a failure it cannot retry away.
  virtual std::vector<domain::Candle> FetchOneMinuteCandles(
      const std::string& pair, int64_t from_ms, int64_t to_ms) = 0;
};

}  // namespace cryptotracker::pricing::market

#endif  // CRYPTOTRACKER_PRICING_MARKET_HISTORY_SOURCE_H_
