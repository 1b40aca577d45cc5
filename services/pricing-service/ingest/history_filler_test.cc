#include "services/pricing-service/ingest/history_filler.h"

#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pricing-service/ingest/test_candles.h"

namespace cryptotracker::pricing::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr domain::Interval k1m = domain::Interval::k1m;
constexpr domain::Interval k1d = domain::Interval::k1d;
constexpr int64_t kDay = 24 * 60 * kMinute;

TEST(MissingRangesTest, FindsHolesAtStartMiddleAndEnd) {
  const std::vector<int64_t> stored = {kT0 + 2 * kMinute, kT0 + 3 * kMinute,
                                       kT0 + 6 * kMinute};
  EXPECT_THAT(MissingRanges(stored, k1m, kT0, kT0 + 8 * kMinute),
              ElementsAre(TimeRange{kT0, kT0 + 2 * kMinute},
                          TimeRange{kT0 + 4 * kMinute, kT0 + 6 * kMinute},
                          TimeRange{kT0 + 7 * kMinute, kT0 + 8 * kMinute}));
}

TEST(MissingRangesTest, CompleteRangeHasNoHolesAndBoundsAlign) {
  EXPECT_THAT(
      MissingRanges({kT0, kT0 + kMinute}, k1m, kT0 + 1, kT0 + 2 * kMinute),
      IsEmpty());
  // Unaligned bounds are aligned down; stored times outside are ignored.
  EXPECT_THAT(MissingRanges({kT0 - kMinute, kT0 + 5 * kMinute}, k1m,
                            kT0 + 30'000, kT0 + 2 * kMinute + 1),
              ElementsAre(TimeRange{kT0, kT0 + 2 * kMinute}));
  EXPECT_THAT(MissingRanges({}, k1m, kT0, kT0), IsEmpty());
}

TEST(MissingRangesTest, WorksInTheIntervalsOwnSteps) {
  // Daily: the missing days, aligned to UTC midnights.
  EXPECT_THAT(MissingRanges({kT0 + kDay}, k1d, kT0 + 5, kT0 + 3 * kDay + 5),
              ElementsAre(TimeRange{kT0, kT0 + kDay},
                          TimeRange{kT0 + 2 * kDay, kT0 + 3 * kDay}));
}

// Serves a fixed history (a candle every step of any interval) and records
// what was asked.
class FakeHistory final : public KlineSource {
 public:
  std::string name() const override { return "fake"; }
  std::vector<domain::Candle> FetchClosedCandles(const std::string& pair,
                                                 domain::Interval interval,
                                                 int64_t from_ms,
                                                 int64_t to_ms) override {
    if (fail) throw std::runtime_error("exchange down");
    requests.push_back({from_ms, to_ms});
    const int64_t width = domain::IntervalMillis(interval);
    std::vector<domain::Candle> candles;
    for (int64_t t = from_ms; t < to_ms; t += width) {
      candles.push_back(CandleAt(pair, interval, t));
    }
    // A still-forming candle, another interval and another pair must be
    // filtered out.
    candles.push_back(CandleAt(pair, interval, to_ms, false));
    candles.push_back(CandleAt(pair, interval == k1d ? k1m : k1d, from_ms));
    candles.push_back(CandleAt("OTHERUSDT", interval, from_ms));
    return candles;
  }
  std::vector<TimeRange> requests;
  bool fail = false;
};

// An in-memory candle table keyed by (pair, interval, open time).
class FakeStore final : public market::CandleStore {
 public:
  using Key = std::tuple<std::string, domain::Interval, int64_t>;
  void UpsertCandles(
      const std::vector<market::SourcedCandle>& candles) override {
    for (const auto& c : candles) {
      rows[{c.candle.symbol, c.candle.interval, c.candle.open_time_ms}] =
          c.source;
    }
    ++batches;
  }
  std::vector<int64_t> OpenTimes(const std::string& pair,
                                 domain::Interval interval, int64_t from,
                                 int64_t to) const {
    std::vector<int64_t> times;
    for (const auto& [key, source] : rows) {
      const auto& [key_pair, key_interval, time] = key;
      if (key_pair == pair && key_interval == interval && time >= from &&
          time < to) {
        times.push_back(time);
      }
    }
    return times;
  }
  std::map<Key, std::string> rows;
  int batches = 0;
};

class HistoryFillerTest : public ::testing::Test {
 protected:
  FakeHistory history_;
  FakeStore store_;
  int64_t now_ = kT0 + 10 * kMinute + 30'000;  // minute 10 is forming
  HistoryFiller filler_{
      history_, store_,
      [this](const std::string& pair, domain::Interval interval, int64_t from,
             int64_t to) { return store_.OpenTimes(pair, interval, from, to); },
      [this] { return now_; }};
};

TEST_F(HistoryFillerTest,
       FillMissingFetchesOnlyFromTheFirstHoleAndIsIdempotent) {
  store_.UpsertCandles({{Minute("BTCUSDT", kT0), "fake:trades"},
                        {Minute("BTCUSDT", kT0 + kMinute), "fake:trades"}});
  const FillResult first = filler_.FillMissing("BTCUSDT", k1m, kT0, now_);
  EXPECT_EQ(first.ranges_fetched, 1);
  // Minutes 2..9: the forming minute 10 is not history yet.
  EXPECT_EQ(first.candles_written, 8);
  EXPECT_THAT(history_.requests,
              ElementsAre(TimeRange{kT0 + 2 * kMinute, kT0 + 10 * kMinute}));
  EXPECT_EQ(store_.rows.size(), 10u);
  EXPECT_EQ((store_.rows[{"BTCUSDT", k1m, kT0 + 9 * kMinute}]), "fake:klines");
  EXPECT_EQ((store_.rows[{"BTCUSDT", k1m, kT0}]), "fake:trades");
  EXPECT_EQ(store_.rows.count({"OTHERUSDT", k1m, kT0 + 2 * kMinute}), 0u);

  // Nothing missing: no request, nothing written.
  const FillResult second = filler_.FillMissing("BTCUSDT", k1m, kT0, now_);
  EXPECT_EQ(second.ranges_fetched, 0);
  EXPECT_EQ(second.candles_written, 0);
  EXPECT_EQ(history_.requests.size(), 1u);
}

TEST_F(HistoryFillerTest,
       FillMissingWalksBackFromTheNewestEndOneRequestOfCandlesAtATime) {
  now_ = kT0 + 2500 * kMinute;
  const FillResult result = filler_.FillMissing("ETHUSDT", k1m, kT0, now_);
  EXPECT_EQ(result.ranges_fetched, 3);
  EXPECT_EQ(result.candles_written, 2500);
  EXPECT_EQ(store_.batches, 3);
  // Newest first; no request is over kCandlesPerFillRequest candles.
  EXPECT_THAT(history_.requests,
              ElementsAre(TimeRange{kT0 + 1500 * kMinute, kT0 + 2500 * kMinute},
                          TimeRange{kT0 + 500 * kMinute, kT0 + 1500 * kMinute},
                          TimeRange{kT0, kT0 + 500 * kMinute}));
}

TEST_F(HistoryFillerTest, FillNewestMissingSkipsCompleteSpansWithoutRequests) {
  now_ = kT0 + 2000 * kMinute;
  // The newest 1000 minutes are stored: the first step reads them, finds no
  // hole and fetches the older span.
  ASSERT_EQ(filler_.FillMissing("BTCUSDT", k1m, kT0 + 1000 * kMinute, now_)
                .ranges_fetched,
            1);
  history_.requests.clear();
  const FillStep step = filler_.FillNewestMissing("BTCUSDT", k1m, kT0, now_);
  EXPECT_EQ(step.result.ranges_fetched, 1);
  EXPECT_THAT(history_.requests,
              ElementsAre(TimeRange{kT0, kT0 + 1000 * kMinute}));
  EXPECT_FALSE(step.remaining_to_ms.has_value());
  EXPECT_FALSE(filler_.FillNewestMissing("BTCUSDT", k1m, kT0, now_)
                   .remaining_to_ms.has_value());
  EXPECT_EQ(history_.requests.size(), 1u);
}

TEST_F(HistoryFillerTest, FillsDailyCandlesAndLeavesTheDayInProgress) {
  now_ = kT0 + 3 * kDay + 5 * kMinute;
  const FillResult result =
      filler_.FillMissing("BTCUSDT", k1d, kT0 - 2 * kDay, now_);
  // Five closed days in one request; today is still forming.
  EXPECT_EQ(result.ranges_fetched, 1);
  EXPECT_EQ(result.candles_written, 5);
  EXPECT_THAT(history_.requests,
              ElementsAre(TimeRange{kT0 - 2 * kDay, kT0 + 3 * kDay}));
  EXPECT_EQ((store_.rows[{"BTCUSDT", k1d, kT0 + 2 * kDay}]), "fake:klines");
  EXPECT_EQ(store_.rows.count({"BTCUSDT", k1m, kT0 - 2 * kDay}), 0u);
}

TEST_F(HistoryFillerTest, RefetchReplacesStoredTradeCandles) {
  store_.UpsertCandles({{Minute("BTCUSDT", kT0 + kMinute), "fake:trades"}});
  const FillResult result =
      filler_.Refetch("BTCUSDT", kT0 + 10'000, kT0 + 3 * kMinute + 5);
  EXPECT_EQ(result.candles_written, 3);
  EXPECT_EQ((store_.rows[{"BTCUSDT", k1m, kT0 + kMinute}]), "fake:klines");
  // The range end is clamped to the last closed minute.
  EXPECT_EQ(filler_.Refetch("BTCUSDT", kT0 + 9 * kMinute, kT0 + 60 * kMinute)
                .candles_written,
            1);
}

TEST_F(HistoryFillerTest, SourceFailurePropagatesAndWritesNothing) {
  history_.fail = true;
  EXPECT_THROW(filler_.FillMissing("BTCUSDT", k1m, kT0, now_),
               std::runtime_error);
  EXPECT_TRUE(store_.rows.empty());
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
