#include "services/pricing-service/ingest/history_filler.h"

#include <algorithm>
#include <utility>

#include "services/common/clock.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::ingest {
namespace {

constexpr int64_t kMinuteMs = 60'000;
// FillMissing looks at storage one day at a time.
constexpr int64_t kChunkMs = 24 * 60 * kMinuteMs;

int64_t AlignDown(int64_t time_ms) {
  return domain::AlignToInterval(time_ms, domain::Interval::k1m);
}

}  // namespace

std::vector<MinuteRange> MissingMinuteRanges(const std::vector<int64_t>& stored,
                                             int64_t from_ms, int64_t to_ms) {
  std::vector<MinuteRange> missing;
  int64_t cursor = AlignDown(from_ms);
  const int64_t end = AlignDown(to_ms);
  for (int64_t open_time : stored) {
    if (open_time < cursor) continue;
    if (open_time >= end) break;
    if (open_time > cursor) missing.push_back({cursor, open_time});
    cursor = open_time + kMinuteMs;
  }
  if (cursor < end) missing.push_back({cursor, end});
  return missing;
}

HistoryFiller::HistoryFiller(market::HistorySource& source,
                             market::CandleStore& store,
                             StoredOpenTimesFn stored_open_times,
                             std::function<int64_t()> clock)
    : source_(source),
      store_(store),
      stored_open_times_(std::move(stored_open_times)),
      clock_(std::move(clock)) {}

int64_t HistoryFiller::ClosedLimit(int64_t to_ms) const {
  // The minute in progress is not history yet.
  return std::min(AlignDown(to_ms), AlignDown(clock_()));
}

FillResult HistoryFiller::FillMissing(const std::string& pair, int64_t from_ms,
                                      int64_t to_ms) {
  FillResult result;
  const int64_t end = ClosedLimit(to_ms);
  for (int64_t chunk = AlignDown(from_ms); chunk < end; chunk += kChunkMs) {
    const int64_t chunk_end = std::min(end, chunk + kChunkMs);
    const std::vector<MinuteRange> missing = MissingMinuteRanges(
        stored_open_times_(pair, chunk, chunk_end), chunk, chunk_end);
    if (missing.empty()) continue;
    // One request span from the first hole to the end of the last: a day
    // is two pages at most, while many small holes would otherwise be many
    // requests against the exchange's rate limit.
    result.candles_written +=
        FetchAndStore(pair, missing.front().from_ms, missing.back().to_ms);
    ++result.ranges_fetched;
  }
  return result;
}

FillResult HistoryFiller::Refetch(const std::string& pair, int64_t from_ms,
                                  int64_t to_ms) {
  FillResult result;
  const int64_t begin = AlignDown(from_ms);
  const int64_t end = ClosedLimit(to_ms);
  if (begin >= end) return result;
  result.candles_written = FetchAndStore(pair, begin, end);
  result.ranges_fetched = 1;
  return result;
}

int64_t HistoryFiller::FetchAndStore(const std::string& pair, int64_t from_ms,
                                     int64_t to_ms) {
  const std::string source = source_.name() + ":klines";
  std::vector<market::SourcedCandle> batch;
  for (domain::Candle& candle :
       source_.FetchOneMinuteCandles(pair, from_ms, to_ms)) {
    // Only whole, closed minutes of the asked pair and range are history.
    if (!candle.closed || candle.interval != domain::Interval::k1m ||
        candle.symbol != pair || candle.open_time_ms < from_ms ||
        candle.open_time_ms >= to_ms) {
      continue;
    }
    batch.push_back({std::move(candle), source});
  }
  if (!batch.empty()) store_.UpsertCandles(batch);
  return static_cast<int64_t>(batch.size());
}

HistoryFiller RepositoryHistoryFiller(market::HistorySource& source,
                                      storage::PricingRepository& repository) {
  return HistoryFiller(
      source, repository,
      [&repository](const std::string& pair, int64_t from_ms, int64_t to_ms) {
        return repository.StoredOpenTimes(pair, domain::Interval::k1m, from_ms,
                                          to_ms);
      },
      common::WallClockMs);
}

}  // namespace cryptotracker::pricing::ingest
