// Every SQL statement of pricing-service. Statements are parameterised; the
// only SQL assembled from text are partition DDL statements (PostgreSQL
// cannot bind identifiers or partition bounds), and those are built from
// integers this code computes, never from input.
//
// The repository holds no state besides the pool and a cache of partitions
// known to exist, so it is safe to share across threads.
#ifndef CRYPTOTRACKER_PRICING_STORAGE_PRICING_REPOSITORY_H_
#define CRYPTOTRACKER_PRICING_STORAGE_PRICING_REPOSITORY_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "services/common/db.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/market/candle_recorder.h"

namespace cryptotracker::pricing::storage {

// A row of `assets`.
struct AssetRecord {
  std::string symbol;
  std::string name;
  // 0 when unknown.
  int32_t rank = 0;
  std::string exchange;
  std::string pair;
  std::string coingecko_id;
  // Decimal strings; empty when unknown.
  std::string market_cap_usd;
  std::string circulating_supply;
  int32_t price_decimals = 2;
  int32_t quantity_decimals = 2;
  std::string logo_url;
  std::string website_url;
  std::string description;
  std::vector<std::string> categories;
  int64_t update_time_ms = 0;
};

// Market data of one asset from CoinGecko /coins/markets, keyed by its
// CoinGecko id. Decimal strings; an empty string leaves the column as is.
struct AssetMarketData {
  std::string coingecko_id;
  // 0 leaves the rank as is.
  int32_t rank = 0;
  std::string market_cap_usd;
  std::string circulating_supply;
  std::string logo_url;
};

struct RetentionResult {
  // One-minute candles deleted (older than the one-minute cutoff).
  int64_t one_minute_deleted = 0;
  // Monthly partitions dropped (entirely older than the roll-up cutoff).
  std::vector<std::string> partitions_dropped;
};

struct PricingRepositoryOptions {
  // Whether UpsertCandles also brings the 5m..1d roll-ups of the buckets it
  // touched up to date (the service and the backfill job: roll-ups are
  // maintained as minutes are written, see RollUpTouchedBuckets in the .cc).
  // Off, only the given candles are written (the `rollup` job's repair
  // path, MaterializeRollups, is then the only way to roll-ups).
  bool roll_up_on_write = false;
};

class PricingRepository final : public market::CandleStore {
 public:
  explicit PricingRepository(common::ConnectionPool& pool,
                             PricingRepositoryOptions options = {});

  // Enabled assets by rank (unranked last), then symbol.
  std::vector<AssetRecord> ListAssets();

  // Writes closed candles: creates the months' partitions if needed, COPYs
  // the batch into a temporary staging table and upserts it into `candles`
  // in one transaction. Within a batch the last candle of a (pair,
  // interval, open time) wins. A "...:trades" candle never replaces a stored
  // "...:klines" one. With roll_up_on_write, the same transaction recomputes
  // every 5m..1d bucket containing a written candle of a finer interval
  // (never replacing an exchange-provided "...:klines" candle). Throws on
  // failure (nothing is written then).
  void UpsertCandles(
      const std::vector<market::SourcedCandle>& candles) override;

  // Creates the monthly partitions covering [from_ms, to_ms] that do not
  // exist yet. Serialised across processes with an advisory lock.
  void EnsurePartitions(int64_t from_ms, int64_t to_ms);

  // Stored candles of `pair` and `interval` with open time in [from_ms,
  // to_ms), ascending, at most `limit` of them: the first ones when
  // `newest` is false, the last ones when it is true. Every stored candle is
  // closed.
  std::vector<domain::Candle> QueryCandles(const std::string& pair,
                                           domain::Interval interval,
                                           int64_t from_ms, int64_t to_ms,
                                           int limit, bool newest);

  // Open times of the stored candles of `pair` and `interval` in [from_ms,
  // to_ms), ascending; for finding holes to backfill.
  std::vector<int64_t> StoredOpenTimes(const std::string& pair,
                                       domain::Interval interval,
                                       int64_t from_ms, int64_t to_ms);

  // Like StoredOpenTimes, but only the candles the exchange reported
  // ("...:klines"): the history fill replaces the others (roll-ups of
  // minutes that may be incomplete) with the exchange's.
  std::vector<int64_t> StoredExchangeOpenTimes(const std::string& pair,
                                               domain::Interval interval,
                                               int64_t from_ms, int64_t to_ms);

  // Open time of the oldest stored candle of `pair` and `interval` that the
  // exchange reported, if any (where a pair's daily history starts).
  std::optional<int64_t> OldestExchangeOpenTime(const std::string& pair,
                                                domain::Interval interval);

  // Updates rank, market capitalisation, supply and logo of the assets
  // with these CoinGecko ids, in one transaction; unknown ids are ignored.
  // Returns the rows changed.
  int64_t UpdateAssetMarketData(const std::vector<AssetMarketData>& updates);

  // Materialises `target` candles (5m .. 1d) of every pair from the stored
  // one-minute candles of the buckets in [from_ms, to_ms) (both aligned down
  // to `target`); only whole buckets, so pass a `to_ms` whose minutes have
  // all been written. A candle the exchange reported ("...:klines", the
  // history fill's hourly and daily candles) is never replaced: it is
  // complete where the stored minutes may not be. Idempotent; returns the
  // rows inserted or changed.
  int64_t MaterializeRollups(domain::Interval target, int64_t from_ms,
                             int64_t to_ms);

  // Deletes one-minute candles opened before `one_minute_cutoff_ms` and
  // drops the monthly partitions that end at or before
  // `rollup_cutoff_ms` (taking every interval in them).
  RetentionResult ApplyRetention(int64_t one_minute_cutoff_ms,
                                 int64_t rollup_cutoff_ms);

  // Deletes the candles of `interval` opened before `cutoff_ms` (retention
  // per interval); returns how many.
  int64_t DeleteCandlesBefore(domain::Interval interval, int64_t cutoff_ms);

 private:
  // StoredOpenTimes (every candle) or StoredExchangeOpenTimes.
  std::vector<int64_t> OpenTimesFrom(const std::string& pair,
                                     domain::Interval interval, int64_t from_ms,
                                     int64_t to_ms, bool exchange_only);
  // Names of the existing partitions, ascending.
  std::vector<std::string> ListPartitions();
  // COPY + upsert of `candles`, skipping every candle that is not the last
  // of its key according to `last` (key -> index).
  void WriteBatch(
      const std::vector<market::SourcedCandle>& candles,
      const absl::flat_hash_map<
          std::tuple<std::string, domain::Interval, int64_t>, size_t>& last);

  // Recomputes the roll-ups of the buckets the staged candles touch.
  void RollUpTouchedBuckets(pqxx::work& tx);

  common::ConnectionPool& pool_;
  const PricingRepositoryOptions options_;
  std::mutex partitions_mu_;
  // Months (year * 12 + month - 1) whose partition is known to exist.
  absl::flat_hash_set<int64_t> known_months_;
};

// "candles_pYYYYMM" of the month containing `time_ms` (UTC).
std::string PartitionNameFor(int64_t time_ms);

}  // namespace cryptotracker::pricing::storage

#endif  // CRYPTOTRACKER_PRICING_STORAGE_PRICING_REPOSITORY_H_
