// Technical indicators and risk statistics over candle series.
//
// These work in double on purpose. They are statistics, not money: they
// average, exponentiate, take logarithms and square roots, so their results
// are estimates whatever the arithmetic, and exact decimal arithmetic would
// only make them slow (and could not represent sqrt or log anyway). Prices
// enter through Decimal::ToDouble() and results leave through
// Decimal::FromDouble() with a display precision the caller picks; nothing
// computed here is ever stored or summed as an amount of money.
//
// Every function validates its input (finite values, sensible periods) and
// returns INVALID_ARGUMENT for bad input. When there are too few points for
// the indicator to be defined it returns FAILED_PRECONDITION with a message
// starting "insufficient data"; it never
// returns a partial or padded result.
#ifndef CRYPTOTRACKER_PRICING_DOMAIN_INDICATORS_H_
#define CRYPTOTRACKER_PRICING_DOMAIN_INDICATORS_H_

#include <cstddef>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::domain {

// An indicator's values aligned with its input: values[k] belongs to input
// index first_index + k, and the series runs to the last input index. A
// series returned successfully is never empty.
struct Series {
  size_t first_index = 0;
  std::vector<double> values;

  double Latest() const { return values.back(); }
};

// Parallel high/low/close arrays of a candle series, oldest first.
struct OhlcSeries {
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
};
OhlcSeries ToOhlcSeries(std::span<const Candle> candles);

// Simple moving average: mean of each window of `period` values.
// Needs period values; first_index = period - 1.
absl::StatusOr<Series> Sma(std::span<const double> values, int period);

// Exponential moving average with alpha = 2 / (period + 1), seeded with the
// SMA of the first `period` values. Needs period values; first_index =
// period - 1.
absl::StatusOr<Series> Ema(std::span<const double> values, int period);

// Relative strength index with Wilder's smoothing: the first average gain
// and loss are plain means of the first `period` changes, later ones
// avg = (avg * (period - 1) + current) / period, and RSI = 100 - 100 /
// (1 + avg_gain / avg_loss). Policy where that ratio is undefined: 100 when
// there were gains but no losses, and 50 (neutral) when the price did not
// move at all. Needs period + 1 values; first_index = period.
absl::StatusOr<Series> Rsi(std::span<const double> closes, int period = 14);

// MACD line = EMA(fast) - EMA(slow), from index slow - 1; signal = EMA of
// the line over `signal` values (seeded with their SMA), from index
// slow + signal - 2; histogram = line - signal, aligned with the signal.
// Needs slow + signal - 1 values. INVALID_ARGUMENT unless 0 < fast < slow.
struct MacdSeries {
  Series line;
  Series signal;
  Series histogram;
};
absl::StatusOr<MacdSeries> Macd(std::span<const double> closes, int fast = 12,
                                int slow = 26, int signal = 9);

// Bollinger bands: middle = SMA(period), upper/lower = middle +/- k times
// the population standard deviation of the same window. Needs period
// values; all three series start at period - 1.
struct BollingerSeries {
  Series middle;
  Series upper;
  Series lower;
};
absl::StatusOr<BollingerSeries> Bollinger(std::span<const double> closes,
                                          int period = 20, double k = 2.0);

// Average true range with Wilder's smoothing. The true range of candle i
// (i >= 1) is max(high - low, |high - previous close|, |low - previous
// close|); the first ATR is the mean of the true ranges of candles
// 1..period, later ones (atr * (period - 1) + tr) / period. The first
// candle has no previous close and only seeds the next true range. Needs
// period + 1 candles; first_index = period. INVALID_ARGUMENT when the three
// arrays differ in length or a high is below its low.
absl::StatusOr<Series> Atr(std::span<const double> high,
                           std::span<const double> low,
                           std::span<const double> close, int period = 14);

// Annualised realised volatility as a fraction (0.65 = 65 %): the sample
// standard deviation (n - 1) of the log returns ln(c[i] / c[i-1]), times
// sqrt(PeriodsPerYear(interval)). Needs 3 closes (2 returns); prices must
// be positive.
absl::StatusOr<double> RealizedVolatility(std::span<const double> closes,
                                          Interval interval);

// Largest fall from a running peak to a later trough, as a fraction of the
// peak (0.35 = a 35 % fall), with the indices of that peak and trough. When
// prices never fall, the fraction is 0 and both indices are 0. Ties keep the
// earliest drawdown. Needs 1 value; prices must be positive.
struct Drawdown {
  double max_fraction = 0;
  size_t peak_index = 0;
  size_t trough_index = 0;
};
absl::StatusOr<Drawdown> MaxDrawdown(std::span<const double> closes);

}  // namespace cryptotracker::pricing::domain

#endif  // CRYPTOTRACKER_PRICING_DOMAIN_INDICATORS_H_
