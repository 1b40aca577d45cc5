// Ingest throughput of CandleAggregator: how many trades per second one
// ingest loop can fold into candles. Target: at least 100,000 ticks/s.
//
//   bazel run -c opt //services/pricing-service/benchmark:candles_benchmark
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "services/pricing-service/benchmark/benchmark_random.h"
#include "services/pricing-service/domain/candles.h"

namespace cryptotracker::pricing {
namespace {

// 2024-01-01T00:00:00Z.
constexpr int64_t kT0 = 1'704'067'200'000;

// A realistic trade stream: `symbols` pairs trading in turn, 20 trades per
// symbol per second, prices wandering by a few cents, small quantities with 8
// decimals, and a minute rollover every 1200 trades per symbol.
std::vector<domain::Tick> MakeTicks(int symbols, int count) {
  std::vector<domain::Tick> ticks;
  ticks.reserve(count);
  BenchmarkRandom random;
  auto next = [&random] { return random.Next(); };
  const common::Decimal base = *common::Decimal::Parse("64250.12");
  for (int i = 0; i < count; ++i) {
    const int symbol = i % symbols;
    const int64_t sequence = i / symbols;
    const common::Decimal offset =
        *common::Decimal::FromRaw(static_cast<__int128>(next() % 10'000) *
                                  10'000'000'000'000'000);  // 0.00 .. 99.99
    const common::Decimal quantity = *common::Decimal::FromRaw(
        static_cast<__int128>(next() % 100'000'000 + 1) *
        10'000'000'000);  // 8 decimals
    ticks.push_back(domain::Tick{
        "SYM" + std::to_string(symbol) + "USDT", *base.Add(offset), quantity,
        kT0 + sequence * 50 + static_cast<int64_t>(next() % 40), sequence});
  }
  return ticks;
}

void BM_Ingest(benchmark::State& state) {
  const int symbols = static_cast<int>(state.range(0));
  const std::vector<domain::Tick> ticks = MakeTicks(symbols, 200'000);
  int64_t processed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    domain::CandleAggregator aggregator;
    state.ResumeTiming();
    for (const domain::Tick& tick : ticks) {
      benchmark::DoNotOptimize(aggregator.Ingest(tick));
    }
    benchmark::DoNotOptimize(aggregator.TakeClosedCandles());
    processed += static_cast<int64_t>(ticks.size());
  }
  state.SetItemsProcessed(processed);
  state.counters["ticks_per_second"] = benchmark::Counter(
      static_cast<double>(processed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Ingest)->Arg(1)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cryptotracker::pricing
