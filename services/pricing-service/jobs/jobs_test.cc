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
#include "services/pricing-service/jobs/backfill.h"
#include "services/pricing-service/jobs/rollup.h"
#include "services/pricing-service/market/history_source.h"
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

// Every minute of every pair, except one pair whose requests fail.
class ExchangeHistory final : public market::HistorySource {
 public:
  explicit ExchangeHistory(std::string failing_pair)
      : failing_pair_(std::move(failing_pair)) {}
  std::string name() const override { return "fake"; }
  std::vector<domain::Candle> FetchOneMinuteCandles(const std::string& pair,
                                                    int64_t from_ms,
                                                    int64_t to_ms) override {
    if (pair == failing_pair_) throw std::runtime_error("exchange down");
    std::vector<domain::Candle> candles;
    for (int64_t t = from_ms; t < to_ms; t += kMinute) {
      candles.push_back(ClosedMinute(pair, t));
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

TEST_F(JobsTest, BackfillFillsTheDaysAndCountsTheFailedPairs) {
  ExchangeHistory history("BADUSDT");
  // On a minute boundary: every minute before it has closed, whenever the
  // filler reads the clock.
  const int64_t now =
      domain::AlignToInterval(common::WallClockMs(), domain::Interval::k1m);
  EXPECT_EQ(RunBackfill(history, *repository_, {"BTCUSDT", "BADUSDT"}, 1, now),
            1);
  const int64_t from =
      domain::AlignToInterval(now - 24 * 60 * kMinute, domain::Interval::k1m);
  const int64_t to = domain::AlignToInterval(now, domain::Interval::k1m);
  // Every closed minute of the day, none of the one still forming.
  EXPECT_EQ(repository_
                ->StoredOpenTimes("BTCUSDT", domain::Interval::k1m, from,
                                  now + kMinute)
                .size(),
            static_cast<size_t>(24 * 60));
  EXPECT_TRUE(repository_
                  ->StoredOpenTimes("BADUSDT", domain::Interval::k1m, from,
                                    now + kMinute)
                  .empty());
  // Run again: nothing is missing, nothing fails.
  EXPECT_EQ(RunBackfill(history, *repository_, {"BTCUSDT"}, 1, now), 0);
}

TEST_F(JobsTest, RollupMaterialisesTheLookbackButNotTheNewestMinutes) {
  const int64_t now = common::WallClockMs();
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

}  // namespace
}  // namespace cryptotracker::pricing::jobs
