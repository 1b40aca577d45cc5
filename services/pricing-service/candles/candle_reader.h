// The candle read model: candles of any interval as GetCandles and
// GetAnalysis serve them, put together from three places.
//
// - Stored candles: one-minute candles and the wider intervals, which are
//   maintained as minutes are written (storage's roll-up on write; the
//   `rollup` job repairs). Closed buckets are never rolled up here.
// - The bucket in progress (and, in the cached path, one that closed after
//   the snapshot), rolled up from its minutes.
// - The recorder's candles: closed ones not persisted yet and the open one,
//   so that a candle is visible from the moment it opens.
//
// The newest candles (no start time, an end at or after now: what charts
// and GetAnalysis ask for again and again) are served from memory: cached
// snapshots of the newest stored candles of the interval and of the newest
// stored minutes (CandleCache, each encoded once), then the recorder's
// recent minutes after the stored ones. Such a read costs no query and no
// encoding of the stored part (see candle_cache.h for why a snapshot up to
// its TTL old is still exact).
//
// Thread-safe: calls run concurrently on the handler's BlockingExecutor.
#ifndef CRYPTOTRACKER_PRICING_CANDLES_CANDLE_READER_H_
#define CRYPTOTRACKER_PRICING_CANDLES_CANDLE_READER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "services/common/decimal.h"
#include "services/pricing-service/candles/candle_cache.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::candles {

// The bucket in progress of the widest interval (a day) has this many
// minutes at most.
inline constexpr int kMinutesPerDay = 1440;
// The cached snapshot of the newest stored minutes holds more than a day, so
// that the bucket in progress of every interval up to 1d comes from memory.
inline constexpr int kOneMinuteSnapshotCandles = 1500;
// The most candles one LoadCandles returns; the candle cache keeps this
// many per (pair, interval).
inline constexpr int kMaxCandleLimit = 1000;

// The result of LoadCandles: stored->candles[first, end) (when `stored` is
// set, a cached snapshot), then `rest`.
struct CandleWindow {
  std::shared_ptr<const StoredCandles> stored;
  size_t first = 0;
  std::vector<domain::Candle> rest;

  size_t size() const;
  // The newest stored candle, or null when none is in the window.
  const domain::Candle* LastStored() const;
  // Drops the oldest candles beyond `limit`.
  void KeepNewest(size_t limit);
  // Every candle of the window, in order.
  std::vector<domain::Candle> ToVector() &&;
};

class CandleReader {
 public:
  // `recorder` may be null (no live feed): candles then come from storage
  // only. Nothing is owned. The newest stored candles of a (pair, interval)
  // are reused for `cache_ttl` (zero turns the cache off), each encoded
  // once by `encoder`.
  CandleReader(storage::PricingRepository& repository,
               const market::CandleRecorder* recorder,
               std::chrono::milliseconds cache_ttl,
               CandleCache::Encoder encoder);
  CandleReader(const CandleReader&) = delete;
  CandleReader& operator=(const CandleReader&) = delete;

  // Candles of `pair` in ascending open time: with `start_ms`, the first
  // `limit` (at most kMaxCandleLimit) opening in [start_ms, end_ms);
  // without, the last `limit` opening before end_ms. Stored candles, the
  // bucket in progress rolled up from its minutes, and the recorder's
  // unpersisted and open candles; the newest ones from memory (above).
  CandleWindow LoadCandles(const std::string& pair, domain::Interval interval,
                           std::optional<int64_t> start_ms, int64_t end_ms,
                           int limit, int64_t now_ms);

  // Close of the newest candle opening before `time_ms` in the finest
  // interval kept for that time (1m, then 1h, then 1d candles that ended by
  // then), for the fixed-span returns.
  std::optional<common::Decimal> PriceAt(const std::string& pair,
                                         int64_t time_ms);

 private:
  // The newest `limit` candles up to now from the cached snapshots and the
  // recorder.
  CandleWindow LoadNewest(const std::string& pair, domain::Interval interval,
                          int limit, int64_t now_ms);
  // Appends the roll-ups of `minutes` into `interval` opening in [from_ms,
  // end_ms) to `out` (a bucket is closed only once it has ended by now_ms).
  static void AppendRolledUp(const std::string& pair, domain::Interval interval,
                             const std::vector<domain::Candle>& minutes,
                             int64_t from_ms, int64_t end_ms, int64_t now_ms,
                             std::vector<domain::Candle>& out);
  // The roll-up of the snapshot's minutes opening at or after `tail_from`,
  // each bucket as one candle labelled as its first minute (ready to be
  // rolled up again with the recorder's later minutes). Memoised per
  // (pair, interval) for the snapshot: a day's bucket in progress is 1,440
  // minutes, rolled up once per snapshot instead of once per call.
  std::vector<domain::Candle> StoredPartOfTail(
      const std::string& pair, domain::Interval interval,
      const std::shared_ptr<const StoredCandles>& stored_minutes,
      int64_t tail_from);
  std::vector<domain::Candle> LoadOneMinute(const std::string& pair,
                                            std::optional<int64_t> start_ms,
                                            int64_t end_ms, int limit);

  storage::PricingRepository& repository_;
  const market::CandleRecorder* recorder_;
  CandleCache cache_;

  struct TailMemo {
    std::shared_ptr<const StoredCandles> minutes;
    int64_t tail_from = 0;
    std::vector<domain::Candle> buckets;
  };
  using TailKey = std::pair<std::string, domain::Interval>;
  std::mutex tail_mu_;
  absl::flat_hash_map<TailKey, TailMemo> tails_;
};

}  // namespace cryptotracker::pricing::candles

#endif  // CRYPTOTRACKER_PRICING_CANDLES_CANDLE_READER_H_
