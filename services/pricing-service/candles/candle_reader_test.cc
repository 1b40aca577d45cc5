// Integration test: the candle read model against a real PostgreSQL
// database (TEST_DATABASE_URL). How the merged candles look on the wire is
// the handler's test; this one is about where they come from.
#include "services/pricing-service/candles/candle_reader.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/db.h"
#include "services/common/migrations.h"
#include "services/common/testing/pg_test_db.h"
#include "services/pricing-service/migrations.h"

namespace cryptotracker::pricing::candles {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 3'600'000;

domain::Candle StoredCandle(domain::Interval interval, int64_t open_time_ms,
                            int close) {
  domain::Candle candle;
  candle.symbol = "BTCUSDT";
  candle.interval = interval;
  candle.open_time_ms = open_time_ms;
  candle.open = candle.high = candle.low = candle.close =
      common::Decimal::FromInteger(close);
  candle.volume = common::Decimal::FromInteger(1);
  candle.quote_volume = common::Decimal::FromInteger(close);
  candle.trade_count = 1;
  candle.closed = true;
  return candle;
}

// Snapshot bytes are not looked at here.
void EncodeNothing(const domain::Candle&, std::string*) {}

class CandleReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<common::testing::PgTestDb>("pricing_candles");
    pool_ =
        std::make_unique<common::ConnectionPool>(db_->connection_string(), 2);
    common::ApplyMigrations(*pool_, "pricing-service",
                            migrations::Migrations());
    repository_ = std::make_unique<storage::PricingRepository>(*pool_);
    now_ms_ = common::WallClockMs();
    this_hour_ = domain::AlignToInterval(now_ms_, domain::Interval::k1h);
  }

  void Store(const std::vector<domain::Candle>& candles) {
    std::vector<market::SourcedCandle> batch;
    for (const domain::Candle& candle : candles) {
      batch.push_back({candle, "binance:klines"});
    }
    repository_->UpsertCandles(batch);
  }

  // Closes of the newest `limit` hourly candles.
  static std::vector<std::string> HourlyCloses(CandleReader& reader,
                                               int64_t now_ms, int limit) {
    std::vector<std::string> closes;
    for (const domain::Candle& candle :
         reader
             .LoadCandles("BTCUSDT", domain::Interval::k1h, std::nullopt,
                          now_ms, limit, now_ms)
             .ToVector()) {
      closes.push_back(candle.close.ToString());
    }
    return closes;
  }

  std::unique_ptr<common::testing::PgTestDb> db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  std::unique_ptr<storage::PricingRepository> repository_;
  int64_t now_ms_ = 0;
  int64_t this_hour_ = 0;
};

TEST_F(CandleReaderTest, AStoredCandleRewrittenShowsUpWhenTheCacheExpires) {
  Store({StoredCandle(domain::Interval::k1h, this_hour_ - 3 * kHourMs, 100)});
  CandleReader cached(*repository_, nullptr, std::chrono::minutes(1),
                      EncodeNothing);
  CandleReader uncached(*repository_, nullptr, std::chrono::milliseconds(0),
                        EncodeNothing);
  EXPECT_EQ(HourlyCloses(cached, now_ms_, 10), std::vector<std::string>{"100"});

  // The rollup job recomputes the bucket.
  Store({StoredCandle(domain::Interval::k1h, this_hour_ - 3 * kHourMs, 101)});
  EXPECT_EQ(HourlyCloses(cached, now_ms_ + 1'000, 10),
            std::vector<std::string>{"100"});  // within the cache's TTL
  EXPECT_EQ(HourlyCloses(uncached, now_ms_ + 1'000, 10),
            std::vector<std::string>{"101"});
  EXPECT_EQ(HourlyCloses(cached, now_ms_ + 61'000, 10),
            std::vector<std::string>{"101"});
}

TEST_F(CandleReaderTest, TheBucketInProgressComesFromTheRecordersMinutes) {
  Store({StoredCandle(domain::Interval::k1h, this_hour_ - 3 * kHourMs, 100)});
  market::CandleRecorder recorder(*repository_, {"BTCUSDT"});
  CandleReader reader(*repository_, &recorder, std::chrono::minutes(1),
                      EncodeNothing);
  EXPECT_EQ(HourlyCloses(reader, now_ms_, 10), std::vector<std::string>{"100"});

  // Trades of this hour after the snapshot was taken: a closed minute and
  // the open one, neither flushed. The hour in progress is rolled up from
  // them in memory.
  const int64_t minute =
      domain::AlignToInterval(now_ms_, domain::Interval::k1m);
  recorder.OnTick({"BTCUSDT", common::Decimal::FromInteger(110),
                   common::Decimal::FromInteger(1), minute - 1, std::nullopt},
                  "binance");
  recorder.OnTick({"BTCUSDT", common::Decimal::FromInteger(111),
                   common::Decimal::FromInteger(1), now_ms_, std::nullopt},
                  "binance");
  const std::vector<std::string> closes = HourlyCloses(reader, now_ms_, 10);
  ASSERT_EQ(closes.size(), minute - 1 >= this_hour_ ? 2u : 3u);
  EXPECT_EQ(closes.front(), "100");
  EXPECT_EQ(closes.back(), "111");
  EXPECT_EQ(HourlyCloses(reader, now_ms_, 1), std::vector<std::string>{"111"});
}

TEST_F(CandleReaderTest, StoredAndLiveMinutesOfTheNewestBucketsAddUp) {
  // Minutes of the previous hour stored, its roll-up not (yet) in the
  // snapshot, and a live minute of this hour: both hours come out of the
  // snapshot's minutes and the recorder's, the same on every call.
  const int64_t previous = this_hour_ - kHourMs;
  domain::Candle early = StoredCandle(domain::Interval::k1m, previous, 90);
  domain::Candle late =
      StoredCandle(domain::Interval::k1m, previous + 30 * kMinuteMs, 95);
  late.high = common::Decimal::FromInteger(99);
  Store({early, late});
  market::CandleRecorder recorder(*repository_, {"BTCUSDT"});
  recorder.OnTick({"BTCUSDT", common::Decimal::FromInteger(97),
                   common::Decimal::FromInteger(1), now_ms_, std::nullopt},
                  "binance");
  CandleReader reader(*repository_, &recorder, std::chrono::minutes(1),
                      EncodeNothing);
  for (int call = 0; call < 2; ++call) {
    const std::vector<domain::Candle> hours =
        reader
            .LoadCandles("BTCUSDT", domain::Interval::k1h, std::nullopt,
                         now_ms_, 10, now_ms_)
            .ToVector();
    ASSERT_EQ(hours.size(), 2u);
    EXPECT_EQ(hours[0].open_time_ms, previous);
    EXPECT_EQ(hours[0].open.ToString(), "90");
    EXPECT_EQ(hours[0].high.ToString(), "99");
    EXPECT_EQ(hours[0].close.ToString(), "95");
    EXPECT_EQ(hours[0].trade_count, 2);
    EXPECT_TRUE(hours[0].closed);
    EXPECT_EQ(hours[1].close.ToString(), "97");
    EXPECT_FALSE(hours[1].closed);
  }
}

TEST_F(CandleReaderTest, ClosedBucketsAreNeverRolledUpFromStoredMinutes) {
  // Minutes of an hour that ended, without their roll-up (this repository
  // does not roll up on write): neither path computes the hour from them.
  const int64_t hour = this_hour_ - 2 * kHourMs;
  Store({StoredCandle(domain::Interval::k1m, hour, 110),
         StoredCandle(domain::Interval::k1m, hour + kMinuteMs, 111)});
  CandleReader cached(*repository_, nullptr, std::chrono::minutes(1),
                      EncodeNothing);
  CandleReader uncached(*repository_, nullptr, std::chrono::milliseconds(0),
                        EncodeNothing);
  EXPECT_TRUE(HourlyCloses(cached, now_ms_, 10).empty());
  EXPECT_TRUE(HourlyCloses(uncached, now_ms_, 10).empty());
  EXPECT_EQ(uncached
                .LoadCandles("BTCUSDT", domain::Interval::k1h, hour, now_ms_,
                             10, now_ms_)
                .size(),
            0u);
  // Once stored (the roll-up on write, or the repair job), it is served.
  storage::PricingRepository rolling(*pool_, {.roll_up_on_write = true});
  rolling.UpsertCandles(
      {{StoredCandle(domain::Interval::k1m, hour, 110), "binance:klines"}});
  EXPECT_EQ(HourlyCloses(uncached, now_ms_, 10),
            std::vector<std::string>{"111"});
}

TEST_F(CandleReaderTest, FromAStartTimeTheFirstCandlesAreRead) {
  Store({StoredCandle(domain::Interval::k1h, this_hour_ - 5 * kHourMs, 100),
         StoredCandle(domain::Interval::k1h, this_hour_ - 4 * kHourMs, 101),
         StoredCandle(domain::Interval::k1h, this_hour_ - 3 * kHourMs, 102)});
  CandleReader reader(*repository_, nullptr, std::chrono::minutes(1),
                      EncodeNothing);
  const std::vector<domain::Candle> candles =
      reader
          .LoadCandles("BTCUSDT", domain::Interval::k1h,
                       this_hour_ - 4 * kHourMs, now_ms_, 1, now_ms_)
          .ToVector();
  ASSERT_EQ(candles.size(), 1u);
  EXPECT_EQ(candles[0].close.ToString(), "101");
}

TEST_F(CandleReaderTest, TheRecordersOpenMinuteFollowsTheStoredOnes) {
  const int64_t minute =
      domain::AlignToInterval(now_ms_, domain::Interval::k1m);
  Store({StoredCandle(domain::Interval::k1m, minute - 2 * kMinuteMs, 100),
         StoredCandle(domain::Interval::k1m, minute - kMinuteMs, 101)});
  market::CandleRecorder recorder(*repository_, {"BTCUSDT"});
  // The recorder's open minute; no flush has written it.
  recorder.OnTick({"BTCUSDT", common::Decimal::FromInteger(105),
                   common::Decimal::FromInteger(1), now_ms_, std::nullopt},
                  "binance");
  CandleReader live(*repository_, &recorder, std::chrono::minutes(1),
                    EncodeNothing);
  CandleReader stored_only(*repository_, nullptr, std::chrono::minutes(1),
                           EncodeNothing);
  const std::vector<domain::Candle> with_live =
      live.LoadCandles("BTCUSDT", domain::Interval::k1m, std::nullopt,
                       now_ms_ + 1, 10, now_ms_ + 1)
          .ToVector();
  ASSERT_EQ(with_live.size(), 3u);
  EXPECT_EQ(with_live[2].close.ToString(), "105");
  EXPECT_FALSE(with_live[2].closed);
  EXPECT_EQ(stored_only
                .LoadCandles("BTCUSDT", domain::Interval::k1m, std::nullopt,
                             now_ms_ + 1, 10, now_ms_ + 1)
                .size(),
            2u);
}

TEST_F(CandleReaderTest, PriceAtFallsBackFromMinutesToHours) {
  CandleReader reader(*repository_, nullptr, std::chrono::minutes(1),
                      EncodeNothing);
  const int64_t day_ago = this_hour_ - 24 * kHourMs;
  EXPECT_EQ(reader.PriceAt("BTCUSDT", day_ago), std::nullopt);
  // Only an hourly candle that ended by then.
  Store({StoredCandle(domain::Interval::k1h, day_ago - 2 * kHourMs, 90)});
  EXPECT_EQ(reader.PriceAt("BTCUSDT", day_ago),
            common::Decimal::FromInteger(90));
  // A minute within the two hours before wins.
  Store({StoredCandle(domain::Interval::k1m, day_ago - 30 * kMinuteMs, 95)});
  EXPECT_EQ(reader.PriceAt("BTCUSDT", day_ago),
            common::Decimal::FromInteger(95));
}

TEST_F(CandleReaderTest, PriceAtFallsBackToDailyCandlesForGood) {
  CandleReader reader(*repository_, nullptr, std::chrono::minutes(1),
                      EncodeNothing);
  // Three years ago: past the minutes' and the hours' retention.
  const int64_t years_ago = domain::AlignToInterval(
      this_hour_ - 3 * 365 * 24 * kHourMs, domain::Interval::k1d);
  Store({StoredCandle(domain::Interval::k1d, years_ago - 24 * kHourMs, 70)});
  EXPECT_EQ(reader.PriceAt("BTCUSDT", years_ago + kHourMs),
            common::Decimal::FromInteger(70));
  // The day in progress at that time has not ended by then: not used.
  Store({StoredCandle(domain::Interval::k1d, years_ago, 75)});
  EXPECT_EQ(reader.PriceAt("BTCUSDT", years_ago + kHourMs),
            common::Decimal::FromInteger(70));
  // An hourly candle, finer, wins.
  Store({StoredCandle(domain::Interval::k1h, years_ago - kHourMs, 72)});
  EXPECT_EQ(reader.PriceAt("BTCUSDT", years_ago + kHourMs),
            common::Decimal::FromInteger(72));
}

}  // namespace
}  // namespace cryptotracker::pricing::candles
