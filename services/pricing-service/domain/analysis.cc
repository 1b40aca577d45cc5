#include "services/pricing-service/domain/analysis.h"

#include <cstddef>
#include <utility>

#include "absl/status/statusor.h"
#include "services/pricing-service/domain/indicators.h"

namespace cryptotracker::pricing::domain {
namespace {

LatestValue Latest(const absl::StatusOr<Series>& series) {
  if (!series.ok()) return std::nullopt;
  return series->Latest();
}

}  // namespace

std::vector<Candle> AnalysisCandles(std::vector<Candle> candles) {
  std::erase_if(candles, [](const Candle& c) { return !c.closed; });
  const size_t keep = static_cast<size_t>(kAnalysisCandles);
  if (candles.size() > keep) {
    candles.erase(candles.begin(),
                  candles.end() - static_cast<std::ptrdiff_t>(keep));
  }
  return candles;
}

AnalysisValues Analyze(std::span<const Candle> candles, Interval interval) {
  const OhlcSeries series = ToOhlcSeries(candles);
  const std::vector<double>& closes = series.close;
  AnalysisValues values;
  for (int period : kSmaPeriods) {
    values.sma.push_back({period, Latest(Sma(closes, period))});
  }
  for (int period : kEmaPeriods) {
    values.ema.push_back({period, Latest(Ema(closes, period))});
  }
  values.rsi = Latest(Rsi(closes, kRsiPeriod));
  if (absl::StatusOr<MacdSeries> macd =
          Macd(closes, kMacdFastPeriod, kMacdSlowPeriod, kMacdSignalPeriod);
      macd.ok()) {
    values.macd_line = macd->line.Latest();
    values.macd_signal = macd->signal.Latest();
    values.macd_histogram = macd->histogram.Latest();
  }
  if (absl::StatusOr<BollingerSeries> bands =
          Bollinger(closes, kBollingerPeriod, kBollingerStdDevMultiplier);
      bands.ok()) {
    values.bollinger_middle = bands->middle.Latest();
    values.bollinger_upper = bands->upper.Latest();
    values.bollinger_lower = bands->lower.Latest();
  }
  values.atr = Latest(Atr(series.high, series.low, series.close, kAtrPeriod));
  if (absl::StatusOr<double> volatility = RealizedVolatility(closes, interval);
      volatility.ok()) {
    values.realized_volatility = *volatility;
  }
  if (absl::StatusOr<Drawdown> drawdown = MaxDrawdown(closes); drawdown.ok()) {
    values.max_drawdown = drawdown->max_fraction;
  }
  return values;
}

}  // namespace cryptotracker::pricing::domain
