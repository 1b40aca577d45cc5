#include "services/pricing-service/ingest/history_filler.h"

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pricing-service/ingest/test_candles.h"

namespace cryptotracker::pricing::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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
  std::vector<domain::Candle> FetchOneMinuteCandles(const std::string& pair,
                                                    int64_t from_ms,
                                                    int64_t to_ms) override {
    if (fail) throw std::runtime_error("exchange down");
    requests.push_back({from_ms, to_ms});
    std::vector<domain::Candle> candles;
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

}  // namespace
}  // namespace cryptotracker::pricing::ingest
