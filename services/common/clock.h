// The wall clock as the services store and compare it: milliseconds since
// the Unix epoch (the unit of exchange timestamps and of the contracts'
// times), and its text form in logs and JSON.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_CLOCK_H_
#define CRYPTOTRACKER_SERVICES_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace cryptotracker::common {

inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 3339 UTC with milliseconds, e.g. "2026-01-02T03:04:05.678Z", for a
// time at or after the epoch.
std::string Rfc3339Millis(int64_t time_ms);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_CLOCK_H_
