// Delays between reconnection attempts: exponential growth up to a cap, each
// delay drawn at random from its upper half ("equal jitter"), so that many
// clients cut off by one server restart do not all come back at the same
// instant, while none retries much sooner than the schedule says.
#ifndef CRYPTOTRACKER_PRICING_CLIENT_BACKOFF_H_
#define CRYPTOTRACKER_PRICING_CLIENT_BACKOFF_H_

#include <chrono>
#include <cstdint>
#include <random>

namespace cryptotracker::pricing::client {

struct BackoffPolicy {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{10'000};
  double multiplier = 2.0;
};

class Backoff {
 public:
  // `seed` fixes the jitter (tests); 0 seeds from std::random_device.
  explicit Backoff(BackoffPolicy policy = {}, uint64_t seed = 0);

  // The delay before the next attempt: attempt n (from 0) waits a random
  // duration in [d/2, d] with d = min(max, initial * multiplier^n).
  std::chrono::milliseconds NextDelay();
  // After a success: the next failure starts from `initial` again.
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 random_;
  int attempt_ = 0;
};

}  // namespace cryptotracker::pricing::client

#endif  // CRYPTOTRACKER_PRICING_CLIENT_BACKOFF_H_
