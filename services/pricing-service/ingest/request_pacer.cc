#include "services/pricing-service/ingest/request_pacer.h"

#include <algorithm>
#include <stdexcept>

namespace cryptotracker::pricing::ingest {

RequestPacer::RequestPacer(int weight_per_minute)
    : per_weight_(
          std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) /
          std::max(1, weight_per_minute)) {
  if (weight_per_minute <= 0) {
    throw std::invalid_argument("weight_per_minute must be positive");
  }
}

RequestPacer::Clock::duration RequestPacer::Reserve(int weight,
                                                    Clock::time_point now) {
  std::lock_guard lock(mu_);
  const Clock::time_point slot = std::max(now, next_slot_);
  next_slot_ = slot + per_weight_ * std::max(1, weight);
  return slot - now;
}

bool RequestPacer::Acquire(int weight) {
  const Clock::time_point now = Clock::now();
  const Clock::time_point due = now + Reserve(weight, now);
  std::unique_lock lock(mu_);
  wake_.wait_until(lock, due, [this] { return shut_down_; });
  return !shut_down_;
}

void RequestPacer::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
  }
  wake_.notify_all();
}

}  // namespace cryptotracker::pricing::ingest
