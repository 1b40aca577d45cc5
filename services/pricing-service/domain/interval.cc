#include "services/pricing-service/domain/interval.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cryptotracker::pricing::domain {

absl::StatusOr<Interval> ParseInterval(std::string_view name) {
  for (Interval interval : kAllIntervals) {
    if (IntervalName(interval) == name) return interval;
  }
  // Quote at most a short prefix of the offending text in the message.
  const std::string shown(name.substr(0, 16));
  return absl::InvalidArgumentError(
      absl::StrCat("unknown interval \"", shown,
                   "\"; expected one of 1m, 5m, 15m, 1h, 4h, 1d"));
}

std::string_view IntervalName(Interval interval) {
  switch (interval) {
    case Interval::k1m:
      return "1m";
    case Interval::k5m:
      return "5m";
    case Interval::k15m:
      return "15m";
    case Interval::k1h:
      return "1h";
    case Interval::k4h:
      return "4h";
    case Interval::k1d:
      return "1d";
  }
  return "unknown";
}

int64_t IntervalMillis(Interval interval) {
  constexpr int64_t kMinute = 60'000;
  switch (interval) {
    case Interval::k1m:
      return kMinute;
    case Interval::k5m:
      return 5 * kMinute;
    case Interval::k15m:
      return 15 * kMinute;
    case Interval::k1h:
      return 60 * kMinute;
    case Interval::k4h:
      return 240 * kMinute;
    case Interval::k1d:
      return 1440 * kMinute;
  }
  return kMinute;
}

int64_t AlignToInterval(int64_t time_ms, Interval interval) {
  const int64_t width = IntervalMillis(interval);
  int64_t remainder = time_ms % width;
  if (remainder < 0) remainder += width;
  return time_ms - remainder;
}

double PeriodsPerYear(Interval interval) {
  constexpr double kMillisPerYear = 365.0 * 24 * 60 * 60 * 1000;
  return kMillisPerYear / static_cast<double>(IntervalMillis(interval));
}

}  // namespace cryptotracker::pricing::domain
