#include "services/pricing-service/candles/candle_reader.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <utility>

#include "absl/status/statusor.h"
#include "services/common/logging.h"

namespace cryptotracker::pricing::candles {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

// Keeps the first (ascending) or last `limit` candles.
void Trim(std::vector<domain::Candle>& candles, size_t limit,
          bool keep_newest) {
  if (candles.size() <= limit) return;
  if (keep_newest) {
    candles.erase(candles.begin(),
                  candles.end() - static_cast<std::ptrdiff_t>(limit));
  } else {
    candles.resize(limit);
  }
}

}  // namespace

CandleReader::CandleReader(storage::PricingRepository& repository,
                           const market::CandleRecorder* recorder,
                           std::chrono::milliseconds cache_ttl,
                           CandleCache::Encoder encoder)
    : repository_(repository),
      recorder_(recorder),
      cache_(cache_ttl.count(), std::move(encoder)) {}

std::vector<domain::Candle> CandleReader::LoadOneMinute(
    const std::string& pair, std::optional<int64_t> start_ms, int64_t end_ms,
    int limit) {
  const bool newest = !start_ms.has_value();
  const int64_t from = start_ms.value_or(0);
  std::vector<domain::Candle> stored = repository_.QueryCandles(
      pair, domain::Interval::k1m, from, end_ms, limit, newest);
  if (recorder_ == nullptr) return stored;
  // Unpersisted candles are newer than (or replace) stored ones.
  std::map<int64_t, domain::Candle> by_time;
  for (domain::Candle& candle : stored) {
    by_time[candle.open_time_ms] = std::move(candle);
  }
  for (domain::Candle& candle : recorder_->UnpersistedCandles(pair)) {
    if (candle.open_time_ms < from || candle.open_time_ms >= end_ms) continue;
    by_time[candle.open_time_ms] = std::move(candle);
  }
  std::vector<domain::Candle> merged;
  merged.reserve(by_time.size());
  for (auto& [time, candle] : by_time) merged.push_back(std::move(candle));
  Trim(merged, static_cast<size_t>(limit), newest);
  return merged;
}

size_t CandleWindow::size() const {
  return (stored == nullptr ? 0 : stored->candles.size() - first) + rest.size();
}

const domain::Candle* CandleWindow::LastStored() const {
  if (stored != nullptr) {
    return first < stored->candles.size() ? &stored->candles.back() : nullptr;
  }
  return rest.empty() ? nullptr : &rest.back();
}

void CandleWindow::KeepNewest(size_t limit) {
  const size_t total = size();
  if (total <= limit) return;
  size_t drop = total - limit;
  if (stored != nullptr) {
    const size_t from_stored = std::min(drop, stored->candles.size() - first);
    first += from_stored;
    drop -= from_stored;
  }
  rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(drop));
}

std::vector<domain::Candle> CandleWindow::ToVector() && {
  if (stored == nullptr) return std::move(rest);
  std::vector<domain::Candle> all;
  all.reserve(size());
  all.insert(all.end(),
             stored->candles.begin() + static_cast<std::ptrdiff_t>(first),
             stored->candles.end());
  for (domain::Candle& candle : rest) all.push_back(std::move(candle));
  return all;
}

CandleWindow CandleReader::LoadCandles(const std::string& pair,
                                       domain::Interval interval,
                                       std::optional<int64_t> start_ms,
                                       int64_t end_ms, int limit,
                                       int64_t now_ms) {
  const bool newest = !start_ms.has_value();
  CandleWindow window;
  if (interval == domain::Interval::k1m) {
    // Not cached: stored one-minute candles are not followed by a tail
    // computed from elsewhere, so a stale copy would miss the minutes the
    // recorder persisted since.
    window.rest = LoadOneMinute(pair, start_ms, end_ms, limit);
    return window;
  }
  if (newest && end_ms >= now_ms && cache_.enabled()) {
    // The newest kMaxCandleLimit stored candles before a moment at or
    // before now; the last `limit` of them are what the query below would
    // give as of that moment, and what was stored since is computed from
    // one-minute candles by the tail (see candle_cache.h).
    window.stored =
        cache_.Get(pair, interval, now_ms, [&](int64_t snapshot_end_ms) {
          return repository_.QueryCandles(pair, interval, 0, snapshot_end_ms,
                                          kMaxCandleLimit, true);
        });
    const size_t count = window.stored->candles.size();
    window.first = count - std::min(count, static_cast<size_t>(limit));
  } else {
    window.rest = repository_.QueryCandles(pair, interval, start_ms.value_or(0),
                                           end_ms, limit, newest);
    if (!newest && window.rest.size() == static_cast<size_t>(limit)) {
      return window;
    }
  }

  // Buckets after the newest materialised one come from one-minute candles.
  const int64_t width = domain::IntervalMillis(interval);
  int64_t tail_from;
  if (const domain::Candle* last = window.LastStored(); last != nullptr) {
    tail_from = last->close_time_ms();
  } else if (start_ms.has_value()) {
    tail_from = domain::AlignToInterval(*start_ms, interval);
  } else {
    tail_from = std::max<int64_t>(
        0, domain::AlignToInterval(end_ms, interval) - int64_t{limit} * width);
  }
  if (tail_from >= end_ms) return window;
  // A tail that fits the row cap is read forwards from its start; only a
  // longer one is read from its newest end (newest mode), where the cap
  // must cut the old side. Reading a short tail from the newest end would
  // load up to the whole cap of minutes only to drop most of them.
  const bool tail_fits =
      (end_ms - tail_from) / domain::IntervalMillis(domain::Interval::k1m) <=
      kMaxRollUpMinutes;
  const bool read_newest = newest && !tail_fits;
  std::vector<domain::Candle> minutes =
      read_newest ? LoadOneMinute(pair, std::nullopt, end_ms, kMaxRollUpMinutes)
                  : LoadOneMinute(pair, tail_from, end_ms, kMaxRollUpMinutes);
  const bool truncated = !tail_fits && minutes.size() == kMaxRollUpMinutes;
  // In newest mode the lower bound is applied here.
  std::erase_if(minutes, [&](const domain::Candle& c) {
    return c.open_time_ms < tail_from;
  });
  absl::StatusOr<std::vector<domain::Candle>> rolled =
      domain::RollUp(minutes, interval, now_ms);
  if (!rolled.ok()) {
    common::LogWarn(
        "candle roll-up failed",
        {{"pair", pair}, {"error", std::string(rolled.status().message())}});
    if (newest) window.KeepNewest(static_cast<size_t>(limit));
    return window;
  }
  // A window cut by the row cap may hold a partial bucket at its edge.
  if (truncated && !rolled->empty()) {
    if (read_newest) {
      rolled->erase(rolled->begin());
    } else {
      rolled->pop_back();
    }
  }
  for (domain::Candle& candle : *rolled) {
    if (candle.open_time_ms < tail_from || candle.open_time_ms >= end_ms) {
      continue;
    }
    if (start_ms.has_value() && candle.open_time_ms < *start_ms) continue;
    window.rest.push_back(std::move(candle));
  }
  if (newest) {
    window.KeepNewest(static_cast<size_t>(limit));
  } else {
    Trim(window.rest, static_cast<size_t>(limit), false);
  }
  return window;
}

std::optional<common::Decimal> CandleReader::PriceAt(const std::string& pair,
                                                     int64_t time_ms) {
  std::vector<domain::Candle> minute = repository_.QueryCandles(
      pair, domain::Interval::k1m, time_ms - 2 * kHourMs, time_ms, 1, true);
  if (!minute.empty()) return minute.back().close;
  // One-minute candles may have expired; an hourly candle that ended by
  // then is the next best.
  std::vector<domain::Candle> hour =
      repository_.QueryCandles(pair, domain::Interval::k1h, time_ms - kDayMs,
                               time_ms - kHourMs + 1, 1, true);
  if (!hour.empty()) return hour.back().close;
  return std::nullopt;
}

}  // namespace cryptotracker::pricing::candles
