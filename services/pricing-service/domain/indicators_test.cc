#include "services/pricing-service/domain/indicators.h"

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace cryptotracker::pricing::domain {
namespace {

struct ReferenceSeries {
  size_t first_index;
  std::vector<double> values;
};

// Expected values computed independently by testdata/reference_indicators.py
// (plain textbook loops in Python); regenerate with
//   python3 reference_indicators.py > reference_indicators.inc
#include "services/pricing-service/domain/testdata/reference_indicators.inc"

// 1e-9 relative, with a tiny absolute floor for values that cross zero
// (MACD), where a relative bound alone is meaningless.
::testing::AssertionResult Near(double actual, double expected) {
  const double tolerance = std::max(1e-9 * std::fabs(expected), 1e-12);
  if (std::fabs(actual - expected) <= tolerance) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "actual " << actual << " vs expected " << expected;
}

void ExpectSeriesMatches(const absl::StatusOr<Series>& actual,
                         const ReferenceSeries& expected) {
  ASSERT_TRUE(actual.ok()) << actual.status();
  EXPECT_EQ(actual->first_index, expected.first_index);
  ASSERT_EQ(actual->values.size(), expected.values.size());
  EXPECT_EQ(actual->first_index + actual->values.size(), kRefClose.size());
  for (size_t k = 0; k < expected.values.size(); ++k) {
    EXPECT_TRUE(Near(actual->values[k], expected.values[k])) << "at " << k;
  }
}

void ExpectInsufficient(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("insufficient data"), std::string::npos);
}

TEST(ReferenceIndicatorsTest, Sma) {
  ExpectSeriesMatches(Sma(kRefClose, 20), kRefSma20);
  ExpectSeriesMatches(Sma(kRefClose, 50), kRefSma50);
}

TEST(ReferenceIndicatorsTest, Ema) {
  ExpectSeriesMatches(Ema(kRefClose, 12), kRefEma12);
  ExpectSeriesMatches(Ema(kRefClose, 26), kRefEma26);
}

TEST(ReferenceIndicatorsTest, Rsi) {
  ExpectSeriesMatches(Rsi(kRefClose), kRefRsi14);
}

TEST(ReferenceIndicatorsTest, Macd) {
  absl::StatusOr<MacdSeries> macd = Macd(kRefClose);
  ASSERT_TRUE(macd.ok()) << macd.status();
  ExpectSeriesMatches(macd->line, kRefMacdLine);
  ExpectSeriesMatches(macd->signal, kRefMacdSignal);
  ExpectSeriesMatches(macd->histogram, kRefMacdHistogram);
}

TEST(ReferenceIndicatorsTest, Bollinger) {
  absl::StatusOr<BollingerSeries> bands = Bollinger(kRefClose);
  ASSERT_TRUE(bands.ok()) << bands.status();
  ExpectSeriesMatches(bands->middle, kRefBollingerMiddle);
  ExpectSeriesMatches(bands->upper, kRefBollingerUpper);
  ExpectSeriesMatches(bands->lower, kRefBollingerLower);
}

TEST(ReferenceIndicatorsTest, Atr) {
  ExpectSeriesMatches(Atr(kRefHigh, kRefLow, kRefClose), kRefAtr14);
}

TEST(ReferenceIndicatorsTest, RealizedVolatility) {
  EXPECT_TRUE(
      Near(*RealizedVolatility(kRefClose, Interval::k1h), kRefVolatility1h));
  EXPECT_TRUE(
      Near(*RealizedVolatility(kRefClose, Interval::k1d), kRefVolatility1d));
}

TEST(ReferenceIndicatorsTest, MaxDrawdown) {
  absl::StatusOr<Drawdown> drawdown = MaxDrawdown(kRefClose);
  ASSERT_TRUE(drawdown.ok()) << drawdown.status();
  EXPECT_TRUE(Near(drawdown->max_fraction, kRefMaxDrawdown));
  EXPECT_EQ(drawdown->peak_index, kRefMaxDrawdownPeak);
  EXPECT_EQ(drawdown->trough_index, kRefMaxDrawdownTrough);
}

// Hand-verifiable cases.

TEST(IndicatorsTest, SmaOfSmallSeries) {
  const std::vector<double> values = {1, 2, 3, 4, 5};
  absl::StatusOr<Series> sma = Sma(values, 3);
  ASSERT_TRUE(sma.ok());
  EXPECT_EQ(sma->first_index, 2u);
  EXPECT_EQ(sma->values, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(sma->Latest(), 4);
  EXPECT_EQ(Sma(values, 1)->values, values);
}

TEST(IndicatorsTest, EmaSeededWithSma) {
  // alpha = 0.5 for period 3: seed (1+2+3)/3 = 2, then 3, then 4.
  const std::vector<double> values = {1, 2, 3, 4, 5};
  absl::StatusOr<Series> ema = Ema(values, 3);
  ASSERT_TRUE(ema.ok());
  EXPECT_EQ(ema->first_index, 2u);
  EXPECT_EQ(ema->values, (std::vector<double>{2, 3, 4}));
  const std::vector<double> jump = {10, 10, 10, 20};
  EXPECT_DOUBLE_EQ(Ema(jump, 3)->Latest(), 15);
}

TEST(IndicatorsTest, RsiPolicyForDegenerateSeries) {
  const std::vector<double> flat(20, 42.0);
  absl::StatusOr<Series> rsi = Rsi(flat);
  ASSERT_TRUE(rsi.ok());
  for (double value : rsi->values) EXPECT_EQ(value, 50.0);

  std::vector<double> rising;
  for (int i = 0; i < 30; ++i) rising.push_back(100 + i);
  const Series rising_rsi = *Rsi(rising);
  for (double value : rising_rsi.values) EXPECT_EQ(value, 100.0);

  std::vector<double> falling;
  for (int i = 0; i < 30; ++i) falling.push_back(100 - i);
  const Series falling_rsi = *Rsi(falling);
  for (double value : falling_rsi.values) EXPECT_EQ(value, 0.0);

  // Equal gains and losses: RS = 1, RSI = 50.
  std::vector<double> zigzag;
  for (int i = 0; i < 15; ++i) zigzag.push_back(i % 2 == 0 ? 100 : 101);
  EXPECT_DOUBLE_EQ(Rsi(zigzag, 14)->values.front(), 50.0);
}

TEST(IndicatorsTest, BollingerCollapsesOnConstantSeries) {
  const std::vector<double> flat(25, 7.5);
  absl::StatusOr<BollingerSeries> bands = Bollinger(flat);
  ASSERT_TRUE(bands.ok());
  EXPECT_EQ(bands->middle.values.size(), 6u);
  EXPECT_EQ(bands->upper.Latest(), 7.5);
  EXPECT_EQ(bands->lower.Latest(), 7.5);
  // Window {1, 3}: mean 2, population sigma 1.
  const std::vector<double> pair = {1, 3};
  bands = Bollinger(pair, 2, 2.0);
  EXPECT_DOUBLE_EQ(bands->upper.Latest(), 4);
  EXPECT_DOUBLE_EQ(bands->lower.Latest(), 0);
}

TEST(IndicatorsTest, AtrUsesGapsToPreviousClose) {
  // Candle 1 gaps up: |high - previous close| = 12 - 9 = 3 beats high-low 1.
  const std::vector<double> high = {10, 12, 12};
  const std::vector<double> low = {8, 11, 11.5};
  const std::vector<double> close = {9, 11.5, 12};
  absl::StatusOr<Series> atr = Atr(high, low, close, 1);
  ASSERT_TRUE(atr.ok());
  EXPECT_EQ(atr->first_index, 1u);
  EXPECT_EQ(atr->values, (std::vector<double>{3, 0.5}));
  atr = Atr(high, low, close, 2);
  EXPECT_DOUBLE_EQ(atr->Latest(), 1.75);
}

TEST(IndicatorsTest, MaxDrawdownFindsPeakAndTrough) {
  const std::vector<double> closes = {100, 120, 90, 130, 65, 140};
  absl::StatusOr<Drawdown> drawdown = MaxDrawdown(closes);
  ASSERT_TRUE(drawdown.ok());
  EXPECT_DOUBLE_EQ(drawdown->max_fraction, 0.5);
  EXPECT_EQ(drawdown->peak_index, 3u);
  EXPECT_EQ(drawdown->trough_index, 4u);
  const std::vector<double> rising = {1, 2, 3};
  drawdown = MaxDrawdown(rising);
  EXPECT_EQ(drawdown->max_fraction, 0);
  EXPECT_EQ(drawdown->peak_index, 0u);
  EXPECT_EQ(drawdown->trough_index, 0u);
  const std::vector<double> single = {5};
  EXPECT_EQ(MaxDrawdown(single)->max_fraction, 0);
}

TEST(IndicatorsTest, RealizedVolatilityOfConstantGrowthIsZero) {
  std::vector<double> closes = {100};
  for (int i = 0; i < 10; ++i) closes.push_back(closes.back() * 1.01);
  EXPECT_NEAR(*RealizedVolatility(closes, Interval::k1d), 0, 1e-12);
  // Returns +ln2, -ln2: sample sigma = ln2 * sqrt(2); times sqrt(365).
  const std::vector<double> up_down = {1, 2, 1};
  EXPECT_DOUBLE_EQ(*RealizedVolatility(up_down, Interval::k1d),
                   std::log(2.0) * std::sqrt(2.0) * std::sqrt(365.0));
}

TEST(IndicatorsTest, InsufficientDataIsReportedNotPadded) {
  const std::vector<double> five = {1, 2, 3, 4, 5};
  ExpectInsufficient(Sma(five, 6).status());
  ExpectInsufficient(Ema(five, 6).status());
  ExpectInsufficient(Rsi(five, 5).status());  // needs 6
  ExpectInsufficient(Bollinger(five, 20).status());
  ExpectInsufficient(Atr(five, five, five, 5).status());
  ExpectInsufficient(
      RealizedVolatility({five.data(), 2}, Interval::k1h).status());
  ExpectInsufficient(MaxDrawdown({}).status());
  std::vector<double> thirty_three(33, 1.0);
  ExpectInsufficient(Macd(thirty_three).status());
  thirty_three.push_back(1.0);
  EXPECT_TRUE(Macd(thirty_three).ok());
  EXPECT_TRUE(Rsi(std::vector<double>(15, 1.0)).ok());
  EXPECT_TRUE(Atr(std::vector<double>(15, 1.0), std::vector<double>(15, 1.0),
                  std::vector<double>(15, 1.0))
                  .ok());
  const absl::Status status = Sma(five, 6).status();
  EXPECT_NE(status.message().find("needs 6 values, got 5"), std::string::npos);
}

TEST(IndicatorsTest, RejectsInvalidInput) {
  const std::vector<double> values = {1, 2, 3, 4, 5};
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(Sma(values, 0).status().code(), kInvalid);
  EXPECT_EQ(Ema(values, -3).status().code(), kInvalid);
  EXPECT_EQ(Rsi(values, 0).status().code(), kInvalid);
  EXPECT_EQ(Macd(values, 26, 12, 9).status().code(), kInvalid);
  EXPECT_EQ(Macd(values, 12, 12, 9).status().code(), kInvalid);
  EXPECT_EQ(Bollinger(values, 2, -1).status().code(), kInvalid);
  const std::vector<double> with_nan = {1, std::nan(""), 3};
  EXPECT_EQ(Sma(with_nan, 2).status().code(), kInvalid);
  const std::vector<double> with_inf = {1, 2, HUGE_VAL};
  EXPECT_EQ(Ema(with_inf, 2).status().code(), kInvalid);
  const std::vector<double> with_zero = {1, 0, 3};
  EXPECT_EQ(RealizedVolatility(with_zero, Interval::k1h).status().code(),
            kInvalid);
  EXPECT_EQ(MaxDrawdown(with_zero).status().code(), kInvalid);
  const std::vector<double> short_low = {1, 2};
  EXPECT_EQ(Atr(values, short_low, values, 1).status().code(), kInvalid);
  const std::vector<double> high = {1, 1};
  const std::vector<double> low = {2, 0};
  EXPECT_EQ(Atr(high, low, high, 1).status().code(), kInvalid);
}

TEST(IndicatorsTest, OhlcSeriesFromCandles) {
  std::vector<Candle> candles(2);
  candles[0].high = *common::Decimal::Parse("10.5");
  candles[0].low = *common::Decimal::Parse("9.25");
  candles[0].close = *common::Decimal::Parse("10");
  candles[1].high = *common::Decimal::Parse("64250.12");
  candles[1].low = *common::Decimal::Parse("0.00000001");
  candles[1].close = *common::Decimal::Parse("1.5");
  const OhlcSeries series = ToOhlcSeries(candles);
  EXPECT_EQ(series.high, (std::vector<double>{10.5, 64250.12}));
  EXPECT_EQ(series.low, (std::vector<double>{9.25, 1e-8}));
  EXPECT_EQ(series.close, (std::vector<double>{10, 1.5}));
}

}  // namespace
}  // namespace cryptotracker::pricing::domain
