#include "services/pricing-service/domain/interval.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace cryptotracker::pricing::domain {
namespace {

// 2024-01-01T00:00:00Z.
constexpr int64_t kNewYear2024Ms = 1'704'067'200'000;
constexpr int64_t kHourMs = 3'600'000;

TEST(IntervalTest, ParsesEveryNameAndRoundTrips) {
  for (Interval interval : kAllIntervals) {
    absl::StatusOr<Interval> parsed =
        ParseInterval(std::string(IntervalName(interval)));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, interval);
  }
  EXPECT_EQ(*ParseInterval("15m"), Interval::k15m);
  EXPECT_EQ(*ParseInterval("4h"), Interval::k4h);
}

TEST(IntervalTest, RejectsUnknownNames) {
  for (const char* name :
       {"", "1M", "1H", "3m", "30m", "1w", "1d ", "60", "INTERVAL_1M"}) {
    absl::StatusOr<Interval> parsed = ParseInterval(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("expected one of"),
              std::string::npos);
  }
}

TEST(IntervalTest, Widths) {
  EXPECT_EQ(IntervalMillis(Interval::k1m), 60'000);
  EXPECT_EQ(IntervalMillis(Interval::k5m), 300'000);
  EXPECT_EQ(IntervalMillis(Interval::k15m), 900'000);
  EXPECT_EQ(IntervalMillis(Interval::k1h), kHourMs);
  EXPECT_EQ(IntervalMillis(Interval::k4h), 4 * kHourMs);
  EXPECT_EQ(IntervalMillis(Interval::k1d), 24 * kHourMs);
}

TEST(IntervalTest, AlignsToUtcBoundaries) {
  const int64_t t = kNewYear2024Ms + 5 * kHourMs + 37 * 60'000 + 12'345;
  EXPECT_EQ(AlignToInterval(t, Interval::k1m),
            kNewYear2024Ms + 5 * kHourMs + 37 * 60'000);
  EXPECT_EQ(AlignToInterval(t, Interval::k5m),
            kNewYear2024Ms + 5 * kHourMs + 35 * 60'000);
  EXPECT_EQ(AlignToInterval(t, Interval::k15m),
            kNewYear2024Ms + 5 * kHourMs + 30 * 60'000);
  EXPECT_EQ(AlignToInterval(t, Interval::k1h), kNewYear2024Ms + 5 * kHourMs);
  EXPECT_EQ(AlignToInterval(t, Interval::k4h), kNewYear2024Ms + 4 * kHourMs);
  EXPECT_EQ(AlignToInterval(t, Interval::k1d), kNewYear2024Ms);
  // Boundaries belong to the interval they start.
  EXPECT_EQ(AlignToInterval(kNewYear2024Ms, Interval::k1d), kNewYear2024Ms);
  EXPECT_EQ(AlignToInterval(kNewYear2024Ms - 1, Interval::k1d),
            kNewYear2024Ms - 24 * kHourMs);
  // Before the epoch: floor, not truncation towards zero.
  EXPECT_EQ(AlignToInterval(-1, Interval::k1m), -60'000);
  EXPECT_EQ(AlignToInterval(0, Interval::k4h), 0);
}

TEST(IntervalTest, PeriodsPerYearUseCalendarTime) {
  EXPECT_DOUBLE_EQ(PeriodsPerYear(Interval::k1m), 525'600.0);
  EXPECT_DOUBLE_EQ(PeriodsPerYear(Interval::k5m), 105'120.0);
  EXPECT_DOUBLE_EQ(PeriodsPerYear(Interval::k15m), 35'040.0);
  EXPECT_DOUBLE_EQ(PeriodsPerYear(Interval::k1h), 8'760.0);
  EXPECT_DOUBLE_EQ(PeriodsPerYear(Interval::k4h), 2'190.0);
  EXPECT_DOUBLE_EQ(PeriodsPerYear(Interval::k1d), 365.0);
}

}  // namespace
}  // namespace cryptotracker::pricing::domain
