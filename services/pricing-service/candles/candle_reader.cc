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
  if (!start_ms.has_value() && end_ms >= now_ms && cache_.enabled()) {
    return LoadNewest(pair, interval, limit, now_ms);
  }
  const bool newest = !start_ms.has_value();
  CandleWindow window;
  if (interval == domain::Interval::k1m) {
    window.rest = LoadOneMinute(pair, start_ms, end_ms, limit);
    return window;
  }
  // Closed buckets are stored (roll-ups are maintained as minutes are
  // written); only the bucket in progress is computed, from its minutes.
  const int64_t open_bucket = domain::AlignToInterval(now_ms, interval);
  window.rest =
      repository_.QueryCandles(pair, interval, start_ms.value_or(0),
                               std::min(end_ms, open_bucket), limit, newest);
  if (end_ms <= open_bucket ||
      (!newest && window.rest.size() == static_cast<size_t>(limit))) {
    return window;
  }
  std::vector<domain::Candle> minutes =
      LoadOneMinute(pair, open_bucket, end_ms, kMinutesPerDay);
  AppendRolledUp(pair, interval, minutes,
                 std::max(open_bucket, start_ms.value_or(0)), end_ms, now_ms,
                 window.rest);
  if (newest) {
    window.KeepNewest(static_cast<size_t>(limit));
  } else {
    Trim(window.rest, static_cast<size_t>(limit), false);
  }
  return window;
}

void CandleReader::AppendRolledUp(const std::string& pair,
                                  domain::Interval interval,
                                  const std::vector<domain::Candle>& minutes,
                                  int64_t from_ms, int64_t end_ms,
                                  int64_t now_ms,
                                  std::vector<domain::Candle>& out) {
  absl::StatusOr<std::vector<domain::Candle>> rolled =
      domain::RollUp(minutes, interval, now_ms);
  if (!rolled.ok()) {
    common::LogWarn(
        "candle roll-up failed",
        {{"pair", pair}, {"error", std::string(rolled.status().message())}});
    return;
  }
  for (domain::Candle& candle : *rolled) {
    if (candle.open_time_ms < from_ms || candle.open_time_ms >= end_ms) {
      continue;
    }
    out.push_back(std::move(candle));
  }
}

std::vector<domain::Candle> CandleReader::StoredPartOfTail(
    const std::string& pair, domain::Interval interval,
    const std::shared_ptr<const StoredCandles>& stored_minutes,
    int64_t tail_from) {
  const TailKey key(pair, interval);
  {
    std::lock_guard lock(tail_mu_);
    auto it = tails_.find(key);
    if (it != tails_.end() && it->second.minutes == stored_minutes &&
        it->second.tail_from == tail_from) {
      return it->second.buckets;
    }
  }
  // Each bucket's stored minutes as one candle, labelled as the bucket's
  // first minute: rolling it up again with the later minutes gives the
  // same bucket as rolling up every minute (first open, last close, max,
  // min and sums compose), and nothing else can open at that minute, which
  // the snapshot holds or the bucket would have no stored part.
  const std::vector<domain::Candle>& snapshot = stored_minutes->candles;
  auto first_minute =
      std::lower_bound(snapshot.begin(), snapshot.end(), tail_from,
                       [](const domain::Candle& candle, int64_t time_ms) {
                         return candle.open_time_ms < time_ms;
                       });
  absl::StatusOr<std::vector<domain::Candle>> rolled = domain::RollUp(
      std::vector<domain::Candle>(first_minute, snapshot.end()), interval);
  std::vector<domain::Candle> buckets;
  if (!rolled.ok()) {
    common::LogWarn(
        "candle roll-up failed",
        {{"pair", pair}, {"error", std::string(rolled.status().message())}});
  } else {
    buckets = std::move(*rolled);
  }
  for (domain::Candle& bucket : buckets)
    bucket.interval = domain::Interval::k1m;
  std::lock_guard lock(tail_mu_);
  // Memory follows the snapshots: a memo of an older snapshot goes.
  absl::erase_if(tails_, [&](const auto& item) {
    return item.second.minutes != stored_minutes && item.first.first == pair;
  });
  tails_[key] = {stored_minutes, tail_from, buckets};
  return buckets;
}

CandleWindow CandleReader::LoadNewest(const std::string& pair,
                                      domain::Interval interval, int limit,
                                      int64_t now_ms) {
  // The newest stored minutes, cached, then the recorder's closed and open
  // minutes after them: every minute up to now without a query (what the
  // snapshot missed is younger than its TTL, and the recorder keeps more
  // than that, see CandleRecorderOptions::recent_window).
  std::shared_ptr<const StoredCandles> stored_minutes = cache_.Get(
      pair, domain::Interval::k1m, now_ms, [&](int64_t snapshot_end_ms) {
        return repository_.QueryCandles(pair, domain::Interval::k1m, 0,
                                        snapshot_end_ms,
                                        kOneMinuteSnapshotCandles, true);
      });
  const int64_t after_stored =
      stored_minutes->candles.empty()
          ? 0
          : stored_minutes->candles.back().close_time_ms();
  std::vector<domain::Candle> live_minutes;
  if (recorder_ != nullptr) {
    live_minutes = recorder_->RecentCandles(pair);
    std::erase_if(live_minutes, [&](const domain::Candle& candle) {
      return candle.open_time_ms < after_stored || candle.open_time_ms > now_ms;
    });
  }

  CandleWindow window;
  if (interval == domain::Interval::k1m) {
    window.stored = std::move(stored_minutes);
    window.rest = std::move(live_minutes);
    window.KeepNewest(static_cast<size_t>(limit));
    return window;
  }

  // Closed buckets as stored (the bucket in progress at the snapshot is left
  // out: its stored row is partial and would be stale for the TTL).
  window.stored =
      cache_.Get(pair, interval, now_ms, [&](int64_t snapshot_end_ms) {
        return repository_.QueryCandles(
            pair, interval, 0,
            domain::AlignToInterval(snapshot_end_ms, interval), kMaxCandleLimit,
            true);
      });
  const size_t count = window.stored->candles.size();
  window.first = count - std::min(count, static_cast<size_t>(limit));

  // The buckets after the newest stored one, rolled up from the minutes in
  // memory: the one in progress, and the one that closed since the
  // snapshot. Older missing buckets stay missing rather than being rolled
  // up here from a partial set of minutes.
  const int64_t width = domain::IntervalMillis(interval);
  int64_t tail_from = domain::AlignToInterval(now_ms, interval) - width;
  if (count > 0) {
    tail_from =
        std::max(tail_from, window.stored->candles.back().close_time_ms());
  }
  std::vector<domain::Candle> minutes =
      StoredPartOfTail(pair, interval, stored_minutes, tail_from);
  for (domain::Candle& candle : live_minutes) {
    if (candle.open_time_ms >= tail_from) minutes.push_back(std::move(candle));
  }
  AppendRolledUp(pair, interval, minutes, tail_from, now_ms + 1, now_ms,
                 window.rest);
  window.KeepNewest(static_cast<size_t>(limit));
  return window;
}

std::optional<common::Decimal> CandleReader::PriceAt(const std::string& pair,
                                                     int64_t time_ms) {
  std::vector<domain::Candle> minute = repository_.QueryCandles(
      pair, domain::Interval::k1m, time_ms - 2 * kHourMs, time_ms, 1, true);
  if (!minute.empty()) return minute.back().close;
  // Older than the one-minute candles are kept (90 days by default): the
  // finest interval kept for that time, an hourly (2 years) and then a
  // daily candle (kept for good) that ended by then.
  std::vector<domain::Candle> hour =
      repository_.QueryCandles(pair, domain::Interval::k1h, time_ms - kDayMs,
                               time_ms - kHourMs + 1, 1, true);
  if (!hour.empty()) return hour.back().close;
  std::vector<domain::Candle> day = repository_.QueryCandles(
      pair, domain::Interval::k1d, time_ms - 7 * kDayMs, time_ms - kDayMs + 1,
      1, true);
  if (!day.empty()) return day.back().close;
  return std::nullopt;
}

}  // namespace cryptotracker::pricing::candles
