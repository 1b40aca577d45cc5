#include "services/pricing-service/domain/analysis.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::domain {
namespace {

// `count` closed one-minute candles closing 100, 101, ... and opening 1
// below their close, so that every true range is 1.
std::vector<Candle> RisingCandles(int count) {
  std::vector<Candle> candles;
  for (int i = 0; i < count; ++i) {
    Candle candle;
    candle.symbol = "ETHUSDT";
    candle.interval = Interval::k1m;
    candle.open_time_ms = int64_t{i} * 60'000;
    candle.open = candle.low = common::Decimal::FromInteger(99 + i);
    candle.close = candle.high = common::Decimal::FromInteger(100 + i);
    candle.closed = true;
    candles.push_back(candle);
  }
  return candles;
}

TEST(AnalysisTest, EachIndicatorUsesItsPeriod) {
  const std::vector<Candle> candles = RisingCandles(30);
  const AnalysisValues values = Analyze(candles, Interval::k1m);

  ASSERT_EQ(values.sma.size(), kSmaPeriods.size());
  EXPECT_EQ(values.sma[0].period, 20);
  ASSERT_TRUE(values.sma[0].value.has_value());
  EXPECT_DOUBLE_EQ(*values.sma[0].value, 119.5);  // mean of 110..129
  EXPECT_EQ(values.sma[1].period, 50);
  EXPECT_FALSE(values.sma[1].value.has_value());  // 30 candles are too few

  // On a straight line an EMA seeded with its SMA lags (period - 1) / 2.
  ASSERT_EQ(values.ema.size(), kEmaPeriods.size());
  EXPECT_EQ(values.ema[0].period, 12);
  ASSERT_TRUE(values.ema[0].value.has_value());
  EXPECT_NEAR(*values.ema[0].value, 129 - 5.5, 1e-9);
  EXPECT_EQ(values.ema[1].period, 26);
  ASSERT_TRUE(values.ema[1].value.has_value());
  EXPECT_NEAR(*values.ema[1].value, 129 - 12.5, 1e-9);
  EXPECT_FALSE(values.ema[2].value.has_value());

  ASSERT_TRUE(values.rsi.has_value());
  EXPECT_DOUBLE_EQ(*values.rsi, 100);  // only gains
  ASSERT_TRUE(values.atr.has_value());
  EXPECT_DOUBLE_EQ(*values.atr, 1);
  // MACD needs 26 + 9 - 1 candles.
  EXPECT_FALSE(values.macd_line.has_value());
  EXPECT_FALSE(values.macd_signal.has_value());

  // Bands of 20 consecutive integers: the population deviation is
  // sqrt((20^2 - 1) / 12), taken twice.
  const double deviation = std::sqrt((20.0 * 20.0 - 1) / 12);
  ASSERT_TRUE(values.bollinger_middle.has_value());
  EXPECT_DOUBLE_EQ(*values.bollinger_middle, 119.5);
  ASSERT_TRUE(values.bollinger_upper.has_value());
  EXPECT_NEAR(*values.bollinger_upper, 119.5 + 2 * deviation, 1e-9);
  ASSERT_TRUE(values.bollinger_lower.has_value());
  EXPECT_NEAR(*values.bollinger_lower, 119.5 - 2 * deviation, 1e-9);

  ASSERT_TRUE(values.max_drawdown.has_value());
  EXPECT_DOUBLE_EQ(*values.max_drawdown, 0);
  ASSERT_TRUE(values.realized_volatility.has_value());
  EXPECT_GT(*values.realized_volatility, 0);
}

TEST(AnalysisTest, MacdIsFastMinusSlowWithItsSignal) {
  const std::vector<Candle> candles = RisingCandles(40);
  const AnalysisValues values = Analyze(candles, Interval::k1m);
  // EMA(12) lags 5.5 and EMA(26) 12.5 behind the line: the MACD line is a
  // constant 7, and so is its signal.
  ASSERT_TRUE(values.macd_line.has_value());
  EXPECT_NEAR(*values.macd_line, 7, 1e-9);
  ASSERT_TRUE(values.macd_signal.has_value());
  EXPECT_NEAR(*values.macd_signal, 7, 1e-9);
  ASSERT_TRUE(values.macd_histogram.has_value());
  EXPECT_NEAR(*values.macd_histogram, 0, 1e-9);
}

TEST(AnalysisTest, NothingIsComputedFromNoCandles) {
  const AnalysisValues values = Analyze({}, Interval::k1h);
  for (const PeriodValue& sma : values.sma) EXPECT_FALSE(sma.value.has_value());
  EXPECT_FALSE(values.rsi.has_value());
  EXPECT_FALSE(values.atr.has_value());
  EXPECT_FALSE(values.max_drawdown.has_value());
  EXPECT_FALSE(values.realized_volatility.has_value());
}

TEST(AnalysisTest, AnalysisCandlesAreTheNewestClosedOnes) {
  std::vector<Candle> candles = RisingCandles(kAnalysisCandles + 2);
  candles.back().closed = false;  // the minute still open
  const std::vector<Candle> used = AnalysisCandles(candles);
  ASSERT_EQ(used.size(), static_cast<size_t>(kAnalysisCandles));
  EXPECT_EQ(used.front().open_time_ms, candles[1].open_time_ms);
  EXPECT_EQ(used.back().open_time_ms, candles[kAnalysisCandles].open_time_ms);
  EXPECT_TRUE(used.back().closed);
  EXPECT_TRUE(AnalysisCandles({}).empty());
}

}  // namespace
}  // namespace cryptotracker::pricing::domain
