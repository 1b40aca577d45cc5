// Candles and times shared by the ingest tests.
#ifndef CRYPTOTRACKER_PRICING_INGEST_TEST_CANDLES_H_
#define CRYPTOTRACKER_PRICING_INGEST_TEST_CANDLES_H_

#include <cstdint>
#include <string>

#include "services/common/decimal.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::ingest {

constexpr int64_t kMinute = 60'000;
// 2025-01-01T00:00:00Z.
constexpr int64_t kT0 = 1'735'689'600'000;

inline common::Decimal D(const char* text) {
  return *common::Decimal::Parse(text);
}

inline domain::Candle Minute(const std::string& pair, int64_t open_time,
                             bool closed = true) {
  domain::Candle candle;
  candle.symbol = pair;
  candle.interval = domain::Interval::k1m;
  candle.open_time_ms = open_time;
  candle.open = D("10");
  candle.high = D("12");
  candle.low = D("9");
  candle.close = D("11");
  candle.volume = D("1");
  candle.quote_volume = D("11");
  candle.trade_count = 1;
  candle.closed = closed;
  return candle;
}

// A candle of any interval with Minute's prices.
inline domain::Candle CandleAt(const std::string& pair,
                               domain::Interval interval, int64_t open_time,
                               bool closed = true) {
  domain::Candle candle = Minute(pair, open_time, closed);
  candle.interval = interval;
  return candle;
}

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_TEST_CANDLES_H_
