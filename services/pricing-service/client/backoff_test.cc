#include "services/pricing-service/client/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace cryptotracker::pricing::client {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsWithinTheUpperHalfUpToTheCap) {
  Backoff backoff({.initial = milliseconds(100), .max = milliseconds(1'000)},
                  /*seed=*/7);
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t ceiling : ceilings) {
    const milliseconds delay = backoff.NextDelay();
    EXPECT_GE(delay.count(), ceiling / 2) << "ceiling " << ceiling;
    EXPECT_LE(delay.count(), ceiling) << "ceiling " << ceiling;
  }
}

TEST(BackoffTest, ResetStartsOverFromTheInitialDelay) {
  Backoff backoff({.initial = milliseconds(100), .max = milliseconds(10'000)},
                  /*seed=*/3);
  for (int i = 0; i < 6; ++i) backoff.NextDelay();
  EXPECT_GT(backoff.NextDelay().count(), 100);
  backoff.Reset();
  EXPECT_LE(backoff.NextDelay().count(), 100);
}

TEST(BackoffTest, JitterSpreadsClientsThatFailedTogether) {
  std::set<int64_t> first_delays;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Backoff backoff({.initial = milliseconds(1'000)}, seed);
    first_delays.insert(backoff.NextDelay().count());
  }
  EXPECT_GT(first_delays.size(), 10u);
}

TEST(BackoffTest, LongOutagesStayAtTheCapWithoutOverflow) {
  Backoff backoff({.initial = milliseconds(1),
                   .max = milliseconds(5'000),
                   .multiplier = 10.0},
                  /*seed=*/1);
  for (int i = 0; i < 10'000; ++i) {
    const milliseconds delay = backoff.NextDelay();
    ASSERT_GE(delay.count(), 0);
    ASSERT_LE(delay.count(), 5'000);
  }
  EXPECT_GE(backoff.NextDelay().count(), 2'500);
}

TEST(BackoffTest, NonsensicalPoliciesAreClampedToUsableOnes) {
  Backoff backoff(
      {.initial = milliseconds(0), .max = milliseconds(0), .multiplier = 0.5},
      /*seed=*/1);
  for (int i = 0; i < 5; ++i) EXPECT_LE(backoff.NextDelay().count(), 1);
}

}  // namespace
}  // namespace cryptotracker::pricing::client
