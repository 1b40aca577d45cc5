// Cost of the decimal text conversions on the candle read path: a
// 1,000-candle GetCandles response parses and prints 6,000 numeric values
// (PostgreSQL numeric text -> Decimal -> canonical text).
//
//   bazel run -c opt //services/pricing-service/benchmark:decimal_benchmark
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "services/common/decimal.h"
#include "services/pricing-service/benchmark/benchmark_random.h"

namespace cryptotracker::pricing {
namespace {

// Texts shaped like stored candle columns: prices with 2 decimals, volumes
// with 8, quote volumes with up to 18 (sums of rounded products), and the
// trailing zeros a numeric column keeps.
std::vector<std::string> CandleTexts(int count) {
  std::vector<std::string> texts;
  texts.reserve(count);
  BenchmarkRandom random;
  auto next = [&random] { return random.Next(); };
  for (int i = 0; i < count; ++i) {
    const uint64_t r = next();
    switch (i % 6) {
      case 0:
      case 1:
      case 2:
      case 3:
        texts.push_back(std::to_string(60'000 + r % 10'000) + "." +
                        std::to_string(10 + r % 90) + "000000");
        break;
      case 4:
        texts.push_back(std::to_string(r % 500) + "." +
                        std::to_string(10'000'000 + r % 90'000'000));
        break;
      default:
        texts.push_back(std::to_string(r % 30'000'000) + "." +
                        std::to_string(100'000'000'000'000'000 +
                                       r % 900'000'000'000'000'000));
        break;
    }
  }
  return texts;
}

void BM_ParseThenToString(benchmark::State& state) {
  const std::vector<std::string> texts =
      CandleTexts(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    for (const std::string& text : texts) {
      std::string canonical = common::Decimal::Parse(text)->ToString();
      benchmark::DoNotOptimize(canonical);
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ParseThenToString)->Arg(6'000);

void BM_Parse(benchmark::State& state) {
  const std::vector<std::string> texts =
      CandleTexts(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    for (const std::string& text : texts) {
      benchmark::DoNotOptimize(common::Decimal::Parse(text));
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Parse)->Arg(6'000);

void BM_ToString(benchmark::State& state) {
  std::vector<common::Decimal> values;
  for (const std::string& text :
       CandleTexts(static_cast<int>(state.range(0)))) {
    values.push_back(*common::Decimal::Parse(text));
  }
  for (auto _ : state) {
    for (const common::Decimal& value : values) {
      std::string text = value.ToString();
      benchmark::DoNotOptimize(text);
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ToString)->Arg(6'000);

}  // namespace
}  // namespace cryptotracker::pricing
