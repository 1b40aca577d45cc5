// Polling for the client's tests: a condition that becomes true on another
// thread (a stream delivering, a server dying) within a bound.
#ifndef CRYPTOTRACKER_PRICING_CLIENT_WAIT_FOR_H_
#define CRYPTOTRACKER_PRICING_CLIENT_WAIT_FOR_H_

#include <chrono>
#include <thread>

namespace cryptotracker::pricing::client::testing {

// True as soon as `predicate()` is; false when it still is not after
// `timeout` (checked every 20 ms).
template <typename Predicate>
bool WaitFor(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}

}  // namespace cryptotracker::pricing::client::testing

#endif  // CRYPTOTRACKER_PRICING_CLIENT_WAIT_FOR_H_
