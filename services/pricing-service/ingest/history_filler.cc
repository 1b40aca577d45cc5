#include "services/pricing-service/ingest/history_filler.h"

#include <algorithm>
#include <utility>

#include "services/common/clock.h"

namespace cryptotracker::pricing::ingest {

std::vector<TimeRange> MissingRanges(const std::vector<int64_t>& stored,
                                     domain::Interval interval, int64_t from_ms,
                                     int64_t to_ms) {
  const int64_t width = domain::IntervalMillis(interval);
  std::vector<TimeRange> missing;
  int64_t cursor = domain::AlignToInterval(from_ms, interval);
  const int64_t end = domain::AlignToInterval(to_ms, interval);
  for (int64_t open_time : stored) {
    if (open_time < cursor) continue;
    if (open_time >= end) break;
    if (open_time > cursor) missing.push_back({cursor, open_time});
    cursor = open_time + width;
  }
  if (cursor < end) missing.push_back({cursor, end});
  return missing;
}

HistoryFiller::HistoryFiller(KlineSource& source, market::CandleStore& store,
                             StoredOpenTimesFn stored_open_times,
                             std::function<int64_t()> clock)
    : source_(source),
      store_(store),
      stored_open_times_(std::move(stored_open_times)),
      clock_(std::move(clock)) {}

int64_t HistoryFiller::ClosedLimit(domain::Interval interval,
                                   int64_t to_ms) const {
  // The candle in progress is not history yet.
  return std::min(domain::AlignToInterval(to_ms, interval),
                  domain::AlignToInterval(clock_(), interval));
}

FillResult HistoryFiller::FillMissing(const std::string& pair,
                                      domain::Interval interval,
                                      int64_t from_ms, int64_t to_ms) {
  FillResult total;
  std::optional<int64_t> to = to_ms;
  while (to.has_value()) {
    const FillStep step = FillNewestMissing(pair, interval, from_ms, *to);
    total += step.result;
    to = step.remaining_to_ms;
  }
  return total;
}

FillStep HistoryFiller::FillNewestMissing(const std::string& pair,
                                          domain::Interval interval,
                                          int64_t from_ms, int64_t to_ms) {
  const int64_t span =
      kCandlesPerFillRequest * domain::IntervalMillis(interval);
  const int64_t begin = domain::AlignToInterval(from_ms, interval);
  FillStep step;
  for (int64_t end = ClosedLimit(interval, to_ms); end > begin; end -= span) {
    const int64_t start = std::max(begin, end - span);
    const std::vector<TimeRange> missing = MissingRanges(
        stored_open_times_(pair, interval, start, end), interval, start, end);
    if (missing.empty()) continue;
    // One request from the first hole to the end of the last: many small
    // holes would otherwise be many requests against the rate limit.
    step.result.candles_written += FetchAndStore(
        pair, interval, missing.front().from_ms, missing.back().to_ms);
    step.result.ranges_fetched = 1;
    if (start > begin) step.remaining_to_ms = start;
    return step;
  }
  return step;
}

FillResult HistoryFiller::Refetch(const std::string& pair, int64_t from_ms,
                                  int64_t to_ms) {
  FillResult result;
  const domain::Interval minute = domain::Interval::k1m;
  const int64_t begin = domain::AlignToInterval(from_ms, minute);
  const int64_t end = ClosedLimit(minute, to_ms);
  if (begin >= end) return result;
  result.candles_written = FetchAndStore(pair, minute, begin, end);
  result.ranges_fetched = 1;
  return result;
}

int64_t HistoryFiller::FetchAndStore(const std::string& pair,
                                     domain::Interval interval, int64_t from_ms,
                                     int64_t to_ms) {
  const std::string source = source_.name() + ":klines";
  std::vector<market::SourcedCandle> batch;
  for (domain::Candle& candle :
       source_.FetchClosedCandles(pair, interval, from_ms, to_ms)) {
    // Only whole, closed candles of the asked pair, interval and range are
    // history.
    if (!candle.closed || candle.interval != interval ||
        candle.symbol != pair || candle.open_time_ms < from_ms ||
        candle.open_time_ms >= to_ms) {
      continue;
    }
    batch.push_back({std::move(candle), source});
  }
  if (!batch.empty()) store_.UpsertCandles(batch);
  return static_cast<int64_t>(batch.size());
}

HistoryFiller RepositoryHistoryFiller(KlineSource& source,
                                      storage::PricingRepository& repository) {
  return HistoryFiller(
      source, repository,
      [&repository](const std::string& pair, domain::Interval interval,
                    int64_t from_ms, int64_t to_ms) {
        // A minute built from trades is history (gap repair replaces the
        // ones a reconnect left short); a wider candle is history only
        // when the exchange reported it, since a roll-up of the minutes at
        // the edge of the one-minute history or of a stream gap is short.
        return interval == domain::Interval::k1m
                   ? repository.StoredOpenTimes(pair, interval, from_ms, to_ms)
                   : repository.StoredExchangeOpenTimes(pair, interval, from_ms,
                                                        to_ms);
      },
      common::WallClockMs);
}

}  // namespace cryptotracker::pricing::ingest
