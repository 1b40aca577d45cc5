#include "services/pricing-service/domain/indicators.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cryptotracker::pricing::domain {
namespace {

constexpr char kInsufficientData[] = "insufficient data";

absl::Status InsufficientData(const char* indicator, size_t needed,
                              size_t got) {
  return absl::FailedPreconditionError(
      absl::StrCat(kInsufficientData, ": ", indicator, " needs ", needed,
                   " values, got ", got));
}

absl::Status CheckPeriod(const char* indicator, int period) {
  if (period < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(indicator, ": period must be at least 1, got ", period));
  }
  return absl::OkStatus();
}

absl::Status CheckFinite(const char* indicator, std::span<const double> values,
                         bool require_positive) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(indicator, ": value at index ", i, " is not finite"));
    }
    if (require_positive && values[i] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          indicator, ": value at index ", i, " is not a positive price"));
    }
  }
  return absl::OkStatus();
}

double WindowMean(std::span<const double> values, size_t end, int period) {
  double sum = 0;
  for (size_t i = end + 1 - period; i <= end; ++i) sum += values[i];
  return sum / period;
}

// EMA without validation, for Ema and Macd.
Series EmaUnchecked(std::span<const double> values, int period) {
  const double alpha = 2.0 / (period + 1);
  Series series;
  series.first_index = static_cast<size_t>(period) - 1;
  series.values.reserve(values.size() - series.first_index);
  double ema = WindowMean(values, series.first_index, period);
  series.values.push_back(ema);
  for (size_t i = series.first_index + 1; i < values.size(); ++i) {
    ema = alpha * values[i] + (1 - alpha) * ema;
    series.values.push_back(ema);
  }
  return series;
}

double RsiFromAverages(double average_gain, double average_loss) {
  if (average_loss == 0) return average_gain == 0 ? 50.0 : 100.0;
  return 100.0 - 100.0 / (1.0 + average_gain / average_loss);
}

}  // namespace

OhlcSeries ToOhlcSeries(std::span<const Candle> candles) {
  OhlcSeries series;
  series.high.reserve(candles.size());
  series.low.reserve(candles.size());
  series.close.reserve(candles.size());
  for (const Candle& candle : candles) {
    series.high.push_back(candle.high.ToDouble());
    series.low.push_back(candle.low.ToDouble());
    series.close.push_back(candle.close.ToDouble());
  }
  return series;
}

absl::StatusOr<Series> Sma(std::span<const double> values, int period) {
  if (absl::Status s = CheckPeriod("SMA", period); !s.ok()) return s;
  if (absl::Status s = CheckFinite("SMA", values, false); !s.ok()) return s;
  if (values.size() < static_cast<size_t>(period)) {
    return InsufficientData("SMA", period, values.size());
  }
  Series series;
  series.first_index = static_cast<size_t>(period) - 1;
  // Each window is summed afresh rather than slid, so rounding errors do not
  // accumulate over long series.
  for (size_t end = series.first_index; end < values.size(); ++end) {
    series.values.push_back(WindowMean(values, end, period));
  }
  return series;
}

absl::StatusOr<Series> Ema(std::span<const double> values, int period) {
  if (absl::Status s = CheckPeriod("EMA", period); !s.ok()) return s;
  if (absl::Status s = CheckFinite("EMA", values, false); !s.ok()) return s;
  if (values.size() < static_cast<size_t>(period)) {
    return InsufficientData("EMA", period, values.size());
  }
  return EmaUnchecked(values, period);
}

absl::StatusOr<Series> Rsi(std::span<const double> closes, int period) {
  if (absl::Status s = CheckPeriod("RSI", period); !s.ok()) return s;
  if (absl::Status s = CheckFinite("RSI", closes, false); !s.ok()) return s;
  const size_t needed = static_cast<size_t>(period) + 1;
  if (closes.size() < needed) {
    return InsufficientData("RSI", needed, closes.size());
  }
  double average_gain = 0;
  double average_loss = 0;
  for (size_t i = 1; i <= static_cast<size_t>(period); ++i) {
    const double change = closes[i] - closes[i - 1];
    if (change > 0) average_gain += change;
    if (change < 0) average_loss -= change;
  }
  average_gain /= period;
  average_loss /= period;
  Series series;
  series.first_index = static_cast<size_t>(period);
  series.values.push_back(RsiFromAverages(average_gain, average_loss));
  for (size_t i = series.first_index + 1; i < closes.size(); ++i) {
    const double change = closes[i] - closes[i - 1];
    const double gain = change > 0 ? change : 0;
    const double loss = change < 0 ? -change : 0;
    average_gain = (average_gain * (period - 1) + gain) / period;
    average_loss = (average_loss * (period - 1) + loss) / period;
    series.values.push_back(RsiFromAverages(average_gain, average_loss));
  }
  return series;
}

absl::StatusOr<MacdSeries> Macd(std::span<const double> closes, int fast,
                                int slow, int signal) {
  if (absl::Status s = CheckPeriod("MACD fast", fast); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("MACD slow", slow); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("MACD signal", signal); !s.ok()) return s;
  if (fast >= slow) {
    return absl::InvalidArgumentError(
        absl::StrCat("MACD: fast period ", fast,
                     " must be shorter than slow period ", slow));
  }
  if (absl::Status s = CheckFinite("MACD", closes, false); !s.ok()) return s;
  const size_t needed = static_cast<size_t>(slow) + signal - 1;
  if (closes.size() < needed) {
    return InsufficientData("MACD", needed, closes.size());
  }
  const Series fast_ema = EmaUnchecked(closes, fast);
  const Series slow_ema = EmaUnchecked(closes, slow);
  MacdSeries result;
  result.line.first_index = slow_ema.first_index;
  for (size_t i = slow_ema.first_index; i < closes.size(); ++i) {
    result.line.values.push_back(fast_ema.values[i - fast_ema.first_index] -
                                 slow_ema.values[i - slow_ema.first_index]);
  }
  result.signal = EmaUnchecked(result.line.values, signal);
  result.signal.first_index += result.line.first_index;
  result.histogram.first_index = result.signal.first_index;
  for (size_t k = 0; k < result.signal.values.size(); ++k) {
    const size_t i = result.signal.first_index + k;
    result.histogram.values.push_back(
        result.line.values[i - result.line.first_index] -
        result.signal.values[k]);
  }
  return result;
}

absl::StatusOr<BollingerSeries> Bollinger(std::span<const double> closes,
                                          int period, double k) {
  if (absl::Status s = CheckPeriod("Bollinger", period); !s.ok()) return s;
  if (!std::isfinite(k) || k < 0) {
    return absl::InvalidArgumentError(
        "Bollinger: multiplier must be a finite non-negative number");
  }
  if (absl::Status s = CheckFinite("Bollinger", closes, false); !s.ok()) {
    return s;
  }
  if (closes.size() < static_cast<size_t>(period)) {
    return InsufficientData("Bollinger", period, closes.size());
  }
  BollingerSeries bands;
  const size_t first = static_cast<size_t>(period) - 1;
  bands.middle.first_index = bands.upper.first_index = bands.lower.first_index =
      first;
  for (size_t end = first; end < closes.size(); ++end) {
    const double mean = WindowMean(closes, end, period);
    // Two passes (mean, then squared deviations) avoid the cancellation of
    // the E[x^2] - E[x]^2 shortcut on prices with small relative moves.
    double squares = 0;
    for (size_t i = end + 1 - period; i <= end; ++i) {
      squares += (closes[i] - mean) * (closes[i] - mean);
    }
    const double sigma = std::sqrt(squares / period);
    bands.middle.values.push_back(mean);
    bands.upper.values.push_back(mean + k * sigma);
    bands.lower.values.push_back(mean - k * sigma);
  }
  return bands;
}

absl::StatusOr<Series> Atr(std::span<const double> high,
                           std::span<const double> low,
                           std::span<const double> close, int period) {
  if (absl::Status s = CheckPeriod("ATR", period); !s.ok()) return s;
  if (high.size() != low.size() || high.size() != close.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ATR: high, low and close lengths differ (", high.size(),
                     ", ", low.size(), ", ", close.size(), ")"));
  }
  for (auto values : {high, low, close}) {
    if (absl::Status s = CheckFinite("ATR", values, false); !s.ok()) return s;
  }
  for (size_t i = 0; i < high.size(); ++i) {
    if (high[i] < low[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat("ATR: high below low at index ", i));
    }
  }
  const size_t needed = static_cast<size_t>(period) + 1;
  if (close.size() < needed) {
    return InsufficientData("ATR", needed, close.size());
  }
  auto true_range = [&](size_t i) {
    return std::max({high[i] - low[i], std::fabs(high[i] - close[i - 1]),
                     std::fabs(low[i] - close[i - 1])});
  };
  double atr = 0;
  for (size_t i = 1; i <= static_cast<size_t>(period); ++i) {
    atr += true_range(i);
  }
  atr /= period;
  Series series;
  series.first_index = static_cast<size_t>(period);
  series.values.push_back(atr);
  for (size_t i = series.first_index + 1; i < close.size(); ++i) {
    atr = (atr * (period - 1) + true_range(i)) / period;
    series.values.push_back(atr);
  }
  return series;
}

absl::StatusOr<double> RealizedVolatility(std::span<const double> closes,
                                          Interval interval) {
  if (absl::Status s = CheckFinite("realized volatility", closes, true);
      !s.ok()) {
    return s;
  }
  if (closes.size() < 3) {
    return InsufficientData("realized volatility", 3, closes.size());
  }
  std::vector<double> returns;
  returns.reserve(closes.size() - 1);
  for (size_t i = 1; i < closes.size(); ++i) {
    returns.push_back(std::log(closes[i] / closes[i - 1]));
  }
  double mean = 0;
  for (double r : returns) mean += r;
  mean /= static_cast<double>(returns.size());
  double squares = 0;
  for (double r : returns) squares += (r - mean) * (r - mean);
  const double sample_variance =
      squares / static_cast<double>(returns.size() - 1);
  return std::sqrt(sample_variance) * std::sqrt(PeriodsPerYear(interval));
}

absl::StatusOr<Drawdown> MaxDrawdown(std::span<const double> closes) {
  if (absl::Status s = CheckFinite("max drawdown", closes, true); !s.ok()) {
    return s;
  }
  if (closes.empty()) return InsufficientData("max drawdown", 1, 0);
  Drawdown worst;
  size_t peak = 0;
  for (size_t i = 1; i < closes.size(); ++i) {
    if (closes[i] > closes[peak]) {
      peak = i;
      continue;
    }
    const double fall = (closes[peak] - closes[i]) / closes[peak];
    if (fall > worst.max_fraction) {
      worst = Drawdown{fall, peak, i};
    }
  }
  return worst;
}

}  // namespace cryptotracker::pricing::domain
