// A tiny deterministic generator for benchmark inputs: the same numbers on
// every run and machine, so that runs compare (xorshift64, Marsaglia 2003).
#ifndef CRYPTOTRACKER_PRICING_BENCHMARK_BENCHMARK_RANDOM_H_
#define CRYPTOTRACKER_PRICING_BENCHMARK_BENCHMARK_RANDOM_H_

#include <cstdint>

namespace cryptotracker::pricing {

class BenchmarkRandom {
 public:
  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }

 private:
  uint64_t state_ = 88172645463325252ULL;
};

}  // namespace cryptotracker::pricing

#endif  // CRYPTOTRACKER_PRICING_BENCHMARK_BENCHMARK_RANDOM_H_
