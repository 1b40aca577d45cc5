// Exponential backoff with jitter, for reconnects and retried requests.
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_BACKOFF_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_BACKOFF_H_

#include <chrono>
#include <cstdint>
#include <random>

namespace cryptotracker::pricing::providers {

// Delays grow initial, 2x, 4x, ... up to `max`; each is drawn uniformly from
// [d/2, d] ("equal jitter"), so that many clients that lost the exchange at
// the same moment do not come back in lock-step, while the delay still
// grows steadily.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
          uint64_t seed = std::random_device{}())
      : initial_(initial), max_(max), random_(seed) {}

  std::chrono::milliseconds Next() {
    int64_t ceiling = initial_.count();
    for (int i = 0; i < attempts_ && ceiling < max_.count(); ++i) ceiling *= 2;
    if (ceiling > max_.count()) ceiling = max_.count();
    ++attempts_;
    std::uniform_int_distribution<int64_t> jitter(ceiling / 2, ceiling);
    return std::chrono::milliseconds(jitter(random_));
  }

  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 random_;
  int attempts_ = 0;
};

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_BACKOFF_H_
