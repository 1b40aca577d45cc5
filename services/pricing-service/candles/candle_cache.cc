#include "services/pricing-service/candles/candle_cache.h"

#include <utility>

namespace cryptotracker::pricing::candles {

CandleCache::CandleCache(int64_t ttl_ms, Encoder encoder)
    : ttl_ms_(ttl_ms), encoder_(std::move(encoder)) {}

bool CandleCache::Fresh(const StoredCandles& snapshot, int64_t now_ms) const {
  // A clock that went back makes the snapshot unusable (it could hold
  // candles opening after now), not fresh.
  return now_ms >= snapshot.end_ms && now_ms - snapshot.end_ms < ttl_ms_;
}

std::shared_ptr<const StoredCandles> CandleCache::Build(
    std::vector<domain::Candle> candles, int64_t end_ms) const {
  auto snapshot = std::make_shared<StoredCandles>();
  snapshot->candles = std::move(candles);
  snapshot->end_ms = end_ms;
  snapshot->offsets.reserve(snapshot->candles.size() + 1);
  for (const domain::Candle& candle : snapshot->candles) {
    snapshot->offsets.push_back(snapshot->encoded.size());
    encoder_(candle, &snapshot->encoded);
  }
  snapshot->offsets.push_back(snapshot->encoded.size());
  return snapshot;
}

std::shared_ptr<const StoredCandles> CandleCache::Get(const std::string& pair,
                                                      domain::Interval interval,
                                                      int64_t now_ms,
                                                      const Loader& load) {
  if (!enabled()) return Build(load(now_ms), now_ms);
  Key key(pair, interval);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      Entry& entry = it->second;
      if (entry.snapshot != nullptr && Fresh(*entry.snapshot, now_ms)) {
        return entry.snapshot;
      }
      if (entry.loading && entry.snapshot != nullptr &&
          entry.snapshot->end_ms <= now_ms) {
        return entry.snapshot;
      }
    }
    entries_[key].loading = true;
  }
  std::shared_ptr<const StoredCandles> snapshot;
  try {
    snapshot = Build(load(now_ms), now_ms);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      it->second.loading = false;
      if (it->second.snapshot == nullptr) entries_.erase(it);
    }
    throw;
  }
  std::lock_guard<std::mutex> lock(mu_);
  // Expired entries of other keys go, so that memory follows what is asked
  // for now rather than everything ever asked for.
  absl::erase_if(entries_, [&](const auto& item) {
    const Entry& entry = item.second;
    return !entry.loading && entry.snapshot != nullptr &&
           !Fresh(*entry.snapshot, now_ms);
  });
  if (snapshot->candles.empty()) {
    // Nothing stored yet (a pair whose history is still being filled): not
    // kept, so the first stored candles show at once; the query of an empty
    // range is cheap.
    entries_.erase(key);
    return snapshot;
  }
  Entry& entry = entries_[key];
  entry.loading = false;
  // Two loads of one key can overlap (e.g. after the clock went back); the
  // newer read wins.
  if (entry.snapshot == nullptr || entry.snapshot->end_ms <= snapshot->end_ms) {
    entry.snapshot = snapshot;
  }
  return snapshot;
}

}  // namespace cryptotracker::pricing::candles
