#include "services/pricing-service/market/candle_recorder.h"

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::market {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

constexpr int64_t kMinute0 = 1'700'000'040'000;  // a minute boundary

class FakeStore : public CandleStore {
 public:
  void UpsertCandles(const std::vector<SourcedCandle>& candles) override {
    std::lock_guard lock(mu);
    if (fail) throw std::runtime_error("database is down");
    batches.push_back(candles);
  }
  std::mutex mu;
  bool fail = false;
  std::vector<std::vector<SourcedCandle>> batches;
};

class CandleRecorderTest : public ::testing::Test {
 protected:
  CandleRecorderTest()
      : recorder_(store_, {"BTCUSDT"},
                  {.flush_interval = std::chrono::hours(1),
                   .max_buffered = 3,
                   .clock = [this] { return now_ms_.load(); }}) {}

  void Trade(int64_t time_ms, const char* price) {
    recorder_.OnTick({"BTCUSDT", D(price), D("2"), time_ms, std::nullopt},
                     "binance");
  }

  std::atomic<int64_t> now_ms_{kMinute0};
  FakeStore store_;
  CandleRecorder recorder_;
};

TEST_F(CandleRecorderTest, FlushWritesOnlyClosedMinutes) {
  Trade(kMinute0 + 1'000, "100");
  Trade(kMinute0 + 2'000, "105");
  ASSERT_TRUE(recorder_.Flush());
  EXPECT_TRUE(store_.batches.empty());  // the minute is still open
  // Readers still see it, as the open candle.
  const std::vector<domain::Candle> unpersisted =
      recorder_.UnpersistedCandles("BTCUSDT");
  ASSERT_EQ(unpersisted.size(), 1u);
  EXPECT_EQ(unpersisted[0].close, D("105"));
  EXPECT_FALSE(unpersisted[0].closed);

  now_ms_ = kMinute0 + 60'000 + 2'000;  // minute end plus the close grace
  ASSERT_TRUE(recorder_.Flush());
  ASSERT_EQ(store_.batches.size(), 1u);
  ASSERT_EQ(store_.batches[0].size(), 1u);
  const SourcedCandle& written = store_.batches[0][0];
  EXPECT_EQ(written.source, "binance:trades");
  EXPECT_TRUE(written.candle.closed);
  EXPECT_EQ(written.candle.open, D("100"));
  EXPECT_EQ(written.candle.high, D("105"));
  EXPECT_EQ(written.candle.volume, D("4"));
  EXPECT_EQ(written.candle.quote_volume, D("410"));
  EXPECT_EQ(recorder_.stats().candles_written, 1);
}

TEST_F(CandleRecorderTest, FailedFlushKeepsCandlesForTheNextOne) {
  Trade(kMinute0 + 1'000, "100");
  Trade(kMinute0 + 61'000, "101");  // closes the first minute
  store_.fail = true;
  EXPECT_FALSE(recorder_.Flush());
  EXPECT_EQ(recorder_.stats().buffered, 1u);
  EXPECT_EQ(recorder_.stats().flush_failures, 1);
  store_.fail = false;
  EXPECT_TRUE(recorder_.Flush());
  ASSERT_EQ(store_.batches.size(), 1u);
  EXPECT_EQ(store_.batches[0][0].candle.open_time_ms, kMinute0);
  EXPECT_EQ(recorder_.stats().buffered, 0u);
}

TEST_F(CandleRecorderTest, BufferIsBoundedAndDropsTheOldest) {
  store_.fail = true;
  for (int minute = 0; minute < 6; ++minute) {
    domain::Candle candle;
    candle.symbol = "BTCUSDT";
    candle.open_time_ms = kMinute0 + minute * 60'000;
    candle.open = candle.high = candle.low = candle.close = D("1");
    candle.closed = true;
    recorder_.OnClosedCandle(candle, "binance");
  }
  EXPECT_FALSE(recorder_.Flush());
  EXPECT_EQ(recorder_.stats().buffered, 3u);
  EXPECT_EQ(recorder_.stats().candles_dropped, 3);
  store_.fail = false;
  ASSERT_TRUE(recorder_.Flush());
  ASSERT_EQ(store_.batches[0].size(), 3u);
  EXPECT_EQ(store_.batches[0][0].candle.open_time_ms, kMinute0 + 3 * 60'000);
  EXPECT_EQ(store_.batches[0][0].source, "binance:klines");
}

TEST_F(CandleRecorderTest, IgnoresUntrackedPairsOpenKlinesAndLateTicks) {
  recorder_.OnTick({"ETHUSDT", D("1"), D("1"), kMinute0, std::nullopt},
                   "binance");
  domain::Candle open_kline;
  open_kline.symbol = "BTCUSDT";
  open_kline.open_time_ms = kMinute0;
  open_kline.open = open_kline.high = open_kline.low = open_kline.close =
      D("1");
  open_kline.closed = false;
  recorder_.OnClosedCandle(open_kline, "binance");
  Trade(kMinute0 + 61'000, "100");
  Trade(kMinute0 + 1'000, "99");  // its minute is behind the open one
  const CandleRecorderStats stats = recorder_.stats();
  EXPECT_EQ(stats.unknown_pair, 1);
  EXPECT_EQ(stats.ticks_accepted, 1);
  EXPECT_EQ(stats.ticks_rejected, 1);
  EXPECT_EQ(stats.buffered, 0u);
}

TEST_F(CandleRecorderTest, StopFlushesClosedCandlesButNotTheOpenMinute) {
  Trade(kMinute0 + 1'000, "100");
  Trade(kMinute0 + 61'000, "101");
  recorder_.Start();
  recorder_.Stop();
  ASSERT_EQ(store_.batches.size(), 1u);
  ASSERT_EQ(store_.batches[0].size(), 1u);
  EXPECT_EQ(store_.batches[0][0].candle.open_time_ms, kMinute0);
}

}  // namespace
}  // namespace cryptotracker::pricing::market

namespace cryptotracker::pricing::market {
namespace {

TEST_F(CandleRecorderTest, UnpersistedCandlesShowClosedAndOpenMinutes) {
  Trade(kMinute0 + 1'000, "100");
  Trade(kMinute0 + 61'000, "101");
  const std::vector<domain::Candle> candles =
      recorder_.UnpersistedCandles("BTCUSDT");
  ASSERT_EQ(candles.size(), 2u);
  EXPECT_TRUE(candles[0].closed);
  EXPECT_EQ(candles[0].open_time_ms, kMinute0);
  EXPECT_FALSE(candles[1].closed);
  EXPECT_EQ(candles[1].close, D("101"));
  EXPECT_TRUE(recorder_.UnpersistedCandles("ETHUSDT").empty());
  now_ms_ = kMinute0 + 10 * 60'000;
  ASSERT_TRUE(recorder_.Flush());
  EXPECT_TRUE(recorder_.UnpersistedCandles("BTCUSDT").empty());
}

TEST_F(CandleRecorderTest, UnpersistedCandlesPreferTheExchangeKline) {
  Trade(kMinute0 + 1'000, "100");
  domain::Candle kline;
  kline.symbol = "BTCUSDT";
  kline.open_time_ms = kMinute0;
  kline.open = kline.low = D("99");
  kline.high = kline.close = D("102");
  kline.trade_count = 5;
  kline.closed = true;
  recorder_.OnClosedCandle(kline, "binance");
  // The trades candle of the same minute closes after the kline arrived.
  Trade(kMinute0 + 61'000, "101");
  const std::vector<domain::Candle> candles =
      recorder_.UnpersistedCandles("BTCUSDT");
  ASSERT_EQ(candles.size(), 2u);
  EXPECT_EQ(candles[0].open_time_ms, kMinute0);
  EXPECT_EQ(candles[0].close, D("102"));
  EXPECT_EQ(candles[0].trade_count, 5);
  EXPECT_FALSE(candles[1].closed);
}

TEST(CandleRecorderLeaseTest, AReplicaThatIsNotTheWriterHoldsBackAndTakesOver) {
  FakeStore store;
  std::atomic<int64_t> now_ms{kMinute0};
  std::atomic<bool> writer{false};
  CandleRecorder recorder(
      store, {"BTCUSDT"},
      {.flush_interval = std::chrono::hours(1),
       .may_write = [&writer](const std::string&) { return writer.load(); },
       .recent_window = std::chrono::minutes(10),
       .clock = [&now_ms] { return now_ms.load(); }});
  auto trade = [&recorder](int64_t time_ms, const char* price) {
    recorder.OnTick({"BTCUSDT", D(price), D("1"), time_ms, std::nullopt},
                    "binance");
  };
  trade(kMinute0 + 1'000, "100");
  trade(kMinute0 + 61'000, "101");  // closes the first minute
  now_ms = kMinute0 + 62'000;
  ASSERT_TRUE(recorder.Flush());
  EXPECT_TRUE(store.batches.empty());  // another replica writes
  EXPECT_EQ(recorder.stats().held_back, 1u);
  // Still served here: held back, and among the recent candles.
  ASSERT_EQ(recorder.UnpersistedCandles("BTCUSDT").size(), 2u);
  ASSERT_EQ(recorder.RecentCandles("BTCUSDT").size(), 2u);

  // The writer died before flushing that minute; this replica takes over
  // and writes it with its next flush.
  writer = true;
  now_ms = kMinute0 + 63'000;
  ASSERT_TRUE(recorder.Flush());
  ASSERT_EQ(store.batches.size(), 1u);
  ASSERT_EQ(store.batches[0].size(), 1u);
  EXPECT_EQ(store.batches[0][0].candle.open_time_ms, kMinute0);
  EXPECT_EQ(recorder.stats().held_back, 0u);
  // Persisted, but still recent: RecentCandles keeps it, the unpersisted
  // ones do not.
  EXPECT_EQ(recorder.UnpersistedCandles("BTCUSDT").size(), 1u);
  EXPECT_EQ(recorder.RecentCandles("BTCUSDT").size(), 2u);
}

TEST(CandleRecorderLeaseTest, HeldBackAndRecentCandlesLastOnlyTheWindow) {
  FakeStore store;
  std::atomic<int64_t> now_ms{kMinute0};
  CandleRecorder recorder(
      store, {"BTCUSDT"},
      {.flush_interval = std::chrono::hours(1),
       .may_write = [](const std::string&) { return false; },
       .recent_window = std::chrono::minutes(2),
       .clock = [&now_ms] { return now_ms.load(); }});
  recorder.OnTick({"BTCUSDT", D("100"), D("1"), kMinute0 + 1'000, std::nullopt},
                  "binance");
  now_ms = kMinute0 + 70'000;
  ASSERT_TRUE(recorder.Flush());
  EXPECT_EQ(recorder.stats().held_back, 1u);
  now_ms = kMinute0 + 3 * 60'000;
  ASSERT_TRUE(recorder.Flush());
  EXPECT_EQ(recorder.stats().held_back, 0u);
  EXPECT_TRUE(recorder.RecentCandles("BTCUSDT").empty());
  EXPECT_TRUE(store.batches.empty());
}

}  // namespace
}  // namespace cryptotracker::pricing::market
