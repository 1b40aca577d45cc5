#include "services/pricing-service/client/backoff.h"

#include <algorithm>
#include <cmath>

namespace cryptotracker::pricing::client {

Backoff::Backoff(BackoffPolicy policy, uint64_t seed)
    : policy_(policy), random_(seed != 0 ? seed : std::random_device{}()) {
  policy_.initial = std::max(policy_.initial, std::chrono::milliseconds(1));
  policy_.max = std::max(policy_.max, policy_.initial);
  policy_.multiplier = std::max(policy_.multiplier, 1.0);
}

std::chrono::milliseconds Backoff::NextDelay() {
  // Computed in double and capped before converting, so a long outage
  // (many attempts) cannot overflow the integer.
  const double uncapped = static_cast<double>(policy_.initial.count()) *
                          std::pow(policy_.multiplier, attempt_);
  const int64_t ceiling = static_cast<int64_t>(
      std::min(uncapped, static_cast<double>(policy_.max.count())));
  // Stop counting once the cap is reached; the delay no longer grows.
  if (uncapped < static_cast<double>(policy_.max.count())) ++attempt_;
  std::uniform_int_distribution<int64_t> upper_half(ceiling / 2, ceiling);
  return std::chrono::milliseconds(upper_half(random_));
}

}  // namespace cryptotracker::pricing::client
