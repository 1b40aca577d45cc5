// The candle read model: candles of any interval as GetCandles and
// GetAnalysis serve them, put together from three places.
//
// - Stored candles: one-minute candles and the wider intervals the `rollup`
//   job materialised. The newest stored candles of a wider interval come
//   from the CandleCache (see candle_cache.h for why that is still exact).
// - Roll-ups of the recent buckets the job has not materialised yet,
//   computed here from stored one-minute candles.
// - The recorder's candles not persisted yet (closed ones waiting for the
//   next flush and the open one), so that a candle is visible from the
//   moment it opens.
//
// Thread-safe: calls run concurrently on the handler's BlockingExecutor.
#ifndef CRYPTOTRACKER_PRICING_CANDLES_CANDLE_READER_H_
#define CRYPTOTRACKER_PRICING_CANDLES_CANDLE_READER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/common/decimal.h"
#include "services/pricing-service/candles/candle_cache.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::candles {

// Roll-ups of the recent past that the `rollup` job has not materialised
// yet are computed from at most this many one-minute candles (about two
// weeks).
inline constexpr int kMaxRollUpMinutes = 20'000;
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
  // without, the last `limit` opening before end_ms. Stored candles (of
  // wider intervals in newest mode from the candle cache), roll-ups
  // computed from stored one-minute candles for the recent buckets not
  // materialised yet, and the recorder's unpersisted and open candles.
  CandleWindow LoadCandles(const std::string& pair, domain::Interval interval,
                           std::optional<int64_t> start_ms, int64_t end_ms,
                           int limit, int64_t now_ms);

  // Close of the newest candle opening before `time_ms` (looked up in 1m
  // then 1h candles), for the fixed-span returns.
  std::optional<common::Decimal> PriceAt(const std::string& pair,
                                         int64_t time_ms);

 private:
  std::vector<domain::Candle> LoadOneMinute(const std::string& pair,
                                            std::optional<int64_t> start_ms,
                                            int64_t end_ms, int limit);

  storage::PricingRepository& repository_;
  const market::CandleRecorder* recorder_;
  CandleCache cache_;
};

}  // namespace cryptotracker::pricing::candles

#endif  // CRYPTOTRACKER_PRICING_CANDLES_CANDLE_READER_H_
