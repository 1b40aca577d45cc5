#include "services/common/blocking_executor.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "gtest/gtest.h"

namespace cryptotracker::common {
namespace {

TEST(BlockingExecutorTest, RunsTasksOnItsWorkers) {
  BlockingExecutor executor(2, 16);
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(executor.Post(
      [&ran_on] { ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
}

TEST(BlockingExecutorTest, RefusesBeyondTheQueueLimitAndAfterStop) {
  BlockingExecutor executor(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(executor.Post([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the only worker is busy now
  std::atomic<int> ran{0};
  EXPECT_TRUE(executor.Post([&ran] { ++ran; }));
  EXPECT_TRUE(executor.Post([&ran] { ++ran; }));
  EXPECT_FALSE(executor.Post([&ran] { ++ran; }));  // queue full
  EXPECT_EQ(executor.queued(), 2u);
  release.set_value();
  executor.Stop();  // runs the two queued tasks before returning
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(executor.Post([] {}));
}

}  // namespace
}  // namespace cryptotracker::common
