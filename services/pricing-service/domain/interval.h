// Candle widths the service publishes, aligned to UTC boundaries.
#ifndef CRYPTOTRACKER_PRICING_DOMAIN_INTERVAL_H_
#define CRYPTOTRACKER_PRICING_DOMAIN_INTERVAL_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace cryptotracker::pricing::domain {

enum class Interval { k1m, k5m, k15m, k1h, k4h, k1d };

inline constexpr std::array<Interval, 6> kAllIntervals = {
    Interval::k1m, Interval::k5m, Interval::k15m,
    Interval::k1h, Interval::k4h, Interval::k1d};

// Parses the exchange-style names "1m", "5m", "15m", "1h", "4h", "1d".
// Case-sensitive on purpose: exchanges use "1M" for one month. Anything else
// is INVALID_ARGUMENT listing the accepted names.
absl::StatusOr<Interval> ParseInterval(std::string_view name);

// "1m", "5m", "15m", "1h", "4h" or "1d".
std::string_view IntervalName(Interval interval);

// Width in milliseconds.
int64_t IntervalMillis(Interval interval);

// Start of the interval containing `time_ms` (milliseconds since the Unix
// epoch). Intervals are aligned to the epoch, which is a UTC midnight, so
// hours start on the hour, 4h candles at 00:00, 04:00, ... UTC and days at
// UTC midnight. Rounds towards negative infinity for times before the epoch.
int64_t AlignToInterval(int64_t time_ms, Interval interval);

// Number of intervals in 365 days. Crypto markets trade around the clock, so
// annualising uses calendar time rather than 252 trading days.
double PeriodsPerYear(Interval interval);

}  // namespace cryptotracker::pricing::domain

#endif  // CRYPTOTRACKER_PRICING_DOMAIN_INTERVAL_H_
