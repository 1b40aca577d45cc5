#include "services/pricing-service/ingest/background_worker.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cryptotracker::pricing::ingest {
namespace {

using ::testing::ElementsAre;

TEST(BackgroundWorkerTest, RunsTasksByDueTimeAndSurvivesFailures) {
  BackgroundWorker worker;
  std::mutex mu;
  std::condition_variable done;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name] {
      std::lock_guard lock(mu);
      order.push_back(name);
      done.notify_all();
    };
  };
  const auto now = BackgroundWorker::Clock::now();
  worker.PostAt(now + std::chrono::milliseconds(150), "late", record("late"));
  worker.Post("failing", [] { throw std::runtime_error("boom"); });
  worker.Post("first", record("first"));
  worker.Post("second", record("second"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(5),
                              [&] { return order.size() == 3; }));
  }
  EXPECT_THAT(order, ElementsAre("first", "second", "late"));
  EXPECT_EQ(worker.failures(), 1);

  // Stop drops the tasks not due yet (releasing what they hold) and later
  // posts are ignored.
  auto held = std::make_shared<int>(0);
  worker.PostAt(now + std::chrono::hours(1), "never", [held] { ++*held; });
  EXPECT_EQ(held.use_count(), 2);
  worker.Stop();
  EXPECT_EQ(held.use_count(), 1);
  worker.Post("after stop", [held] { ++*held; });
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_EQ(*held, 0);
  std::lock_guard lock(mu);
  EXPECT_THAT(order, ElementsAre("first", "second", "late"));
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
