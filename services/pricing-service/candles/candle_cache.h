// A short-lived copy of the newest stored candles per (pair, interval).
//
// Charts ask for the newest candles (e.g. 1,000 hourly or one-minute ones)
// again and again. Reading them from PostgreSQL and encoding them cost the
// service more than everything else in the call, while the stored ones
// change only at their newest edge. So the newest stored candles are read
// once, kept with their encoding for a few seconds, and every call in
// between only adds what came after them.
//
// Why a stale snapshot is still a correct answer: CandleReader serves what
// came after a snapshot from memory, the recorder's recent minutes (which it
// keeps for longer than the TTL) and the buckets in progress rolled up from
// them, so a minute or bucket stored after the snapshot was taken is served
// from the same minutes it was stored from. What a snapshot can hold back
// for up to its TTL is a change to an already stored candle (a minute
// repaired from the exchange, a bucket recomputed from it, a partition
// dropped by retention); that bounded delay is the price of the cache, and a
// TTL of 0 turns it off.
//
// The cache is thread-safe; snapshots are immutable and shared.
#ifndef CRYPTOTRACKER_PRICING_CANDLES_CANDLE_CACHE_H_
#define CRYPTOTRACKER_PRICING_CANDLES_CANDLE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::candles {

// The newest stored candles of one (pair, interval) as read at one time.
struct StoredCandles {
  // Ascending open time; every one opened before `end_ms`.
  std::vector<domain::Candle> candles;
  // The exclusive upper bound of open times they were read with (the wall
  // clock at the time).
  int64_t end_ms = 0;
  // Each candle as encoded by the cache's encoder, concatenated: candle i is
  // encoded[offsets[i], offsets[i + 1]); offsets has candles.size() + 1
  // entries.
  std::string encoded;
  std::vector<size_t> offsets;

  // The encoding of candles[first, candles.size()).
  std::string_view EncodedFrom(size_t first) const {
    return std::string_view(encoded).substr(offsets[first]);
  }
};

class CandleCache {
 public:
  // Reads the newest stored candles opening before `end_ms`, ascending.
  using Loader = std::function<std::vector<domain::Candle>(int64_t end_ms)>;
  // Appends the encoding of one candle to `out`.
  using Encoder =
      std::function<void(const domain::Candle& candle, std::string* out)>;

  // Snapshots are reused for `ttl_ms` (0 or less: never, see enabled()).
  CandleCache(int64_t ttl_ms, Encoder encoder);
  CandleCache(const CandleCache&) = delete;
  CandleCache& operator=(const CandleCache&) = delete;

  bool enabled() const { return ttl_ms_ > 0; }

  // The snapshot of (pair, interval): a kept one read less than the TTL
  // before `now_ms`, else a new one from `load(now_ms)` (called without the
  // lock held; a loader's exception propagates and nothing is kept). While
  // one caller reloads an expired snapshot, others are served the expired
  // one instead of querying too (a stale snapshot is still correct, see
  // above). An empty snapshot is not kept. Never null; with the cache
  // disabled, always a new snapshot.
  // So the result always satisfies end_ms <= now_ms.
  std::shared_ptr<const StoredCandles> Get(const std::string& pair,
                                           domain::Interval interval,
                                           int64_t now_ms, const Loader& load);

 private:
  struct Entry {
    std::shared_ptr<const StoredCandles> snapshot;
    // Whether a caller is reading a replacement right now.
    bool loading = false;
  };
  using Key = std::pair<std::string, domain::Interval>;

  bool Fresh(const StoredCandles& snapshot, int64_t now_ms) const;
  std::shared_ptr<const StoredCandles> Build(
      std::vector<domain::Candle> candles, int64_t end_ms) const;

  const int64_t ttl_ms_;
  const Encoder encoder_;
  mutable std::mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_;
};

}  // namespace cryptotracker::pricing::candles

#endif  // CRYPTOTRACKER_PRICING_CANDLES_CANDLE_CACHE_H_
