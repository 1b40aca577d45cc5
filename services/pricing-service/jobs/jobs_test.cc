// Integration test: the rollup and backfill jobs against a real PostgreSQL
// database (TEST_DATABASE_URL, see docs/conventions.md).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/decimal.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/ingest/history_fill.h"
#include "services/pricing-service/ingest/kline_source.h"
#include "services/pricing-service/jobs/backfill.h"
#include "services/pricing-service/jobs/rollup.h"
#include "services/pricing-service/storage/pricing_repository.h"
#include "services/pricing-service/storage/test_database.h"

namespace cryptotracker::pricing::jobs {
namespace {

constexpr int64_t kMinute = 60'000;

domain::Candle ClosedMinute(const std::string& pair, int64_t open_time_ms) {
  const common::Decimal price = common::Decimal::FromInteger(100);
  domain::Candle candle;
  candle.symbol = pair;
  candle.interval = domain::Interval::k1m;
  candle.open_time_ms = open_time_ms;
  candle.open = candle.high = candle.low = candle.close = price;
  candle.volume = common::Decimal::FromInteger(1);
  candle.quote_volume = price;
  candle.trade_count = 1;
  candle.closed = true;
  return candle;
}

// A candle at every step of every interval of every pair, except one pair
// whose requests fail.
class ExchangeHistory final : public ingest::KlineSource {
 public:
  explicit ExchangeHistory(std::string failing_pair)
      : failing_pair_(std::move(failing_pair)) {}
  std::string name() const override { return "fake"; }
  std::vector<domain::Candle> FetchClosedCandles(const std::string& pair,
                                                 domain::Interval interval,
                                                 int64_t from_ms,
                                                 int64_t to_ms) override {
    if (pair == failing_pair_) throw std::runtime_error("exchange down");
    std::vector<domain::Candle> candles;
    const int64_t width = domain::IntervalMillis(interval);
    for (int64_t t = from_ms; t < to_ms; t += width) {
      candles.push_back(ClosedMinute(pair, t));
      candles.back().interval = interval;
    }
    return candles;
  }

 private:
  const std::string failing_pair_;
};

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = std::make_unique<storage::TestDatabase>("pricing_jobs");
    repository_ = &database_->repository();
  }
  void TearDown() override { database_.reset(); }

  std::unique_ptr<storage::TestDatabase> database_;
  storage::PricingRepository* repository_ = nullptr;
};

// One day of minutes, three of hours, ten of days.
constexpr ingest::HistoryDepth kTestDepth{
    .four_hour_days = 0, .hourly_days = 3, .one_minute_days = 1};

TEST_F(JobsTest, BackfillFillsTheDepthsAndCountsTheFailedRanges) {
  ExchangeHistory history("BADUSDT");
  // On a minute boundary: every minute before it has closed, whenever the
  // filler reads the clock.
  const int64_t now =
      domain::AlignToInterval(common::WallClockMs(), domain::Interval::k1m);
  ingest::HistoryDepth depth = kTestDepth;
  depth.daily_since_ms = now - 10 * 24 * 60 * kMinute;
  // A roll-up of a day (from minutes that may be short) is replaced by the
  // exchange's candle.
  domain::Candle rolled_up_day = ClosedMinute(
      "BTCUSDT", domain::AlignToInterval(now - 2 * 24 * 60 * kMinute,
                                         domain::Interval::k1d));
  rolled_up_day.interval = domain::Interval::k1d;
  rolled_up_day.trade_count = 7;
  repository_->UpsertCandles({{rolled_up_day, "rollup"}});
  // BADUSDT's minutes, hours and days.
  EXPECT_EQ(
      RunBackfill(history, *repository_, {"BTCUSDT", "BADUSDT"}, depth, now),
      3);
  const int64_t from =
      domain::AlignToInterval(now - 24 * 60 * kMinute, domain::Interval::k1m);
  // Every closed minute of the day, none of the one still forming.
  EXPECT_EQ(repository_
                ->StoredOpenTimes("BTCUSDT", domain::Interval::k1m, from,
                                  now + kMinute)
                .size(),
            static_cast<size_t>(24 * 60));
  // Hours and days straight from the exchange, in the same table.
  EXPECT_EQ(
      repository_
          ->StoredOpenTimes("BTCUSDT", domain::Interval::k1h,
                            domain::AlignToInterval(now - 3 * 24 * 60 * kMinute,
                                                    domain::Interval::k1h),
                            now)
          .size(),
      static_cast<size_t>(3 * 24));
  const std::vector<domain::Candle> days = repository_->QueryCandles(
      "BTCUSDT", domain::Interval::k1d, 0, now, 100, false);
  ASSERT_EQ(days.size(), 10u);
  for (const domain::Candle& day : days) {
    EXPECT_EQ(day.trade_count, 1) << day.open_time_ms;
  }
  EXPECT_EQ(
      days.front().open_time_ms,
      domain::AlignToInterval(depth.daily_since_ms, domain::Interval::k1d));
  EXPECT_TRUE(repository_
                  ->StoredOpenTimes("BADUSDT", domain::Interval::k1m, from,
                                    now + kMinute)
                  .empty());
  // Run again: nothing is missing, nothing fails.
  EXPECT_EQ(RunBackfill(history, *repository_, {"BTCUSDT"}, depth, now), 0);
}

TEST_F(JobsTest, RollupMaterialisesTheLookbackButNotTheNewestMinutes) {
  // Half past an hour, so that two whole hours end before the five minutes
  // the job leaves alone whatever the time of day the test runs at.
  const int64_t now =
      domain::AlignToInterval(common::WallClockMs(), domain::Interval::k1h) -
      30 * kMinute;
  const int64_t hour =
      domain::AlignToInterval(now - 2 * 60 * kMinute, domain::Interval::k1h);
  std::vector<market::SourcedCandle> minutes;
  for (int64_t t = hour; t < now; t += kMinute) {
    minutes.push_back({ClosedMinute("ETHUSDT", t), "fake:klines"});
  }
  repository_->UpsertCandles(minutes);

  RunRollup(*repository_, RollupSettings{}, now);
  const std::vector<domain::Candle> hours = repository_->QueryCandles(
      "ETHUSDT", domain::Interval::k1h, hour, now, 10, false);
  ASSERT_GE(hours.size(), 2u);
  EXPECT_EQ(hours[0].open_time_ms, hour);
  EXPECT_EQ(hours[0].trade_count, 60);
  // Buckets whose minutes may still sit in a flush buffer wait for the next
  // run: no five-minute candle opens in the last five minutes.
  const std::vector<domain::Candle> newest =
      repository_->QueryCandles("ETHUSDT", domain::Interval::k5m,
                                now - 5 * kMinute, now + kMinute, 10, false);
  for (const domain::Candle& candle : newest) {
    EXPECT_LE(candle.open_time_ms + 5 * kMinute, now - 5 * kMinute)
        << candle.open_time_ms;
  }
}

TEST_F(JobsTest, RetentionIsPerIntervalAndKeepsDailyCandlesForGood) {
  const int64_t now = common::WallClockMs();
  const int64_t day = 24 * 60 * kMinute;
  auto candle = [](domain::Interval interval, int64_t time) {
    domain::Candle c = ClosedMinute("BTCUSDT", 0);
    c.interval = interval;
    c.open_time_ms = domain::AlignToInterval(time, interval);
    return market::SourcedCandle{c, "fake:klines"};
  };
  repository_->UpsertCandles({candle(domain::Interval::k1m, now - 100 * day),
                              candle(domain::Interval::k1m, now - 10 * day),
                              candle(domain::Interval::k1h, now - 800 * day),
                              candle(domain::Interval::k1h, now - 100 * day),
                              candle(domain::Interval::k1d, now - 3000 * day)});
  RunRollup(*repository_, RollupSettings{}, now);
  auto count = [&](domain::Interval interval) {
    return repository_->StoredOpenTimes("BTCUSDT", interval, 0, now).size();
  };
  // One-minute 90 days, hourly 730, daily for good (defaults).
  EXPECT_EQ(count(domain::Interval::k1m), 1u);
  EXPECT_EQ(count(domain::Interval::k1h), 1u);
  EXPECT_EQ(count(domain::Interval::k1d), 1u);
}

TEST_F(JobsTest, RollupNeverReplacesAnExchangeCandle) {
  const int64_t now = common::WallClockMs();
  const int64_t hour =
      domain::AlignToInterval(now - 3 * 60 * kMinute, domain::Interval::k1h);
  // The exchange's hourly candle, and only ten of the hour's minutes.
  domain::Candle exchange_hour = ClosedMinute("BTCUSDT", hour);
  exchange_hour.interval = domain::Interval::k1h;
  exchange_hour.trade_count = 600;
  std::vector<market::SourcedCandle> rows = {{exchange_hour, "fake:klines"}};
  for (int i = 0; i < 10; ++i) {
    rows.push_back(
        {ClosedMinute("BTCUSDT", hour + i * kMinute), "fake:klines"});
  }
  repository_->UpsertCandles(rows);
  RunRollup(*repository_, RollupSettings{}, now);
  const std::vector<domain::Candle> hours = repository_->QueryCandles(
      "BTCUSDT", domain::Interval::k1h, hour, hour + 1, 1, false);
  ASSERT_EQ(hours.size(), 1u);
  EXPECT_EQ(hours[0].trade_count, 600);
  // The buckets without an exchange candle are rolled up as before.
  EXPECT_EQ(repository_
                ->QueryCandles("BTCUSDT", domain::Interval::k5m, hour,
                               hour + 10 * kMinute, 5, false)
                .size(),
            2u);
}

}  // namespace
}  // namespace cryptotracker::pricing::jobs
