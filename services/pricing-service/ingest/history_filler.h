// Filling candle history from an exchange's REST klines, at any interval:
// the history fill of `serve` and of the `backfill` job (history_fill.h
// plans it), and repair of the gaps a stream reconnect leaves.
//
// Everything written is an exchange ("<provider>:klines") candle through an
// idempotent upsert, so running it twice, or beside a running service that
// records the same minutes from trades, never double-counts: exchange
// candles replace trade-built ones and roll-ups, never the other way round.
#ifndef CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILLER_H_
#define CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/ingest/kline_source.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::ingest {

// The most candles one fill request asks for: one exchange request
// (Binance's page size).
inline constexpr int64_t kCandlesPerFillRequest = 1000;

// A half-open range of open times [from_ms, to_ms), both aligned to the
// interval it is about.
struct TimeRange {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

// The maximal runs of `interval` open times in [from_ms, to_ms) (aligned
// down to the interval) that `stored` (ascending open times) does not
// contain.
std::vector<TimeRange> MissingRanges(const std::vector<int64_t>& stored,
                                     domain::Interval interval, int64_t from_ms,
                                     int64_t to_ms);

// Open times of the stored candles of a pair and interval in [from, to),
// ascending (storage::PricingRepository::StoredOpenTimes in production).
using StoredOpenTimesFn = std::function<std::vector<int64_t>(
    const std::string& pair, domain::Interval interval, int64_t from_ms,
    int64_t to_ms)>;

struct FillResult {
  // Fill requests made (each at most kCandlesPerFillRequest candles).
  int64_t ranges_fetched = 0;
  int64_t candles_written = 0;
  FillResult& operator+=(const FillResult& other) {
    ranges_fetched += other.ranges_fetched;
    candles_written += other.candles_written;
    return *this;
  }
};

// What FillNewestMissing did: the request it made, and where the rest of
// the range ends (none once the range is complete).
struct FillStep {
  FillResult result;
  std::optional<int64_t> remaining_to_ms;
};

class HistoryFiller {
 public:
  // Neither argument is owned. `clock` returns milliseconds since the epoch.
  HistoryFiller(KlineSource& source, market::CandleStore& store,
                StoredOpenTimesFn stored_open_times,
                std::function<int64_t()> clock);

  // Fetches and stores the closed `interval` candles of `pair` in [from_ms,
  // to_ms) that storage does not have, newest first, one request of at
  // most kCandlesPerFillRequest candles at a time (so memory stays bounded
  // for long ranges); candles not closed yet by the clock are left out.
  // Throws when the source or the store fails (what was written before
  // stays written).
  FillResult FillMissing(const std::string& pair, domain::Interval interval,
                         int64_t from_ms, int64_t to_ms);

  // One step of FillMissing: walks back from to_ms over the spans of
  // kCandlesPerFillRequest candles that are complete (storage reads only)
  // to the newest one with holes and fetches it. Continue with
  // [from_ms, remaining_to_ms).
  FillStep FillNewestMissing(const std::string& pair, domain::Interval interval,
                             int64_t from_ms, int64_t to_ms);

  // Fetches and stores every closed one-minute candle of `pair` in
  // [from_ms, to_ms), whether stored or not: after a reconnect the
  // trade-built candles of the gap exist but may lack trades, and the
  // exchange's klines replace them.
  FillResult Refetch(const std::string& pair, int64_t from_ms, int64_t to_ms);

 private:
  // Fetch + upsert of one range; returns the candles written.
  int64_t FetchAndStore(const std::string& pair, domain::Interval interval,
                        int64_t from_ms, int64_t to_ms);
  // The end of the closed candles of `interval` at or before `to_ms`.
  int64_t ClosedLimit(domain::Interval interval, int64_t to_ms) const;

  KlineSource& source_;
  market::CandleStore& store_;
  StoredOpenTimesFn stored_open_times_;
  std::function<int64_t()> clock_;
};

// A filler from `source` into the repository's candles, on the wall clock
// (the `backfill` job, the live ingest). Neither is owned.
HistoryFiller RepositoryHistoryFiller(KlineSource& source,
                                      storage::PricingRepository& repository);

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILLER_H_
