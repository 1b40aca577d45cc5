// Integration test (TEST_DATABASE_URL): two replicas record the same trade
// stream into one database, each a CandleRecorder behind a PairWriterLease.
// Only the lease holder writes; when it dies mid-stream (its session ends,
// its last closed minute never flushed), the other takes over, and the
// stored candles and roll-ups are still exactly the exchange's.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/storage/pricing_repository.h"
#include "services/pricing-service/storage/test_database.h"
#include "services/pricing-service/storage/writer_lease.h"

namespace cryptotracker::pricing::storage {
namespace {

constexpr int64_t kMinuteMs = 60'000;
// 2024-03-01T00:00:00Z.
constexpr int64_t kStart = 1'709'251'200'000;

// One replica: its lease, its repository, its recorder.
struct Replica {
  Replica(TestDatabase& database, std::atomic<int64_t>& now_ms)
      : lease(database.connection_string(), {"BTCUSDT"},
              {.renew_interval = std::chrono::milliseconds(100)}),
        repository(database.pool(), {.roll_up_on_write = true}),
        recorder(
            repository, {"BTCUSDT"},
            {.flush_interval = std::chrono::hours(1),
             .may_write =
                 [this](const std::string& pair) { return lease.Holds(pair); },
             .clock = [&now_ms] { return now_ms.load(); }}) {}

  PairWriterLease lease;
  PricingRepository repository;
  market::CandleRecorder recorder;
};

// The trades of one minute: a few prices with 8-decimal quantities.
std::vector<domain::Tick> TradesOf(int minute) {
  std::vector<domain::Tick> trades;
  for (int i = 0; i < 5; ++i) {
    const std::string price =
        std::to_string(64000 + minute * 7 + (i * 13) % 9) + "." +
        std::to_string(10 + i);
    trades.push_back({"BTCUSDT", *common::Decimal::Parse(price),
                      *common::Decimal::Parse("0.0012345" + std::to_string(i)),
                      kStart + minute * kMinuteMs + i * 9'000 + 1,
                      std::nullopt});
  }
  return trades;
}

bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(WriterFailoverTest, TheOtherReplicaTakesOverAndTheCandlesStayExact) {
  TestDatabase database("pricing_failover");
  std::atomic<int64_t> now_ms{kStart};
  auto first = std::make_unique<Replica>(database, now_ms);
  Replica second(database, now_ms);
  ASSERT_EQ(first->lease.Renew(), 1u);
  second.lease.Start();

  // What the exchange reports: every trade folded into minutes.
  domain::CandleAggregator exchange;
  std::vector<domain::Candle> expected;
  auto trade_minute = [&](int minute, std::vector<Replica*> replicas) {
    for (const domain::Tick& tick : TradesOf(minute)) {
      exchange.Ingest(tick);
      for (Replica* replica : replicas) {
        replica->recorder.OnTick(tick, "binance");
      }
    }
  };
  auto close_minutes_until = [&](int minute) {
    now_ms = kStart + minute * kMinuteMs + 3'000;
    exchange.AdvanceTo(now_ms);
    for (domain::Candle& candle : exchange.TakeClosedCandles()) {
      expected.push_back(std::move(candle));
    }
  };

  for (int minute = 0; minute < 4; ++minute) {
    trade_minute(minute, {first.get(), &second});
    close_minutes_until(minute + 1);
    ASSERT_TRUE(first->recorder.Flush());
    ASSERT_TRUE(second.recorder.Flush());
  }
  EXPECT_EQ(first->recorder.stats().candles_written, 4);
  EXPECT_EQ(second.recorder.stats().candles_written, 0);
  EXPECT_GT(second.recorder.stats().held_back, 0u);

  // Minute 4 closes on both, but the writer dies before its next flush: its
  // session ends (as when the process is killed) and it never writes again.
  trade_minute(4, {first.get(), &second});
  close_minutes_until(5);
  ASSERT_TRUE(second.recorder.Flush());  // still not the writer: held back
  first->lease.Stop();
  ASSERT_TRUE(WaitUntil([&] { return second.lease.Holds("BTCUSDT"); }))
      << "no takeover within 10 s";
  first.reset();

  for (int minute = 5; minute < 8; ++minute) {
    trade_minute(minute, {&second});
    close_minutes_until(minute + 1);
    ASSERT_TRUE(second.recorder.Flush());
  }

  const std::vector<domain::Candle> stored = database.repository().QueryCandles(
      "BTCUSDT", domain::Interval::k1m, kStart, now_ms, 100, false);
  ASSERT_EQ(expected.size(), 8u);
  EXPECT_EQ(stored, expected);  // minute 4 included: the held-back one
  for (domain::Interval interval :
       {domain::Interval::k5m, domain::Interval::k15m, domain::Interval::k1h}) {
    absl::StatusOr<std::vector<domain::Candle>> rolled =
        domain::RollUp(expected, interval);
    ASSERT_TRUE(rolled.ok());
    EXPECT_EQ(database.repository().QueryCandles("BTCUSDT", interval, kStart,
                                                 now_ms, 100, false),
              *rolled)
        << domain::IntervalName(interval);
  }
}

}  // namespace
}  // namespace cryptotracker::pricing::storage
