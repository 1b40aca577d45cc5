// The wall clock as the services store and compare it: milliseconds since
// the Unix epoch (the unit of exchange timestamps and of the contracts'
// times).
#ifndef CRYPTOTRACKER_SERVICES_COMMON_CLOCK_H_
#define CRYPTOTRACKER_SERVICES_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace cryptotracker::common {

inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_CLOCK_H_
