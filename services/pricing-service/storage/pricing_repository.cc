#include "services/pricing-service/storage/pricing_repository.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "services/common/logging.h"

namespace cryptotracker::pricing::storage {
namespace {

// A bigint parameter of milliseconds since the epoch as a timestamptz.
#define PRICING_TS(n) \
  "('epoch'::timestamptz + $" #n "::bigint * interval '1 millisecond')"

// The upsert of an INSERT INTO candles c ... SELECT: a row with the same key
// takes the new values (each statement adds its own WHERE on when to).
#define PRICING_UPSERT_CANDLE                                        \
  "ON CONFLICT (pair, interval_name, open_time) DO UPDATE SET"       \
  " open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low," \
  " close = EXCLUDED.close, volume = EXCLUDED.volume,"               \
  " quote_volume = EXCLUDED.quote_volume,"                           \
  " trade_count = EXCLUDED.trade_count, source = EXCLUDED.source,"   \
  " updated_at = now() "

// Results come back as text, so a numeric column arrives as numeric's own
// text output; a ::text cast would only add two copies per value on the
// server.
constexpr const char* kCandleColumns =
    "(extract(epoch from open_time) * 1000)::bigint, open, high, low, close, "
    "volume, quote_volume, trade_count";

// Candles the exchange reported ("binance:klines"), as opposed to candles
// built here from trades.
bool IsExchangeSource(std::string_view source) {
  return source.ends_with(":klines");
}

struct Month {
  int year = 1970;
  unsigned month = 1;  // 1..12

  int64_t Index() const { return int64_t{year} * 12 + (month - 1); }
  static Month FromIndex(int64_t index) {
    return {static_cast<int>(index / 12),
            static_cast<unsigned>(index % 12) + 1};
  }
  static Month Containing(int64_t time_ms) {
    using namespace std::chrono;
    const sys_days day =
        floor<days>(sys_time<milliseconds>(milliseconds(time_ms)));
    const year_month_day ymd{day};
    return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month())};
  }
  int64_t StartMs() const {
    using namespace std::chrono;
    const sys_days day{std::chrono::year{year} / std::chrono::month{month} / 1};
    return duration_cast<milliseconds>(day.time_since_epoch()).count();
  }
  Month Next() const { return FromIndex(Index() + 1); }
  std::string PartitionName() const {
    char name[32];
    std::snprintf(name, sizeof(name), "candles_p%04d%02u", year, month);
    return name;
  }
  // "YYYY-MM-01 00:00:00+00"
  std::string StartLiteral() const {
    char text[32];
    std::snprintf(text, sizeof(text), "%04d-%02u-01 00:00:00+00", year, month);
    return text;
  }
};

common::Decimal ParseStoredDecimal(const pqxx::field& field) {
  absl::StatusOr<common::Decimal> value = common::Decimal::Parse(field.c_str());
  if (!value.ok()) {
    // The schema only admits numbers written by this code; anything else is
    // corruption, not input.
    throw std::runtime_error("unreadable numeric in candles." +
                             std::string(field.name()));
  }
  return *value;
}

domain::Candle CandleFromRow(const pqxx::row& row, const std::string& pair,
                             domain::Interval interval) {
  domain::Candle candle;
  candle.symbol = pair;
  candle.interval = interval;
  candle.open_time_ms = row[0].as<int64_t>();
  candle.open = ParseStoredDecimal(row[1]);
  candle.high = ParseStoredDecimal(row[2]);
  candle.low = ParseStoredDecimal(row[3]);
  candle.close = ParseStoredDecimal(row[4]);
  candle.volume = ParseStoredDecimal(row[5]);
  candle.quote_volume = ParseStoredDecimal(row[6]);
  candle.trade_count = row[7].as<int64_t>();
  candle.closed = true;
  return candle;
}

// PostgreSQL interval text of a candle width, for date_bin.
const char* PgIntervalText(domain::Interval interval) {
  switch (interval) {
    case domain::Interval::k1m:
      return "1 minute";
    case domain::Interval::k5m:
      return "5 minutes";
    case domain::Interval::k15m:
      return "15 minutes";
    case domain::Interval::k1h:
      return "1 hour";
    case domain::Interval::k4h:
      return "4 hours";
    case domain::Interval::k1d:
      return "1 day";
  }
  return "1 minute";
}

}  // namespace

std::string PartitionNameFor(int64_t time_ms) {
  return Month::Containing(time_ms).PartitionName();
}

PricingRepository::PricingRepository(common::ConnectionPool& pool,
                                     PricingRepositoryOptions options)
    : pool_(pool), options_(options) {}

std::vector<AssetRecord> PricingRepository::ListAssets() {
  return pool_.WithReadOnly([](pqxx::read_transaction& tx) {
    const pqxx::result rows = tx.exec(
        "SELECT symbol, name, coalesce(rank, 0), exchange, pair, coingecko_id, "
        "coalesce(market_cap_usd::text, ''), "
        "coalesce(circulating_supply::text, ''), price_decimals, "
        "quantity_decimals, logo_url, website_url, description, "
        "array_to_string(categories, ','), "
        "(extract(epoch from update_time) * 1000)::bigint "
        "FROM assets WHERE enabled "
        "ORDER BY rank IS NULL, rank, symbol");
    std::vector<AssetRecord> assets;
    assets.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      AssetRecord asset;
      asset.symbol = row[0].as<std::string>();
      asset.name = row[1].as<std::string>();
      asset.rank = row[2].as<int32_t>();
      asset.exchange = row[3].as<std::string>();
      asset.pair = row[4].as<std::string>();
      asset.coingecko_id = row[5].as<std::string>();
      asset.market_cap_usd = row[6].as<std::string>();
      asset.circulating_supply = row[7].as<std::string>();
      asset.price_decimals = row[8].as<int32_t>();
      asset.quantity_decimals = row[9].as<int32_t>();
      asset.logo_url = row[10].as<std::string>();
      asset.website_url = row[11].as<std::string>();
      asset.description = row[12].as<std::string>();
      const std::string categories = row[13].as<std::string>();
      size_t start = 0;
      while (start < categories.size()) {
        size_t end = categories.find(',', start);
        if (end == std::string::npos) end = categories.size();
        if (end > start) {
          asset.categories.push_back(categories.substr(start, end - start));
        }
        start = end + 1;
      }
      asset.update_time_ms = row[14].as<int64_t>();
      assets.push_back(std::move(asset));
    }
    return assets;
  });
}

void PricingRepository::EnsurePartitions(int64_t from_ms, int64_t to_ms) {
  if (to_ms < from_ms) std::swap(from_ms, to_ms);
  const int64_t first = Month::Containing(from_ms).Index();
  const int64_t last = Month::Containing(to_ms).Index();
  std::vector<Month> missing;
  {
    std::lock_guard lock(partitions_mu_);
    for (int64_t index = first; index <= last; ++index) {
      if (!known_months_.contains(index)) {
        missing.push_back(Month::FromIndex(index));
      }
    }
  }
  if (missing.empty()) return;
  pool_.WithTransaction([&](pqxx::work& tx) {
    // Two processes (the service and a backfill job) may create the same
    // month at once; IF NOT EXISTS alone does not make that safe.
    tx.exec(
        "SELECT pg_advisory_xact_lock(hashtext('pricing.candles.partitions'))");
    for (const Month& month : missing) {
      // Identifiers and bounds cannot be bound as parameters; both are
      // formatted from integers above.
      tx.exec("CREATE TABLE IF NOT EXISTS " + month.PartitionName() +
              " PARTITION OF candles FOR VALUES FROM ('" +
              month.StartLiteral() + "') TO ('" + month.Next().StartLiteral() +
              "')");
    }
  });
  std::lock_guard lock(partitions_mu_);
  for (const Month& month : missing) known_months_.insert(month.Index());
}

std::vector<std::string> PricingRepository::ListPartitions() {
  return pool_.WithReadOnly([](pqxx::read_transaction& tx) {
    const pqxx::result rows = tx.exec(
        "SELECT child.relname FROM pg_inherits i "
        "JOIN pg_class child ON child.oid = i.inhrelid "
        "WHERE i.inhparent = 'candles'::regclass ORDER BY child.relname");
    std::vector<std::string> names;
    for (const pqxx::row& row : rows) names.push_back(row[0].as<std::string>());
    return names;
  });
}

void PricingRepository::UpsertCandles(
    const std::vector<market::SourcedCandle>& candles) {
  if (candles.empty()) return;
  // One candle per key reaches the INSERT (a statement may not update one
  // row twice): an exchange ("...:klines") candle over a trades one, as in
  // the table, and otherwise the last. The recorder's batches hold the
  // exchange's kline of a minute before the trades candle of the same
  // minute, which it closes at flush time.
  absl::flat_hash_map<std::tuple<std::string, domain::Interval, int64_t>,
                      size_t>
      last;
  int64_t min_time = candles.front().candle.open_time_ms;
  int64_t max_time = min_time;
  for (size_t i = 0; i < candles.size(); ++i) {
    const domain::Candle& c = candles[i].candle;
    auto [it, inserted] =
        last.try_emplace({c.symbol, c.interval, c.open_time_ms}, i);
    if (!inserted && (IsExchangeSource(candles[i].source) ||
                      !IsExchangeSource(candles[it->second].source))) {
      it->second = i;
    }
    min_time = std::min(min_time, c.open_time_ms);
    max_time = std::max(max_time, c.open_time_ms);
  }
  EnsurePartitions(min_time, max_time);

  try {
    WriteBatch(candles, last);
  } catch (const pqxx::sql_error&) {
    // Another process (the rollup job's retention) may have dropped a
    // month this cache believes exists; forget the cache so that the next
    // attempt re-creates what is missing.
    std::lock_guard lock(partitions_mu_);
    known_months_.clear();
    throw;
  }
}

void PricingRepository::WriteBatch(
    const std::vector<market::SourcedCandle>& candles,
    const absl::flat_hash_map<
        std::tuple<std::string, domain::Interval, int64_t>, size_t>& last) {
  pool_.WithTransaction([&](pqxx::work& tx) {
    if (options_.roll_up_on_write) {
      // See RollUpTouchedBuckets: first, before any row lock is taken.
      tx.exec(
          "SELECT pg_advisory_xact_lock(hashtext('pricing.candles.rollup'))");
    }
    tx.exec(
        "CREATE TEMP TABLE candles_staging ("
        " pair text, interval_name text, open_time_ms bigint, open numeric,"
        " high numeric, low numeric, close numeric, volume numeric,"
        " quote_volume numeric, trade_count bigint, source text"
        ") ON COMMIT DROP");
    {
      pqxx::stream_to copy(
          tx, "candles_staging",
          std::vector<std::string>{"pair", "interval_name", "open_time_ms",
                                   "open", "high", "low", "close", "volume",
                                   "quote_volume", "trade_count", "source"});
      for (size_t i = 0; i < candles.size(); ++i) {
        const domain::Candle& c = candles[i].candle;
        if (last.at({c.symbol, c.interval, c.open_time_ms}) != i) continue;
        copy << std::make_tuple(
            c.symbol, std::string(domain::IntervalName(c.interval)),
            c.open_time_ms, c.open.ToString(), c.high.ToString(),
            c.low.ToString(), c.close.ToString(), c.volume.ToString(),
            c.quote_volume.ToString(), c.trade_count, candles[i].source);
      }
      copy.complete();
    }
    tx.exec(
        "INSERT INTO candles AS c (pair, interval_name, open_time, open, high,"
        " low, close, volume, quote_volume, trade_count, source) "
        "SELECT pair, interval_name,"
        " 'epoch'::timestamptz + open_time_ms * interval '1 millisecond',"
        " open, high, low, close, volume, quote_volume, trade_count, source "
        "FROM candles_staging " PRICING_UPSERT_CANDLE
        "WHERE (c.source NOT LIKE '%:klines' OR EXCLUDED.source LIKE "
        "'%:klines')"
        " AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume,"
        " c.trade_count, c.source) IS DISTINCT FROM (EXCLUDED.open,"
        " EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,"
        " EXCLUDED.quote_volume, EXCLUDED.trade_count, EXCLUDED.source)");
    if (options_.roll_up_on_write) RollUpTouchedBuckets(tx);
  });
}

// Continuous roll-ups: the buckets of every wider interval that contain a
// candle just staged are recomputed, in the same transaction, from the
// stored candles of the next finer interval (5m from 1m, 15m from 5m, 1h
// from 15m, 4h from 1h, 1d from 4h). Each step is exact: first open, max
// high, min low, last close and the sums compose, in numeric, never double.
// Cascading keeps each statement to a handful of rows per bucket (a day is
// six 4h rows, not 1,440 minutes), and lets an exchange-provided 1h candle
// feed the 4h and 1d buckets above it.
//
// What a roll-up may replace: a missing row or an earlier roll-up
// ('rollup'), never a candle the exchange reported ('...:klines', e.g. the
// 1h and 1d history fetched from the exchange). The exchange saw every
// trade of the bucket, while the stored minutes below it may be incomplete
// (a start-up backfill that reaches only part of a day, a reconnect), so a
// roll-up of them must not overwrite it. Below that rule a bucket is
// written from whatever finer candles are stored, complete or not: the
// bucket in progress grows minute by minute, and a bucket with a hole is
// recomputed when the hole is filled, because the repaired minute is
// staged like any other.
//
// Concurrent writers (the service's flush, a backfill job, the history
// fill) serialise on one transaction-level advisory lock, taken first in
// the transaction (WriteBatch), before any row is written: each roll-up
// statement then starts after the previous writer committed and sees its
// candles, so two writers of different minutes of one bucket cannot each
// overwrite it with a sum that misses the other's minute. Taking it before
// writing also means no writer waits for the lock while holding row locks
// another writer's roll-up needs (a deadlock otherwise, e.g. a fetched
// hourly candle and a flush rolling up the same hour).
void PricingRepository::RollUpTouchedBuckets(pqxx::work& tx) {
  std::string finer;  // comma-separated names of the intervals below target
  domain::Interval source = domain::Interval::k1m;
  for (domain::Interval target : domain::kAllIntervals) {
    if (target == domain::Interval::k1m) continue;
    if (!finer.empty()) finer += ',';
    finer += domain::IntervalName(source);
    tx.exec_params(
        "INSERT INTO candles AS c (pair, interval_name, open_time, open, high,"
        " low, close, volume, quote_volume, trade_count, source) "
        "SELECT s.pair, $1, b.bucket,"
        " (array_agg(s.open ORDER BY s.open_time))[1], max(s.high),"
        " min(s.low), (array_agg(s.close ORDER BY s.open_time DESC))[1],"
        " sum(s.volume), sum(s.quote_volume), sum(s.trade_count), 'rollup' "
        "FROM (SELECT DISTINCT pair, date_bin($2::interval,"
        "  'epoch'::timestamptz + open_time_ms * interval '1 millisecond',"
        "  'epoch'::timestamptz) AS bucket FROM candles_staging"
        "  WHERE interval_name = ANY(string_to_array($4, ','))) b "
        "JOIN candles s ON s.pair = b.pair AND s.interval_name = $3"
        " AND s.open_time >= b.bucket"
        " AND s.open_time < b.bucket + $2::interval"
        // The same range once more as constants of the statement: without
        // them the planner joins every monthly partition (seconds per batch
        // once the history is deep); with them it prunes the months at run
        // time and walks the index of the few it needs.
        " AND s.open_time >= (SELECT date_bin($2::interval,"
        "  'epoch'::timestamptz + min(open_time_ms) * interval '1 millisecond',"
        "  'epoch'::timestamptz) FROM candles_staging"
        "  WHERE interval_name = ANY(string_to_array($4, ',')))"
        " AND s.open_time < (SELECT date_bin($2::interval,"
        "  'epoch'::timestamptz + max(open_time_ms) * interval '1 millisecond',"
        "  'epoch'::timestamptz) + $2::interval FROM candles_staging"
        "  WHERE interval_name = ANY(string_to_array($4, ','))) "
        "GROUP BY s.pair, b.bucket " PRICING_UPSERT_CANDLE
        "WHERE c.source NOT LIKE '%:klines'"
        " AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume,"
        " c.trade_count) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high,"
        " EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,"
        " EXCLUDED.quote_volume, EXCLUDED.trade_count)",
        std::string(domain::IntervalName(target)),
        std::string(PgIntervalText(target)),
        std::string(domain::IntervalName(source)), finer);
    source = target;
  }
}

std::vector<domain::Candle> PricingRepository::QueryCandles(
    const std::string& pair, domain::Interval interval, int64_t from_ms,
    int64_t to_ms, int limit, bool newest) {
  if (limit <= 0 || to_ms <= from_ms) return {};
  // Prepared once per connection: this is the read path of every candle
  // request, and parsing and planning the statement over the partitioned
  // table cost the database more than running it. The generic plan scans
  // each month's unique index backwards (or forwards) in order, prunes the
  // months outside the range at execution time and stops at the limit.
  static const std::string kNewestSql =
      std::string("SELECT ") + kCandleColumns +
      " FROM candles WHERE pair = $1 AND interval_name = $2"
      " AND open_time >= " PRICING_TS(3) " AND open_time < " PRICING_TS(
          4) " ORDER BY open_time DESC LIMIT $5";
  static const std::string kOldestSql =
      std::string("SELECT ") + kCandleColumns +
      " FROM candles WHERE pair = $1 AND interval_name = $2"
      " AND open_time >= " PRICING_TS(3) " AND open_time < " PRICING_TS(
          4) " ORDER BY open_time ASC LIMIT $5";
  const char* const statement =
      newest ? "pricing_candles_newest" : "pricing_candles_oldest";
  // One SELECT: no BEGIN/COMMIT round trips around it.
  return pool_.WithSingleRead([&](pqxx::nontransaction& tx) {
    // A no-op once defined on this connection (same name, same text).
    tx.conn().prepare(statement, newest ? kNewestSql : kOldestSql);
    const pqxx::result rows = tx.exec_prepared(
        statement, pair, std::string(domain::IntervalName(interval)), from_ms,
        to_ms, limit);
    std::vector<domain::Candle> candles;
    candles.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      candles.push_back(CandleFromRow(row, pair, interval));
    }
    if (newest) std::reverse(candles.begin(), candles.end());
    return candles;
  });
}

std::vector<int64_t> PricingRepository::StoredOpenTimes(
    const std::string& pair, domain::Interval interval, int64_t from_ms,
    int64_t to_ms) {
  return OpenTimesFrom(pair, interval, from_ms, to_ms, /*exchange_only=*/false);
}

std::vector<int64_t> PricingRepository::StoredExchangeOpenTimes(
    const std::string& pair, domain::Interval interval, int64_t from_ms,
    int64_t to_ms) {
  return OpenTimesFrom(pair, interval, from_ms, to_ms, /*exchange_only=*/true);
}

std::vector<int64_t> PricingRepository::OpenTimesFrom(
    const std::string& pair, domain::Interval interval, int64_t from_ms,
    int64_t to_ms, bool exchange_only) {
  if (to_ms <= from_ms) return {};
  return pool_.WithReadOnly([&](pqxx::read_transaction& tx) {
    const pqxx::result rows = tx.exec_params(
        "SELECT (extract(epoch from open_time) * 1000)::bigint FROM candles"
        " WHERE pair = $1 AND interval_name = $2"
        " AND open_time >= " PRICING_TS(3) " AND open_time < " PRICING_TS(
            4) " AND (NOT $5 OR source LIKE '%:klines') ORDER BY open_time",
        pair, std::string(domain::IntervalName(interval)), from_ms, to_ms,
        exchange_only);
    std::vector<int64_t> times;
    times.reserve(rows.size());
    for (const pqxx::row& row : rows) times.push_back(row[0].as<int64_t>());
    return times;
  });
}

std::optional<int64_t> PricingRepository::OldestExchangeOpenTime(
    const std::string& pair, domain::Interval interval) {
  return pool_.WithSingleRead(
      [&](pqxx::nontransaction& tx) -> std::optional<int64_t> {
        const pqxx::result rows = tx.exec_params(
            "SELECT (extract(epoch from open_time) * 1000)::bigint FROM candles"
            " WHERE pair = $1 AND interval_name = $2"
            " AND source LIKE '%:klines' ORDER BY open_time LIMIT 1",
            pair, std::string(domain::IntervalName(interval)));
        if (rows.empty()) return std::nullopt;
        return rows[0][0].as<int64_t>();
      });
}

int64_t PricingRepository::UpdateAssetMarketData(
    const std::vector<AssetMarketData>& updates) {
  if (updates.empty()) return 0;
  return pool_.WithTransaction([&](pqxx::work& tx) {
    int64_t changed = 0;
    for (const AssetMarketData& update : updates) {
      // Empty values keep what the row has; unchanged rows are not
      // rewritten (no update_time bump, no dead tuple).
      const pqxx::result result = tx.exec_params(
          "UPDATE assets SET"
          " rank = coalesce(NULLIF($2::integer, 0), rank),"
          " market_cap_usd = coalesce(NULLIF($3, '')::numeric, market_cap_usd),"
          " circulating_supply ="
          "   coalesce(NULLIF($4, '')::numeric, circulating_supply),"
          " logo_url = coalesce(NULLIF($5, ''), logo_url),"
          " update_time = now()"
          " WHERE coingecko_id = $1 AND ("
          "   rank IS DISTINCT FROM coalesce(NULLIF($2::integer, 0), rank)"
          "   OR market_cap_usd IS DISTINCT FROM"
          "      coalesce(NULLIF($3, '')::numeric, market_cap_usd)"
          "   OR circulating_supply IS DISTINCT FROM"
          "      coalesce(NULLIF($4, '')::numeric, circulating_supply)"
          "   OR logo_url IS DISTINCT FROM coalesce(NULLIF($5, ''), logo_url))",
          update.coingecko_id, update.rank, update.market_cap_usd,
          update.circulating_supply, update.logo_url);
      changed += static_cast<int64_t>(result.affected_rows());
    }
    return changed;
  });
}

int64_t PricingRepository::MaterializeRollups(domain::Interval target,
                                              int64_t from_ms, int64_t to_ms) {
  if (target == domain::Interval::k1m) {
    throw std::invalid_argument("one-minute candles are not a roll-up");
  }
  const int64_t from = domain::AlignToInterval(from_ms, target);
  const int64_t to = domain::AlignToInterval(to_ms, target);
  if (to <= from) return 0;
  return pool_.WithTransaction([&](pqxx::work& tx) -> int64_t {
    // Buckets are aligned to the Unix epoch, a UTC midnight, exactly like
    // AlignToInterval; open and close are the first and last minute's.
    const pqxx::result result = tx.exec_params(
        "INSERT INTO candles AS c (pair, interval_name, open_time, open, high,"
        " low, close, volume, quote_volume, trade_count, source) "
        "SELECT pair, $1, bucket,"
        " (array_agg(open ORDER BY open_time))[1], max(high), min(low),"
        " (array_agg(close ORDER BY open_time DESC))[1], sum(volume),"
        " sum(quote_volume), sum(trade_count), 'rollup' "
        "FROM (SELECT m.*, date_bin($2::interval, m.open_time,"
        "  'epoch'::timestamptz) AS bucket FROM candles m"
        "  WHERE m.interval_name = '1m' AND m.open_time >= " PRICING_TS(3)
        "  AND m.open_time < " PRICING_TS(4) ") minutes "
        "GROUP BY pair, bucket "
        PRICING_UPSERT_CANDLE
        "WHERE c.source NOT LIKE '%:klines' AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume,"
        " c.trade_count) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high,"
        " EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,"
        " EXCLUDED.quote_volume, EXCLUDED.trade_count)",
        std::string(domain::IntervalName(target)), std::string(PgIntervalText(target)),
        from, to);
    return static_cast<int64_t>(result.affected_rows());
  });
}

RetentionResult PricingRepository::ApplyRetention(int64_t one_minute_cutoff_ms,
                                                  int64_t rollup_cutoff_ms) {
  RetentionResult outcome;
  outcome.one_minute_deleted = pool_.WithTransaction([&](pqxx::work& tx) {
    const pqxx::result result = tx.exec_params(
        "DELETE FROM candles WHERE interval_name = '1m'"
        " AND open_time < " PRICING_TS(1),
        one_minute_cutoff_ms);
    return static_cast<int64_t>(result.affected_rows());
  });

  static const std::regex kPartitionName("candles_p([0-9]{4})([0-9]{2})");
  std::vector<std::pair<std::string, Month>> expired;
  for (const std::string& name : ListPartitions()) {
    std::smatch match;
    if (!std::regex_match(name, match, kPartitionName)) continue;
    const Month month{std::stoi(match[1]),
                      static_cast<unsigned>(std::stoi(match[2]))};
    if (month.month < 1 || month.month > 12) continue;
    if (month.Next().StartMs() <= rollup_cutoff_ms) {
      expired.emplace_back(name, month);
    }
  }
  if (expired.empty()) return outcome;
  pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec(
        "SELECT pg_advisory_xact_lock(hashtext('pricing.candles.partitions'))");
    for (const auto& [name, month] : expired) {
      // `name` matched candles_pNNNNNN above: safe as an identifier.
      tx.exec("DROP TABLE IF EXISTS " + name);
    }
  });
  std::lock_guard lock(partitions_mu_);
  for (const auto& [name, month] : expired) {
    known_months_.erase(month.Index());
    outcome.partitions_dropped.push_back(name);
  }
  return outcome;
}

int64_t PricingRepository::DeleteCandlesBefore(domain::Interval interval,
                                               int64_t cutoff_ms) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    const pqxx::result result = tx.exec_params(
        "DELETE FROM candles WHERE interval_name = $1"
        " AND open_time < " PRICING_TS(2),
        std::string(domain::IntervalName(interval)), cutoff_ms);
    return static_cast<int64_t>(result.affected_rows());
  });
}

}  // namespace cryptotracker::pricing::storage
