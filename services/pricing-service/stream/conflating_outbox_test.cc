#include "services/pricing-service/stream/conflating_outbox.h"

#include <optional>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::stream {
namespace {

TEST(ConflatingOutboxTest, IdleOutboxWritesAtOnce) {
  ConflatingOutbox outbox(3);
  EXPECT_EQ(outbox.Push(1), std::optional<size_t>(1));
  EXPECT_TRUE(outbox.busy());
  EXPECT_EQ(outbox.WriteDone(), std::nullopt);
  EXPECT_FALSE(outbox.busy());
}

TEST(ConflatingOutboxTest, SlowReaderGetsEachChangedKeyOnceInArrivalOrder) {
  ConflatingOutbox outbox(4);
  ASSERT_EQ(outbox.Push(0), std::optional<size_t>(0));  // in flight
  // While the write is in flight, key 2 changes 1000 times and key 1 once.
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(outbox.Push(2), std::nullopt);
  EXPECT_EQ(outbox.Push(1), std::nullopt);
  EXPECT_EQ(outbox.Push(2), std::nullopt);
  EXPECT_EQ(outbox.WriteDone(), std::optional<size_t>(2));
  EXPECT_EQ(outbox.WriteDone(), std::optional<size_t>(1));
  EXPECT_EQ(outbox.WriteDone(), std::nullopt);
  EXPECT_FALSE(outbox.busy());
}

TEST(ConflatingOutboxTest, KeyWrittenAgainAfterItsWriteStarted) {
  ConflatingOutbox outbox(2);
  ASSERT_EQ(outbox.Push(0), std::optional<size_t>(0));
  EXPECT_EQ(outbox.Push(0), std::nullopt);  // changed during its own write
  EXPECT_EQ(outbox.WriteDone(), std::optional<size_t>(0));
  EXPECT_EQ(outbox.WriteDone(), std::nullopt);
}

TEST(ConflatingOutboxTest, HeartbeatOnlyWhenIdle) {
  ConflatingOutbox outbox(2);
  EXPECT_EQ(outbox.PushHeartbeatIfIdle(),
            std::optional<size_t>(ConflatingOutbox::kHeartbeat));
  EXPECT_EQ(outbox.PushHeartbeatIfIdle(), std::nullopt);  // busy
  EXPECT_EQ(outbox.Push(1), std::nullopt);
  EXPECT_EQ(outbox.WriteDone(), std::optional<size_t>(1));
  EXPECT_EQ(outbox.PushHeartbeatIfIdle(), std::nullopt);
  EXPECT_EQ(outbox.WriteDone(), std::nullopt);
  EXPECT_TRUE(outbox.PushHeartbeatIfIdle().has_value());
}

TEST(ConflatingOutboxTest, OutOfRangeKeyIsIgnored) {
  ConflatingOutbox outbox(2);
  EXPECT_EQ(outbox.Push(7), std::nullopt);
  EXPECT_FALSE(outbox.busy());
}

}  // namespace
}  // namespace cryptotracker::pricing::stream
