#include "services/common/clock.h"

#include "gtest/gtest.h"

namespace cryptotracker::common {
namespace {

TEST(ClockTest, Rfc3339MillisIsUtcWithThreeFractionDigits) {
  EXPECT_EQ(Rfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Rfc3339Millis(1'767'323'045'678), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(Rfc3339Millis(951'782'400'007), "2000-02-29T00:00:00.007Z");
}

TEST(ClockTest, WallClockMsIsNowInMilliseconds) {
  const int64_t before =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t now = WallClockMs();
  EXPECT_GE(now, before);
  EXPECT_LT(now - before, 1000);
}

}  // namespace
}  // namespace cryptotracker::common
