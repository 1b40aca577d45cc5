// Cost of the simulator's GET /api/v3/klines answers (model and JSON body):
// pricing-service fetches years of history at start-up, thousands of
// 1000-kline requests.
//   bazel run -c opt //testing/exchange-sim:klines_benchmark
#include <cstdint>
#include <optional>
#include <string>

#include "benchmark/benchmark.h"
#include "testing/exchange-sim/market_model.h"
#include "testing/exchange-sim/wire_format.h"

namespace cryptotracker::exchange_sim {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;
// 2026-12-01T00:00:00Z.
constexpr int64_t kNowMs = 1'796'083'200'000;

const MarketModel& Model() {
  static const MarketModel* model = new MarketModel(42, 64);
  return *model;
}

// 1000 daily klines from 2017-08-17 (each an O(1) lookup once the pair's
// daily path is built).
void BM_DailyKlinesFrom2017(benchmark::State& state) {
  const MarketModel& model = Model();
  const int btc = model.FindPair("BTCUSDT");
  for (auto _ : state) {
    std::string body =
        KlinesBody(model, btc, kDay, kFirstKlineMs, std::nullopt, 1000, kNowMs);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_DailyKlinesFrom2017)->Unit(benchmark::kMicrosecond);

// The model's part of it alone.
void BM_DailyBarsFrom2017(benchmark::State& state) {
  const MarketModel& model = Model();
  const int btc = model.FindPair("BTCUSDT");
  for (auto _ : state) {
    int64_t volume = 0;
    for (int64_t day = 0; day < 1000; ++day) {
      volume += model.Aggregate(btc, kFirstKlineMs + day * kDay, kDay, kNowMs)
                    .volume_units;
    }
    benchmark::DoNotOptimize(volume);
  }
}
BENCHMARK(BM_DailyBarsFrom2017)->Unit(benchmark::kMicrosecond);

// 1000 hourly or one-minute klines at a new place each time (no cached
// children): what a start-up backfill pays per request.
void KlinesAtNewPlaces(benchmark::State& state, int64_t width) {
  const MarketModel& model = Model();
  const int pair = model.FindPair("ETHUSDT");
  int64_t start = kNowMs - 2 * 365 * kDay;
  for (auto _ : state) {
    std::string body =
        KlinesBody(model, pair, width, start, std::nullopt, 1000, kNowMs);
    benchmark::DoNotOptimize(body);
    start += 1000 * width;
    if (start + 1000 * width > kNowMs) start = kNowMs - 2 * 365 * kDay;
  }
}
void BM_HourlyKlines(benchmark::State& state) {
  KlinesAtNewPlaces(state, kHour);
}
BENCHMARK(BM_HourlyKlines)->Unit(benchmark::kMicrosecond);
void BM_MinuteKlines(benchmark::State& state) {
  KlinesAtNewPlaces(state, kMinute);
}
BENCHMARK(BM_MinuteKlines)->Unit(benchmark::kMicrosecond);

// A pair's daily path, built on its first use.
void BM_BuildModelAndFirstDailyRequest(benchmark::State& state) {
  for (auto _ : state) {
    const MarketModel model(42, 64);
    std::string body =
        KlinesBody(model, 0, kDay, kFirstKlineMs, std::nullopt, 1000, kNowMs);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_BuildModelAndFirstDailyRequest)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cryptotracker::exchange_sim
