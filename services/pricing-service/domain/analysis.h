// What GetAnalysis reports: which indicators, with which parameters (the
// pricing contract documents them), over which candles, and their latest
// values.
//
// Values stay double here (see indicators.h for why); the handler turns
// them into decimal strings at its display precision.
#ifndef CRYPTOTRACKER_PRICING_DOMAIN_ANALYSIS_H_
#define CRYPTOTRACKER_PRICING_DOMAIN_ANALYSIS_H_

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::domain {

// Analysis uses up to this many of the most recent closed candles.
inline constexpr int kAnalysisCandles = 500;

// The parameter table.
inline constexpr std::array<int, 3> kSmaPeriods = {20, 50, 200};
inline constexpr std::array<int, 4> kEmaPeriods = {12, 26, 50, 200};
inline constexpr int kRsiPeriod = 14;
inline constexpr int kMacdFastPeriod = 12;
inline constexpr int kMacdSlowPeriod = 26;
inline constexpr int kMacdSignalPeriod = 9;
inline constexpr int kBollingerPeriod = 20;
// A whole number, so that the contract's decimal string is exact.
inline constexpr int kBollingerStdDevMultiplier = 2;
inline constexpr int kAtrPeriod = 14;

// The latest value of an indicator; absent when the candles are too few for
// it (or it is undefined for them).
using LatestValue = std::optional<double>;

struct PeriodValue {
  int period = 0;
  LatestValue value;
};

struct AnalysisValues {
  // One per kSmaPeriods / kEmaPeriods entry, in the table's order.
  std::vector<PeriodValue> sma;
  std::vector<PeriodValue> ema;
  LatestValue rsi;
  LatestValue macd_line;
  LatestValue macd_signal;
  LatestValue macd_histogram;
  LatestValue bollinger_middle;
  LatestValue bollinger_upper;
  LatestValue bollinger_lower;
  LatestValue atr;
  // Fractions (0.65 = 65 %).
  LatestValue realized_volatility;
  LatestValue max_drawdown;
};

// The candles an analysis is computed over: the closed ones among
// `candles` (ascending), at most the newest kAnalysisCandles of them.
std::vector<Candle> AnalysisCandles(std::vector<Candle> candles);

// Every indicator of the table over `candles` (ascending, closed) of
// `interval`.
AnalysisValues Analyze(std::span<const Candle> candles, Interval interval);

}  // namespace cryptotracker::pricing::domain

#endif  // CRYPTOTRACKER_PRICING_DOMAIN_ANALYSIS_H_
