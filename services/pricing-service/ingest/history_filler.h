// Filling one-minute candle history from an exchange's REST klines: the
// `backfill` job, the start-up backfill of `serve`, and repair of the gaps a
// stream reconnect leaves.
//
// Everything written is an exchange ("<provider>:klines") candle through an
// idempotent upsert, so running it twice, or beside a running service that
// records the same minutes from trades, never double-counts: exchange
// candles replace trade-built ones and never the other way round.
#ifndef CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILLER_H_
#define CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILLER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/history_source.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::ingest {

// A half-open range of minute open times [from_ms, to_ms), both aligned to
// the minute.
struct MinuteRange {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  friend bool operator==(const MinuteRange&, const MinuteRange&) = default;
};

// The maximal runs of minutes in [from_ms, to_ms) (aligned down to the
// minute) that `stored` (ascending open times) does not contain.
std::vector<MinuteRange> MissingMinuteRanges(const std::vector<int64_t>& stored,
                                             int64_t from_ms, int64_t to_ms);

// Open times of the stored one-minute candles of a pair in [from, to),
// ascending (storage::PricingRepository::StoredOpenTimes in production).
using StoredOpenTimesFn = std::function<std::vector<int64_t>(
    const std::string& pair, int64_t from_ms, int64_t to_ms)>;

struct FillResult {
  // Exchange requests made (one per range; the source may page further).
  int64_t ranges_fetched = 0;
  int64_t candles_written = 0;
};

class HistoryFiller {
 public:
  // Neither argument is owned. `clock` returns milliseconds since the epoch.
  HistoryFiller(market::HistorySource& source, market::CandleStore& store,
                StoredOpenTimesFn stored_open_times,
                std::function<int64_t()> clock);

  // Fetches and stores the closed minutes of `pair` in [from_ms, to_ms) that
  // storage does not have; minutes not closed yet by the clock are left
  // out. Works through the range a day at a time so that memory stays
  // bounded for long ranges. Throws when the source or the store fails
  // (what was written before stays written).
  FillResult FillMissing(const std::string& pair, int64_t from_ms,
                         int64_t to_ms);

  // Fetches and stores every closed minute of `pair` in [from_ms, to_ms),
  // whether stored or not: after a reconnect the trade-built candles of the
  // gap exist but may lack trades, and the exchange's klines replace them.
  FillResult Refetch(const std::string& pair, int64_t from_ms, int64_t to_ms);

 private:
  // Fetch + upsert of one range; returns the candles written.
  int64_t FetchAndStore(const std::string& pair, int64_t from_ms,
                        int64_t to_ms);
  int64_t ClosedLimit(int64_t to_ms) const;

  market::HistorySource& source_;
  market::CandleStore& store_;
  StoredOpenTimesFn stored_open_times_;
  std::function<int64_t()> clock_;
};

// A filler from `source` into the repository's one-minute candles, on the
// wall clock (the `backfill` job, the live ingest). Neither is owned.
HistoryFiller RepositoryHistoryFiller(market::HistorySource& source,
                                      storage::PricingRepository& repository);

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILLER_H_
