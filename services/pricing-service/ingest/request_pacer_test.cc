#include "services/pricing-service/ingest/request_pacer.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::ingest {
namespace {

using std::chrono::milliseconds;

TEST(RequestPacerTest, SpacesRequestsByWeightWithinTheMinuteBudget) {
  // 1200 weight a minute: 50 ms per unit, so a request of weight 2 every
  // 100 ms and never more than 600 of them in a minute.
  RequestPacer pacer(1200);
  const RequestPacer::Clock::time_point t0{};
  EXPECT_EQ(pacer.Reserve(2, t0), milliseconds(0));
  EXPECT_EQ(pacer.Reserve(2, t0), milliseconds(100));
  EXPECT_EQ(pacer.Reserve(2, t0 + milliseconds(50)), milliseconds(150));
  // After a pause the next request goes at once: slots do not pile up.
  EXPECT_EQ(pacer.Reserve(2, t0 + milliseconds(1000)), milliseconds(0));
  int within_a_minute = 0;
  RequestPacer fresh(1200);
  for (int i = 0; i < 1000; ++i) {
    if (fresh.Reserve(2, t0) < std::chrono::minutes(1)) ++within_a_minute;
  }
  EXPECT_EQ(within_a_minute, 600);
}

TEST(RequestPacerTest, ShutdownWakesAWaiterAndFailsLaterCalls) {
  RequestPacer pacer(1);  // a minute per unit
  ASSERT_TRUE(pacer.Acquire(1));
  std::thread waiter([&pacer] { EXPECT_FALSE(pacer.Acquire(1)); });
  std::this_thread::sleep_for(milliseconds(20));
  pacer.Shutdown();
  waiter.join();
  EXPECT_FALSE(pacer.Acquire(1));
}

TEST(RequestPacerTest, RefusesANonPositiveBudget) {
  EXPECT_THROW(RequestPacer(0), std::invalid_argument);
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
