#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pricing-service/feed/history_filler.h"
#include "services/pricing-service/feed/market_feed.h"

namespace cryptotracker::pricing::feed {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kMinute = 60'000;
// 2025-01-01T00:00:00Z.
constexpr int64_t kT0 = 1'735'689'600'000;

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

Candle Minute(const std::string& pair, int64_t open_time, bool closed = true) {
  Candle candle;
  candle.symbol = pair;
  candle.interval = Interval::k1m;
  candle.open_time_ms = open_time;
  candle.open = D("10");
  candle.high = D("12");
  candle.low = D("9");
  candle.close = D("11");
  candle.volume = D("1");
  candle.quote_volume = D("11");
  candle.trade_count = 1;
  candle.closed = closed;
  return candle;
}

TEST(MissingMinuteRangesTest, FindsHolesAtStartMiddleAndEnd) {
  const std::vector<int64_t> stored = {kT0 + 2 * kMinute, kT0 + 3 * kMinute,
                                       kT0 + 6 * kMinute};
  EXPECT_THAT(MissingMinuteRanges(stored, kT0, kT0 + 8 * kMinute),
              ElementsAre(MinuteRange{kT0, kT0 + 2 * kMinute},
                          MinuteRange{kT0 + 4 * kMinute, kT0 + 6 * kMinute},
                          MinuteRange{kT0 + 7 * kMinute, kT0 + 8 * kMinute}));
}

TEST(MissingMinuteRangesTest, CompleteRangeHasNoHolesAndBoundsAlign) {
  EXPECT_THAT(
      MissingMinuteRanges({kT0, kT0 + kMinute}, kT0 + 1, kT0 + 2 * kMinute),
      IsEmpty());
  // Unaligned bounds are aligned down; stored times outside are ignored.
  EXPECT_THAT(MissingMinuteRanges({kT0 - kMinute, kT0 + 5 * kMinute},
                                  kT0 + 30'000, kT0 + 2 * kMinute + 1),
              ElementsAre(MinuteRange{kT0, kT0 + 2 * kMinute}));
  EXPECT_THAT(MissingMinuteRanges({}, kT0, kT0), IsEmpty());
}

// Serves a fixed minute-by-minute history and records what was asked.
class FakeHistory final : public market::HistorySource {
 public:
  std::string name() const override { return "fake"; }
  std::vector<Candle> FetchOneMinuteCandles(const std::string& pair,
                                            int64_t from_ms,
                                            int64_t to_ms) override {
    if (fail) throw std::runtime_error("exchange down");
    requests.push_back({from_ms, to_ms});
    std::vector<Candle> candles;
    for (int64_t t = from_ms; t < to_ms; t += kMinute) {
      candles.push_back(Minute(pair, t));
    }
    // A still-forming minute and another pair must be filtered out.
    candles.push_back(Minute(pair, to_ms, false));
    candles.push_back(Minute("OTHERUSDT", from_ms));
    return candles;
  }
  std::vector<MinuteRange> requests;
  bool fail = false;
};

// An in-memory candle table keyed by (pair, open time).
class FakeStore final : public market::CandleStore {
 public:
  void UpsertCandles(
      const std::vector<market::SourcedCandle>& candles) override {
    for (const auto& c : candles) {
      rows[{c.candle.symbol, c.candle.open_time_ms}] = c.source;
    }
    ++batches;
  }
  std::vector<int64_t> OpenTimes(const std::string& pair, int64_t from,
                                 int64_t to) const {
    std::vector<int64_t> times;
    for (const auto& [key, source] : rows) {
      if (key.first == pair && key.second >= from && key.second < to) {
        times.push_back(key.second);
      }
    }
    return times;
  }
  std::map<std::pair<std::string, int64_t>, std::string> rows;
  int batches = 0;
};

class HistoryFillerTest : public ::testing::Test {
 protected:
  FakeHistory history_;
  FakeStore store_;
  int64_t now_ = kT0 + 10 * kMinute + 30'000;  // minute 10 is forming
  HistoryFiller filler_{
      history_, store_,
      [this](const std::string& pair, int64_t from, int64_t to) {
        return store_.OpenTimes(pair, from, to);
      },
      [this] { return now_; }};
};

TEST_F(HistoryFillerTest,
       FillMissingFetchesOnlyFromTheFirstHoleAndIsIdempotent) {
  store_.UpsertCandles({{Minute("BTCUSDT", kT0), "fake:trades"},
                        {Minute("BTCUSDT", kT0 + kMinute), "fake:trades"}});
  const FillResult first = filler_.FillMissing("BTCUSDT", kT0, now_);
  EXPECT_EQ(first.ranges_fetched, 1);
  // Minutes 2..9: the forming minute 10 is not history yet.
  EXPECT_EQ(first.candles_written, 8);
  EXPECT_THAT(history_.requests,
              ElementsAre(MinuteRange{kT0 + 2 * kMinute, kT0 + 10 * kMinute}));
  EXPECT_EQ(store_.rows.size(), 10u);
  EXPECT_EQ((store_.rows[{"BTCUSDT", kT0 + 9 * kMinute}]), "fake:klines");
  EXPECT_EQ((store_.rows[{"BTCUSDT", kT0}]), "fake:trades");
  EXPECT_EQ(store_.rows.count({"OTHERUSDT", kT0 + 2 * kMinute}), 0u);

  // Nothing missing: no request, nothing written.
  const FillResult second = filler_.FillMissing("BTCUSDT", kT0, now_);
  EXPECT_EQ(second.ranges_fetched, 0);
  EXPECT_EQ(second.candles_written, 0);
  EXPECT_EQ(history_.requests.size(), 1u);
}

TEST_F(HistoryFillerTest, FillMissingWalksLongRangesADayAtATime) {
  now_ = kT0 + 3 * 24 * 60 * kMinute;
  const FillResult result = filler_.FillMissing("ETHUSDT", kT0, now_);
  EXPECT_EQ(result.ranges_fetched, 3);
  EXPECT_EQ(result.candles_written, 3 * 24 * 60);
  EXPECT_EQ(store_.batches, 3);
}

TEST_F(HistoryFillerTest, RefetchReplacesStoredTradeCandles) {
  store_.UpsertCandles({{Minute("BTCUSDT", kT0 + kMinute), "fake:trades"}});
  const FillResult result =
      filler_.Refetch("BTCUSDT", kT0 + 10'000, kT0 + 3 * kMinute + 5);
  EXPECT_EQ(result.candles_written, 3);
  EXPECT_EQ((store_.rows[{"BTCUSDT", kT0 + kMinute}]), "fake:klines");
  // The range end is clamped to the last closed minute.
  EXPECT_EQ(filler_.Refetch("BTCUSDT", kT0 + 9 * kMinute, kT0 + 60 * kMinute)
                .candles_written,
            1);
}

TEST_F(HistoryFillerTest, SourceFailurePropagatesAndWritesNothing) {
  history_.fail = true;
  EXPECT_THROW(filler_.FillMissing("BTCUSDT", kT0, now_), std::runtime_error);
  EXPECT_TRUE(store_.rows.empty());
}

// Records what reaches the service side.
class RecordingSink final : public market::TickSink {
 public:
  void OnTick(const Tick& tick, std::string_view source) override {
    ticks.push_back(tick.symbol + "@" + tick.price.ToString() + "/" +
                    std::string(source));
  }
  void OnTicker(const market::MarketTicker& ticker,
                std::string_view source) override {
    tickers.push_back(ticker);
    sources.emplace_back(source);
  }
  void OnClosedCandle(const Candle& candle, std::string_view) override {
    candles.push_back(candle);
  }
  std::vector<std::string> ticks;
  std::vector<market::MarketTicker> tickers;
  std::vector<std::string> sources;
  std::vector<Candle> candles;
};

TEST(FeedBridgeTest, ForwardsTradesTickersAndOnlyClosedMinuteKlines) {
  RecordingSink sink;
  std::vector<std::string> gaps;
  FeedBridge bridge(sink, "binance",
                    [&](const std::string& pair, int64_t from, int64_t to) {
                      gaps.push_back(pair + ":" + std::to_string(to - from));
                    });
  bridge.OnTrade(Tick{.symbol = "BTCUSDT",
                      .price = D("97000.12"),
                      .quantity = D("0.5"),
                      .time_ms = kT0,
                      .trade_id = 7});
  providers::Ticker ticker;
  ticker.symbol = "ETHUSDT";
  ticker.event_time_ms = kT0 + 5;
  ticker.close = D("3400.5");
  ticker.open = D("3300");
  ticker.high = D("3450");
  ticker.low = D("3290.25");
  ticker.base_volume = D("1000");
  ticker.quote_volume = D("3400000");
  bridge.OnTicker(ticker);
  bridge.OnKline(Minute("BTCUSDT", kT0, /*closed=*/false));
  bridge.OnKline(Minute("BTCUSDT", kT0, /*closed=*/true));
  Candle hourly = Minute("BTCUSDT", kT0);
  hourly.interval = Interval::k1h;
  bridge.OnKline(hourly);
  bridge.OnGap("SOLUSDT", kT0, kT0 + 90'000);

  EXPECT_THAT(sink.ticks, ElementsAre("BTCUSDT@97000.12/binance"));
  ASSERT_EQ(sink.tickers.size(), 1u);
  EXPECT_EQ(sink.tickers[0].pair, "ETHUSDT");
  EXPECT_EQ(sink.tickers[0].last_price, D("3400.5"));
  EXPECT_EQ(sink.tickers[0].low, D("3290.25"));
  EXPECT_EQ(sink.tickers[0].quote_volume, D("3400000"));
  EXPECT_EQ(sink.tickers[0].event_time_ms, kT0 + 5);
  EXPECT_THAT(sink.sources, ElementsAre("binance"));
  ASSERT_EQ(sink.candles.size(), 1u);
  EXPECT_TRUE(sink.candles[0].closed);
  EXPECT_EQ(bridge.closed_klines(), 1);
  EXPECT_THAT(gaps, ElementsAre("SOLUSDT:90000"));
  EXPECT_EQ(bridge.gaps(), 1);
}

TEST(FeedBridgeTest, TracksConnectionState) {
  RecordingSink sink;
  FeedBridge bridge(sink, "binance", nullptr);
  EXPECT_FALSE(bridge.connected());
  bridge.OnStatus(true, "subscribed");
  EXPECT_TRUE(bridge.connected());
  bridge.OnStatus(false, "closed by server");
  bridge.OnStatus(false, "connect failed");
  EXPECT_FALSE(bridge.connected());
  EXPECT_EQ(bridge.disconnects(), 1);
  bridge.OnGap("BTCUSDT", 1, 2);  // no handler: counted only
  EXPECT_EQ(bridge.gaps(), 1);
}

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

  // Stop drops tasks that are not due yet.
  worker.PostAt(now + std::chrono::hours(1), "never", record("never"));
  EXPECT_EQ(worker.pending(), 1u);
  worker.Stop();
  EXPECT_EQ(worker.pending(), 0u);
  worker.Post("after stop", record("after stop"));
  EXPECT_EQ(worker.pending(), 0u);
}

}  // namespace
}  // namespace cryptotracker::pricing::feed
