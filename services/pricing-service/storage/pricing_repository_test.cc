// Integration test: the repository against a real PostgreSQL database.
#include "services/pricing-service/storage/pricing_repository.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/db.h"
#include "services/pricing-service/storage/test_database.h"

namespace cryptotracker::pricing::storage {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

// 2024-01-31T23:58:00Z: two minutes before a month boundary.
constexpr int64_t kJan31Late = 1'706'745'480'000;
constexpr int64_t kMinute = 60'000;

domain::Candle MakeCandle(const std::string& pair, int64_t open_time_ms,
                          const char* close, int64_t trades = 3) {
  domain::Candle candle;
  candle.symbol = pair;
  candle.interval = domain::Interval::k1m;
  candle.open_time_ms = open_time_ms;
  candle.open = D("100.5");
  candle.high = D("120.123456789012345678");
  candle.low = D("90");
  candle.close = D(close);
  candle.volume = D("1.5");
  candle.quote_volume = D("150.75");
  candle.trade_count = trades;
  candle.closed = true;
  return candle;
}

// `count` one-minute candles from `start`, with prices that vary by minute.
std::vector<domain::Candle> VaryingMinutes(const std::string& pair,
                                           int64_t start, int count) {
  std::vector<domain::Candle> minutes;
  for (int i = 0; i < count; ++i) {
    domain::Candle c = MakeCandle(pair, start + i * kMinute, "100");
    c.open = common::Decimal::FromInteger(95 + i % 7);
    c.close = common::Decimal::FromInteger(91 + i % 11);
    c.high = common::Decimal::FromInteger(130 + i);
    c.low = common::Decimal::FromInteger(80 - i);
    minutes.push_back(c);
  }
  return minutes;
}

class PricingRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>("pricing_repo");
    pool_ = &database_->pool();
    repository_ = &database_->repository();
  }

  void TearDown() override { database_.reset(); }

  int64_t CountRows(const std::string& interval) {
    return pool_->WithReadOnly([&](pqxx::read_transaction& tx) {
      return tx
          .exec_params1("SELECT count(*) FROM candles WHERE interval_name = $1",
                        interval)[0]
          .as<int64_t>();
    });
  }

  // The monthly partitions of the candles table, ascending.
  std::vector<std::string> PartitionNames() {
    return pool_->WithReadOnly([](pqxx::read_transaction& tx) {
      std::vector<std::string> names;
      for (const pqxx::row& row :
           tx.exec("SELECT child.relname FROM pg_inherits i "
                   "JOIN pg_class child ON child.oid = i.inhrelid "
                   "WHERE i.inhparent = 'candles'::regclass "
                   "ORDER BY child.relname")) {
        names.push_back(row[0].as<std::string>());
      }
      return names;
    });
  }

  std::unique_ptr<TestDatabase> database_;
  common::ConnectionPool* pool_ = nullptr;
  PricingRepository* repository_ = nullptr;
};

TEST_F(PricingRepositoryTest, SeededCatalogueIsOrderedByRank) {
  const std::vector<AssetRecord> assets = repository_->ListAssets();
  ASSERT_GE(assets.size(), 20u);
  EXPECT_EQ(assets[0].symbol, "BTC");
  EXPECT_EQ(assets[0].pair, "BTCUSDT");
  EXPECT_EQ(assets[0].rank, 1);
  EXPECT_EQ(assets[0].coingecko_id, "bitcoin");
  EXPECT_THAT(assets[0].categories, ElementsAre("layer-1"));
  for (size_t i = 1; i < assets.size(); ++i) {
    EXPECT_LT(assets[i - 1].rank, assets[i].rank);
  }
}

TEST_F(PricingRepositoryTest, CopyBatchAcrossMonthsCreatesPartitions) {
  std::vector<market::SourcedCandle> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back({MakeCandle("BTCUSDT", kJan31Late + i * kMinute, "110"),
                     "binance:trades"});
  }
  repository_->UpsertCandles(batch);
  EXPECT_THAT(PartitionNames(),
              ElementsAre("candles_p202401", "candles_p202402"));
  const std::vector<domain::Candle> stored =
      repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, 0,
                                kJan31Late + 10 * kMinute, 100, false);
  ASSERT_EQ(stored.size(), 5u);
  EXPECT_EQ(stored[0], batch[0].candle);  // exact decimals round-trip
  EXPECT_EQ(stored[4].open_time_ms, kJan31Late + 4 * kMinute);
}

TEST_F(PricingRepositoryTest, ReinsertAfterRestartNeverDoubleCounts) {
  std::vector<market::SourcedCandle> batch = {
      {MakeCandle("ETHUSDT", kJan31Late, "101"), "binance:trades"},
      {MakeCandle("ETHUSDT", kJan31Late + kMinute, "102"), "binance:trades"}};
  repository_->UpsertCandles(batch);
  // A new process (new repository, cold partition cache) replays the same
  // batch, with one candle corrected, plus a duplicate within the batch.
  PricingRepository restarted(*pool_);
  batch[1].candle.close = D("103");
  batch.push_back({MakeCandle("ETHUSDT", kJan31Late, "104"), "binance:trades"});
  restarted.UpsertCandles(batch);
  EXPECT_EQ(CountRows("1m"), 2);
  const auto stored = restarted.QueryCandles(
      "ETHUSDT", domain::Interval::k1m, 0, kJan31Late + kMinute * 5, 10, false);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].close, D("104"));  // last of the batch wins
  EXPECT_EQ(stored[1].close, D("103"));
}

TEST_F(PricingRepositoryTest, TradesCandleNeverReplacesExchangeKline) {
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "111", 50), "binance:klines"}});
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "112", 40), "binance:trades"}});
  auto stored = repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, 0,
                                          kJan31Late + kMinute, 10, false);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].close, D("111"));
  EXPECT_EQ(stored[0].trade_count, 50);
  // A newer exchange kline does replace it.
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "113", 51), "binance:klines"}});
  stored = repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, 0,
                                     kJan31Late + kMinute, 10, false);
  EXPECT_EQ(stored[0].close, D("113"));
}

TEST_F(PricingRepositoryTest, RangeQueriesHonourBoundsLimitAndDirection) {
  std::vector<market::SourcedCandle> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back({MakeCandle("BTCUSDT", kJan31Late + i * kMinute, "110"),
                     "binance:trades"});
  }
  batch.push_back({MakeCandle("ETHUSDT", kJan31Late, "110"), "binance:trades"});
  repository_->UpsertCandles(batch);
  const int64_t from = kJan31Late + 2 * kMinute;
  const int64_t to = kJan31Late + 8 * kMinute;  // exclusive
  auto first = repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, from,
                                         to, 3, false);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].open_time_ms, from);
  EXPECT_EQ(first[2].open_time_ms, from + 2 * kMinute);
  auto last = repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, from,
                                        to, 3, true);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].open_time_ms, to - 3 * kMinute);  // ascending order
  EXPECT_EQ(last[2].open_time_ms, to - kMinute);
  // Another interval of the same pair is a different series.
  EXPECT_TRUE(
      repository_
          ->QueryCandles("BTCUSDT", domain::Interval::k1h, 0, to, 3, true)
          .empty());
  EXPECT_TRUE(
      repository_
          ->QueryCandles("XRPUSDT", domain::Interval::k1m, 0, to, 3, false)
          .empty());
}

// Rows written by SQL (roll-ups, sums, older writers) can carry a numeric
// scale with trailing zeros, and the query is a prepared statement reused
// on the same connection: every read must give the canonical decimals.
TEST_F(PricingRepositoryTest, ReadsNumericScaleAndExtremesExactly) {
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "110"), "binance:trades"}});
  pool_->WithTransaction([](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO candles (pair, interval_name, open_time, open, high, low,"
        " close, volume, quote_volume, trade_count, source) VALUES"
        " ('BTCUSDT', '1m',"
        " 'epoch'::timestamptz + $1::bigint * interval '1 millisecond',"
        " 64250.120000, 99999999999999999999.999999999999999999,"
        " 0.000000000000000001, 64250.10000000000000000000, 0.000,"
        " 12345678901234567.123456789012345678, 0, 'test')",
        kJan31Late + kMinute);
  });
  for (bool newest : {false, true, false, true}) {
    const std::vector<domain::Candle> stored =
        repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, 0,
                                  kJan31Late + 2 * kMinute, 10, newest);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].close.ToString(), "110");
    const domain::Candle& c = stored[1];
    EXPECT_EQ(c.open_time_ms, kJan31Late + kMinute);
    EXPECT_EQ(c.open.ToString(), "64250.12");
    EXPECT_EQ(c.high.ToString(), "99999999999999999999.999999999999999999");
    EXPECT_EQ(c.low.ToString(), "0.000000000000000001");
    EXPECT_EQ(c.close.ToString(), "64250.1");
    EXPECT_EQ(c.volume.ToString(), "0");
    EXPECT_EQ(c.quote_volume.ToString(),
              "12345678901234567.123456789012345678");
  }
}

TEST_F(PricingRepositoryTest, RollupsMatchTheDomainRollUpAndAreIdempotent) {
  // 2024-02-01T00:00Z .. 00:29Z, varying prices.
  const int64_t start = kJan31Late + 2 * kMinute;
  std::vector<market::SourcedCandle> batch;
  const std::vector<domain::Candle> minutes =
      VaryingMinutes("SOLUSDT", start, 30);
  for (const domain::Candle& c : minutes) {
    batch.push_back({c, "binance:trades"});
  }
  repository_->UpsertCandles(batch);
  const int64_t end = start + 30 * kMinute;
  EXPECT_EQ(repository_->MaterializeRollups(domain::Interval::k15m, start, end),
            2);
  EXPECT_EQ(repository_->MaterializeRollups(domain::Interval::k15m, start, end),
            0);
  const auto stored = repository_->QueryCandles(
      "SOLUSDT", domain::Interval::k15m, start, end, 10, false);
  auto expected = domain::RollUp(minutes, domain::Interval::k15m);
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(stored.size(), expected->size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i], (*expected)[i]) << "bucket " << i;
  }
  // Only whole buckets: an hour that has not ended is not materialised.
  EXPECT_EQ(repository_->MaterializeRollups(domain::Interval::k1h, start, end),
            0);
}

// The domain's roll-up of `minutes` into `interval`.
std::vector<domain::Candle> Expected(const std::vector<domain::Candle>& minutes,
                                     domain::Interval interval) {
  absl::StatusOr<std::vector<domain::Candle>> rolled =
      domain::RollUp(minutes, interval);
  EXPECT_TRUE(rolled.ok());
  return rolled.ok() ? *rolled : std::vector<domain::Candle>{};
}

TEST_F(PricingRepositoryTest, WritingMinutesMaintainsEveryRollUp) {
  PricingRepository repository(*pool_, {.roll_up_on_write = true});
  // 2024-02-01T00:00Z .. 00:29Z, in two flushes.
  const int64_t start = kJan31Late + 2 * kMinute;
  std::vector<domain::Candle> minutes = VaryingMinutes("SOLUSDT", start, 30);
  std::vector<market::SourcedCandle> first, second;
  for (int i = 0; i < 30; ++i) {
    (i < 17 ? first : second).push_back({minutes[i], "binance:trades"});
  }
  repository.UpsertCandles(first);
  repository.UpsertCandles(second);
  const int64_t end = start + 30 * kMinute;
  for (domain::Interval interval :
       {domain::Interval::k5m, domain::Interval::k15m, domain::Interval::k1h,
        domain::Interval::k4h, domain::Interval::k1d}) {
    EXPECT_EQ(repository.QueryCandles("SOLUSDT", interval, 0, end, 10, false),
              Expected(minutes, interval))
        << domain::IntervalName(interval);
  }
  // Nothing is left for the repair job to change.
  EXPECT_EQ(repository.MaterializeRollups(domain::Interval::k15m, start, end),
            0);

  // A repaired (late) minute updates its buckets at every interval.
  domain::Candle late = MakeCandle("SOLUSDT", end, "140");
  late.high = common::Decimal::FromInteger(999);
  minutes.push_back(late);
  repository.UpsertCandles({{late, "binance:klines"}});
  for (domain::Interval interval :
       {domain::Interval::k5m, domain::Interval::k1h, domain::Interval::k1d}) {
    EXPECT_EQ(repository.QueryCandles("SOLUSDT", interval, 0, end + kMinute, 10,
                                      false),
              Expected(minutes, interval))
        << domain::IntervalName(interval);
  }
}

TEST_F(PricingRepositoryTest, RollUpsNeverReplaceAnExchangeCandle) {
  PricingRepository repository(*pool_, {.roll_up_on_write = true});
  const int64_t hour = kJan31Late + 2 * kMinute;  // 2024-02-01T00:00Z
  // The exchange's hourly candle, fetched as history.
  domain::Candle exchange_hour = MakeCandle("BTCUSDT", hour, "105", 7000);
  exchange_hour.interval = domain::Interval::k1h;
  repository.UpsertCandles({{exchange_hour, "binance:klines"}});
  // Then only some of the hour's minutes (a backfill that reached part of
  // it): the five-minute buckets are built, the hour stays the exchange's.
  std::vector<market::SourcedCandle> some;
  for (int i = 50; i < 60; ++i) {
    some.push_back(
        {MakeCandle("BTCUSDT", hour + i * kMinute, "110"), "binance:trades"});
  }
  repository.UpsertCandles(some);
  EXPECT_EQ(repository
                .QueryCandles("BTCUSDT", domain::Interval::k1h, hour,
                              hour + 60 * kMinute, 10, false)
                .at(0),
            exchange_hour);
  EXPECT_EQ(repository
                .QueryCandles("BTCUSDT", domain::Interval::k5m, hour,
                              hour + 60 * kMinute, 10, false)
                .size(),
            2u);
  // The day above it is built from the exchange's hour (4h, then 1d).
  const std::vector<domain::Candle> day = repository.QueryCandles(
      "BTCUSDT", domain::Interval::k1d, hour, hour + 60 * kMinute, 10, false);
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].trade_count, 7000);
  EXPECT_EQ(day[0].close, D("105"));
}

TEST_F(PricingRepositoryTest, WithoutRollUpOnWriteOnlyTheCandlesAreWritten) {
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "110"), "binance:trades"}});
  EXPECT_EQ(CountRows("1m"), 1);
  EXPECT_EQ(CountRows("5m"), 0);
}

TEST_F(PricingRepositoryTest, RetentionDeletesOldMinutesAndDropsOldMonths) {
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "110"), "binance:trades"},
       {MakeCandle("BTCUSDT", kJan31Late + 5 * kMinute, "110"),
        "binance:trades"}});
  ASSERT_GT(repository_->MaterializeRollups(domain::Interval::k5m, kJan31Late,
                                            kJan31Late + 10 * kMinute),
            0);
  const int64_t five_minute_rows = CountRows("5m");
  // Keep minutes from February on; keep every month's roll-ups.
  RetentionResult result =
      repository_->ApplyRetention(kJan31Late + 2 * kMinute, 0);
  EXPECT_EQ(result.one_minute_deleted, 1);
  EXPECT_TRUE(result.partitions_dropped.empty());
  EXPECT_EQ(CountRows("1m"), 1);
  EXPECT_EQ(CountRows("5m"), five_minute_rows);
  // Now expire January entirely (its month ends at the cutoff).
  result = repository_->ApplyRetention(0, kJan31Late + 2 * kMinute);
  EXPECT_THAT(result.partitions_dropped, ElementsAre("candles_p202401"));
  EXPECT_THAT(PartitionNames(), Not(Contains("candles_p202401")));
  EXPECT_EQ(CountRows("1m"), 1);  // February's row survives
  // Writing into the dropped month again recreates its partition.
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "110"), "binance:trades"}});
  EXPECT_EQ(CountRows("1m"), 2);
}

TEST_F(PricingRepositoryTest, KlineWinsOverTradesCandleInTheSameBatch) {
  // The recorder queues the exchange's kline on arrival and appends the
  // trades candle of the same minute when it closes it at flush time.
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "101"), "binance:klines"},
       {MakeCandle("BTCUSDT", kJan31Late, "99", 2), "binance:trades"}});
  std::vector<domain::Candle> stored =
      repository_->QueryCandles("BTCUSDT", domain::Interval::k1m, kJan31Late,
                                kJan31Late + kMinute, 10, false);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].close, D("101"));
  EXPECT_EQ(stored[0].trade_count, 3);
  // Among candles of one kind the last still wins.
  repository_->UpsertCandles(
      {{MakeCandle("ETHUSDT", kJan31Late, "100"), "binance:trades"},
       {MakeCandle("ETHUSDT", kJan31Late, "102"), "binance:trades"}});
  stored =
      repository_->QueryCandles("ETHUSDT", domain::Interval::k1m, kJan31Late,
                                kJan31Late + kMinute, 10, false);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].close, D("102"));
}

TEST_F(PricingRepositoryTest, StoredOpenTimesListsOnlyTheRange) {
  repository_->UpsertCandles(
      {{MakeCandle("BTCUSDT", kJan31Late, "100"), "t"},
       {MakeCandle("BTCUSDT", kJan31Late + 2 * kMinute, "101"), "t"},
       {MakeCandle("ETHUSDT", kJan31Late, "102"), "t"}});
  EXPECT_THAT(
      repository_->StoredOpenTimes("BTCUSDT", domain::Interval::k1m, kJan31Late,
                                   kJan31Late + 10 * kMinute),
      ElementsAre(kJan31Late, kJan31Late + 2 * kMinute));
  EXPECT_THAT(repository_->StoredOpenTimes("BTCUSDT", domain::Interval::k1m,
                                           kJan31Late + kMinute,
                                           kJan31Late + 2 * kMinute),
              ElementsAre());
  EXPECT_THAT(repository_->StoredOpenTimes("BTCUSDT", domain::Interval::k1h,
                                           kJan31Late, kJan31Late + kMinute),
              ElementsAre());
}

TEST_F(PricingRepositoryTest, MarketDataUpdateKeepsWhatIsNotGiven) {
  const int64_t changed = repository_->UpdateAssetMarketData(
      {{.coingecko_id = "bitcoin",
        .rank = 1,
        .market_cap_usd = "1834567890123.5",
        .circulating_supply = "19800000",
        .logo_url = "https://img.example.test/btc.png"},
       {.coingecko_id = "ethereum", .rank = 3},
       {.coingecko_id = "no-such-coin", .rank = 7}});
  EXPECT_EQ(changed, 2);
  const std::vector<AssetRecord> assets = repository_->ListAssets();
  ASSERT_GE(assets.size(), 2u);
  EXPECT_EQ(assets[0].symbol, "BTC");
  EXPECT_EQ(assets[0].market_cap_usd, "1834567890123.5");
  EXPECT_EQ(assets[0].circulating_supply, "19800000");
  EXPECT_EQ(assets[0].logo_url, "https://img.example.test/btc.png");
  auto eth =
      std::find_if(assets.begin(), assets.end(),
                   [](const AssetRecord& a) { return a.symbol == "ETH"; });
  ASSERT_NE(eth, assets.end());
  EXPECT_EQ(eth->rank, 3);
  EXPECT_EQ(eth->website_url, "https://ethereum.org");
  // The same values again change nothing.
  EXPECT_EQ(repository_->UpdateAssetMarketData(
                {{.coingecko_id = "ethereum", .rank = 3}}),
            0);
}

}  // namespace
}  // namespace cryptotracker::pricing::storage
