#include "services/pricing-service/market/candle_recorder.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <map>
#include <utility>

#include "services/common/clock.h"
#include "services/common/logging.h"

namespace cryptotracker::pricing::market {
namespace {

CandleRecorderOptions WithDefaults(CandleRecorderOptions options) {
  if (!options.clock) options.clock = common::WallClockMs;
  return options;
}

}  // namespace

CandleRecorder::CandleRecorder(CandleStore& store,
                               std::vector<std::string> pairs,
                               CandleRecorderOptions options)
    : store_(store),
      pairs_(pairs.begin(), pairs.end()),
      options_(WithDefaults(std::move(options))),
      aggregator_(options_.aggregator) {}

CandleRecorder::~CandleRecorder() { Stop(); }

void CandleRecorder::OnTick(const domain::Tick& tick, std::string_view source) {
  std::lock_guard lock(mu_);
  if (!pairs_.contains(tick.symbol)) {
    ++stats_.unknown_pair;
    return;
  }
  const domain::IngestOutcome outcome = aggregator_.Ingest(tick);
  if (outcome == domain::IngestOutcome::kAccepted) {
    ++stats_.ticks_accepted;
    if (last_source_ != source) last_source_ = std::string(source);
    // A tick of a new minute closes the previous one; move it to the buffer
    // right away so readers see it (see UnpersistedCandles).
    for (domain::Candle& candle : aggregator_.TakeClosedCandles()) {
      buffer_.push_back({std::move(candle), last_source_ + ":trades"});
      Remember(buffer_.back());
    }
  } else {
    ++stats_.ticks_rejected;
  }
}

void CandleRecorder::OnClosedCandle(const domain::Candle& candle,
                                    std::string_view source) {
  std::lock_guard lock(mu_);
  if (!pairs_.contains(candle.symbol)) {
    ++stats_.unknown_pair;
    return;
  }
  if (candle.interval != domain::Interval::k1m || !candle.closed) return;
  buffer_.push_back({candle, std::string(source) + ":klines"});
  Remember(buffer_.back());
}

void CandleRecorder::Remember(const SourcedCandle& entry) {
  std::map<int64_t, SourcedCandle>& by_time = recent_[entry.candle.symbol];
  auto [it, inserted] = by_time.try_emplace(entry.candle.open_time_ms, entry);
  // The exchange's kline of a minute over the trades candle, as the store
  // keeps it.
  if (!inserted && (entry.source.ends_with(":klines") ||
                    !it->second.source.ends_with(":klines"))) {
    it->second = entry;
  }
}

void CandleRecorder::ForgetOlderThan(int64_t cutoff_ms) {
  for (auto it = recent_.begin(); it != recent_.end();) {
    std::map<int64_t, SourcedCandle>& by_time = it->second;
    by_time.erase(by_time.begin(), by_time.lower_bound(cutoff_ms));
    if (by_time.empty()) {
      recent_.erase(it++);
    } else {
      ++it;
    }
  }
  std::erase_if(held_back_, [cutoff_ms](const SourcedCandle& entry) {
    return entry.candle.open_time_ms < cutoff_ms;
  });
}

bool CandleRecorder::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<SourcedCandle> batch;
  {
    std::lock_guard lock(mu_);
    const int64_t now_ms = options_.clock();
    aggregator_.AdvanceTo(now_ms);
    for (domain::Candle& candle : aggregator_.TakeClosedCandles()) {
      buffer_.push_back({std::move(candle), last_source_ + ":trades"});
      Remember(buffer_.back());
    }
    ForgetOlderThan(now_ms - options_.recent_window.count());
    // Held-back candles first (they are older): written if this process
    // has become their pair's writer, held back again otherwise.
    batch.swap(held_back_);
    batch.insert(batch.end(), std::make_move_iterator(buffer_.begin()),
                 std::make_move_iterator(buffer_.end()));
    buffer_.clear();
  }
  if (options_.may_write) {
    std::vector<SourcedCandle> others;
    std::erase_if(batch, [&](SourcedCandle& entry) {
      if (options_.may_write(entry.candle.symbol)) return false;
      others.push_back(std::move(entry));
      return true;
    });
    if (!others.empty()) {
      std::lock_guard lock(mu_);
      held_back_ = std::move(others);
    }
  }
  if (batch.empty()) return true;
  try {
    store_.UpsertCandles(batch);
    std::lock_guard lock(mu_);
    stats_.candles_written += static_cast<int64_t>(batch.size());
    return true;
  } catch (const std::exception& error) {
    common::LogWarn("candle flush failed; keeping candles for the next flush",
                    {{"candles", static_cast<int64_t>(batch.size())},
                     {"error", error.what()}});
    std::lock_guard lock(mu_);
    ++stats_.flush_failures;
    // Older candles first, then whatever arrived during the failed write.
    batch.insert(batch.end(), std::make_move_iterator(buffer_.begin()),
                 std::make_move_iterator(buffer_.end()));
    buffer_ = std::move(batch);
    if (buffer_.size() > options_.max_buffered) {
      const size_t excess = buffer_.size() - options_.max_buffered;
      buffer_.erase(buffer_.begin(),
                    buffer_.begin() + static_cast<std::ptrdiff_t>(excess));
      stats_.candles_dropped += static_cast<int64_t>(excess);
      common::LogError("candle buffer full; dropped the oldest candles",
                       {{"dropped", static_cast<int64_t>(excess)}});
    }
    return false;
  }
}

std::vector<domain::Candle> CandleRecorder::UnpersistedCandles(
    std::string_view pair) const {
  std::lock_guard lock(mu_);
  // One candle per minute: the exchange's kline over the trades candle of
  // the same minute, as the store will keep it.
  std::map<int64_t, const SourcedCandle*> by_time;
  for (const std::vector<SourcedCandle>* entries : {&held_back_, &buffer_}) {
    for (const SourcedCandle& entry : *entries) {
      if (entry.candle.symbol != pair) continue;
      const SourcedCandle*& slot = by_time[entry.candle.open_time_ms];
      if (slot == nullptr || entry.source.ends_with(":klines") ||
          !slot->source.ends_with(":klines")) {
        slot = &entry;
      }
    }
  }
  std::vector<domain::Candle> candles;
  candles.reserve(by_time.size() + 1);
  for (const auto& [time, entry] : by_time) candles.push_back(entry->candle);
  if (auto open = aggregator_.OpenCandle(pair)) {
    if (!by_time.contains(open->open_time_ms)) candles.push_back(*open);
  }
  std::stable_sort(candles.begin(), candles.end(),
                   [](const domain::Candle& a, const domain::Candle& b) {
                     return a.open_time_ms < b.open_time_ms;
                   });
  return candles;
}

std::vector<domain::Candle> CandleRecorder::RecentCandles(
    std::string_view pair) const {
  std::lock_guard lock(mu_);
  std::vector<domain::Candle> candles;
  if (auto it = recent_.find(std::string(pair)); it != recent_.end()) {
    candles.reserve(it->second.size() + 1);
    for (const auto& [time, entry] : it->second) {
      candles.push_back(entry.candle);
    }
  }
  if (auto open = aggregator_.OpenCandle(pair)) {
    if (candles.empty() || candles.back().open_time_ms < open->open_time_ms) {
      candles.push_back(*open);
    }
  }
  return candles;
}

CandleRecorderStats CandleRecorder::stats() const {
  std::lock_guard lock(mu_);
  CandleRecorderStats stats = stats_;
  stats.buffered = buffer_.size();
  stats.held_back = held_back_.size();
  return stats;
}

void CandleRecorder::Start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { FlushLoop(); });
}

void CandleRecorder::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Flush();
}

void CandleRecorder::FlushLoop() {
  std::unique_lock lock(thread_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval);
    if (stopping_) break;
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace cryptotracker::pricing::market
