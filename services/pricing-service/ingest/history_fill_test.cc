#include "services/pricing-service/ingest/history_fill.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pricing-service/ingest/test_candles.h"

namespace cryptotracker::pricing::ingest {
namespace {

using domain::Interval;
using ::testing::ElementsAre;

constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// Mid-day, mid-minute: the plan's bounds need not be aligned.
constexpr int64_t kNow = kT0 + 10 * kHour + 30 * kMinute + 7'000;

TEST(PlanHistoryFillTest, RecentPhaseForEveryPairFirstThenTheDepths) {
  const HistoryDepth depth{.daily_since_ms = kBinanceFirstDayMs,
                           .four_hour_days = 730,
                           .hourly_days = 730,
                           .one_minute_days = 90};
  const std::vector<FillTask> plan =
      PlanHistoryFill({"BTCUSDT", "ETHUSDT"}, depth, kNow);
  EXPECT_THAT(
      plan,
      ElementsAre(
          FillTask{"recent", "BTCUSDT", Interval::k1h, kNow - 28 * kDay, kNow},
          FillTask{"recent", "BTCUSDT", Interval::k4h, kNow - 28 * kDay, kNow},
          FillTask{"recent", "BTCUSDT", Interval::k1d, kBinanceFirstDayMs,
                   kNow},
          FillTask{"recent", "BTCUSDT", Interval::k1m, kNow - kDay, kNow},
          FillTask{"recent", "ETHUSDT", Interval::k1h, kNow - 28 * kDay, kNow},
          FillTask{"recent", "ETHUSDT", Interval::k4h, kNow - 28 * kDay, kNow},
          FillTask{"recent", "ETHUSDT", Interval::k1d, kBinanceFirstDayMs,
                   kNow},
          FillTask{"recent", "ETHUSDT", Interval::k1m, kNow - kDay, kNow},
          FillTask{"deep", "BTCUSDT", Interval::k1h, kNow - 730 * kDay,
                   kNow - 28 * kDay},
          FillTask{"deep", "ETHUSDT", Interval::k1h, kNow - 730 * kDay,
                   kNow - 28 * kDay},
          FillTask{"deep", "BTCUSDT", Interval::k4h, kNow - 730 * kDay,
                   kNow - 28 * kDay},
          FillTask{"deep", "ETHUSDT", Interval::k4h, kNow - 730 * kDay,
                   kNow - 28 * kDay},
          FillTask{"deep", "BTCUSDT", Interval::k1m, kNow - 90 * kDay,
                   kNow - kDay},
          FillTask{"deep", "ETHUSDT", Interval::k1m, kNow - 90 * kDay,
                   kNow - kDay}));
}

TEST(PlanHistoryFillTest, ShallowOrSwitchedOffDepthsHaveNoDeepTasks) {
  const std::vector<FillTask> plan =
      PlanHistoryFill({"BTCUSDT"},
                      {.daily_since_ms = kNow - 3 * kDay,
                       .four_hour_days = 0,
                       .hourly_days = 7,
                       .one_minute_days = 0},
                      kNow);
  EXPECT_THAT(
      plan,
      ElementsAre(
          FillTask{"recent", "BTCUSDT", Interval::k1h, kNow - 7 * kDay, kNow},
          // From the UTC midnight of the first day wanted.
          FillTask{"recent", "BTCUSDT", Interval::k1d,
                   domain::AlignToInterval(kNow - 3 * kDay, Interval::k1d),
                   kNow}));
}

// An exchange with a candle at every step of every interval from a pair's
// listing on, recording each request.
class FakeExchange final : public KlineSource {
 public:
  std::string name() const override { return "fake"; }
  std::vector<domain::Candle> FetchClosedCandles(const std::string& pair,
                                                 Interval interval,
                                                 int64_t from_ms,
                                                 int64_t to_ms) override {
    requests.push_back({pair, interval, from_ms, to_ms});
    if (pair == failing_pair) throw std::runtime_error("exchange down");
    const int64_t width = domain::IntervalMillis(interval);
    std::vector<domain::Candle> candles;
    for (int64_t t = std::max(from_ms, listed_ms); t < to_ms; t += width) {
      candles.push_back(CandleAt(pair, interval, t));
    }
    return candles;
  }
  std::vector<std::tuple<std::string, Interval, int64_t, int64_t>> requests;
  std::string failing_pair;
  int64_t listed_ms = 0;
};

class MemoryStore final : public market::CandleStore {
 public:
  void UpsertCandles(
      const std::vector<market::SourcedCandle>& candles) override {
    for (const market::SourcedCandle& c : candles) {
      times[{c.candle.symbol, c.candle.interval}].insert(c.candle.open_time_ms);
    }
  }
  std::vector<int64_t> OpenTimes(const std::string& pair, Interval interval,
                                 int64_t from, int64_t to) {
    const std::set<int64_t>& stored = times[{pair, interval}];
    return {stored.lower_bound(from), stored.lower_bound(to)};
  }
  std::optional<int64_t> Oldest(const std::string& pair, Interval interval) {
    const std::set<int64_t>& stored = times[{pair, interval}];
    if (stored.empty()) return std::nullopt;
    return *stored.begin();
  }
  std::map<std::pair<std::string, Interval>, std::set<int64_t>> times;
};

class HistoryFillTest : public ::testing::Test {
 protected:
  HistoryFill Fill(const std::vector<std::string>& pairs,
                   const HistoryDepth& depth) {
    return HistoryFill(filler_, PlanHistoryFill(pairs, depth, kNow),
                       [this](const std::string& pair) {
                         return store_.Oldest(pair, Interval::k1d);
                       });
  }

  FakeExchange exchange_;
  MemoryStore store_;
  HistoryFiller filler_{
      exchange_, store_,
      [this](const std::string& pair, Interval interval, int64_t from,
             int64_t to) { return store_.OpenTimes(pair, interval, from, to); },
      [] { return kNow; }};
};

TEST_F(HistoryFillTest,
       DefaultDepthsAreBoundedRequestsNewestFirstAndIdempotent) {
  HistoryFill fill = Fill({"BTCUSDT"}, HistoryDepth{});
  // The first step is one request: the newest 672 hours.
  ASSERT_TRUE(fill.Step());
  ASSERT_EQ(exchange_.requests.size(), 1u);
  const int64_t closed_hour = domain::AlignToInterval(kNow, Interval::k1h);
  EXPECT_EQ(exchange_.requests[0],
            std::make_tuple(std::string("BTCUSDT"), Interval::k1h,
                            closed_hour - 28 * 24 * kHour, closed_hour));
  fill.RunToEnd();
  EXPECT_TRUE(fill.done());

  // Every request is one exchange page; each interval's requests go back
  // from its newest end.
  std::map<Interval, int64_t> previous_from;
  std::map<Interval, int> per_interval;
  for (const auto& [pair, interval, from, to] : exchange_.requests) {
    EXPECT_LE(to - from, 1000 * domain::IntervalMillis(interval));
    if (previous_from.contains(interval)) {
      EXPECT_LE(to, previous_from[interval]);
    }
    previous_from[interval] = from;
    ++per_interval[interval];
  }
  // 90 days of minutes (129,600, cut at the day) and 2 years of hours and
  // 4-hour candles (cut at four weeks), all days since 2017-08-17 (2,694
  // by then): 158 requests, 316 of Binance's weight, 16 s a pair at the
  // default 1200 a minute.
  EXPECT_EQ(per_interval[Interval::k1m], 2 + 129);
  EXPECT_EQ(per_interval[Interval::k1h], 1 + 17);
  EXPECT_EQ(per_interval[Interval::k4h], 1 + 5);
  EXPECT_EQ(per_interval[Interval::k1d], 3);
  EXPECT_EQ(fill.stats().requests,
            static_cast<int64_t>(exchange_.requests.size()));
  EXPECT_EQ((store_.times[{"BTCUSDT", Interval::k1m}].size()), 90u * 24 * 60);
  EXPECT_EQ((store_.times[{"BTCUSDT", Interval::k1h}].size()), 730u * 24);

  // Everything is stored: a second run asks the exchange nothing.
  exchange_.requests.clear();
  HistoryFill again = Fill({"BTCUSDT"}, HistoryDepth{});
  again.RunToEnd();
  EXPECT_TRUE(exchange_.requests.empty());
  EXPECT_EQ(again.stats().candles_written, 0);
}

TEST_F(HistoryFillTest, FetchesOnlyTheHolesAndNothingBeforeTheListing) {
  // Listed three days ago, at midnight.
  exchange_.listed_ms = domain::AlignToInterval(kNow, Interval::k1d) - 3 * kDay;
  const HistoryDepth depth{
      .four_hour_days = 0, .hourly_days = 60, .one_minute_days = 0};
  Fill({"NEWUSDT"}, depth).RunToEnd();
  const size_t hours = store_.times[{"NEWUSDT", Interval::k1h}].size();
  EXPECT_EQ(hours,
            static_cast<size_t>((domain::AlignToInterval(kNow, Interval::k1h) -
                                 exchange_.listed_ms) /
                                kHour));
  // Two hours lost; the next run asks for the span that holds them only,
  // and for nothing before the listing (the deep phase is clipped to the
  // oldest stored day).
  std::set<int64_t>& stored = store_.times[{"NEWUSDT", Interval::k1h}];
  stored.erase(exchange_.listed_ms + 5 * kHour);
  stored.erase(exchange_.listed_ms + 9 * kHour);
  exchange_.requests.clear();
  Fill({"NEWUSDT"}, depth).RunToEnd();
  std::vector<std::tuple<std::string, Interval, int64_t, int64_t>> hourly;
  for (const auto& request : exchange_.requests) {
    if (std::get<1>(request) == Interval::k1h) hourly.push_back(request);
  }
  EXPECT_THAT(hourly,
              ElementsAre(std::make_tuple(std::string("NEWUSDT"), Interval::k1h,
                                          exchange_.listed_ms + 5 * kHour,
                                          exchange_.listed_ms + 10 * kHour)));
  EXPECT_EQ(stored.size(), hours);
}

TEST_F(HistoryFillTest, ShallowDailyHistoryIsNoListingToClipTo) {
  // Daily candles wanted for three days only, minutes for five: the oldest
  // stored day is where the daily depth ends, not a listing.
  Fill({"BTCUSDT"}, {.daily_since_ms = kNow - 3 * kDay,
                     .four_hour_days = 0,
                     .hourly_days = 0,
                     .one_minute_days = 5})
      .RunToEnd();
  EXPECT_EQ((store_.times[{"BTCUSDT", Interval::k1m}].size()), 5u * 24 * 60);
}

TEST_F(HistoryFillTest, AFailedRangeIsCountedAndTheOthersStillRun) {
  exchange_.failing_pair = "BADUSDT";
  HistoryFill fill =
      Fill({"BADUSDT", "BTCUSDT"}, {.daily_since_ms = kNow - 10 * kDay,
                                    .four_hour_days = 0,
                                    .hourly_days = 0,
                                    .one_minute_days = 0});
  fill.RunToEnd();
  EXPECT_EQ(fill.stats().failed_tasks, 1);
  EXPECT_EQ(fill.stats().tasks_done, 2);
  EXPECT_EQ((store_.times[{"BTCUSDT", Interval::k1d}].size()), 10u);
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
