#include "services/pricing-service/feed/market_feed.h"

#include <exception>
#include <stdexcept>
#include <utility>

#include "services/common/logging.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::feed {

market::MarketTicker ToMarketTicker(const providers::Ticker& ticker) {
  market::MarketTicker out;
  out.pair = ticker.symbol;
  out.last_price = ticker.close;
  out.open = ticker.open;
  out.high = ticker.high;
  out.low = ticker.low;
  out.base_volume = ticker.base_volume;
  out.quote_volume = ticker.quote_volume;
  out.event_time_ms = ticker.event_time_ms;
  return out;
}

// ---- BackgroundWorker ------------------------------------------------------

BackgroundWorker::BackgroundWorker() : thread_([this] { Loop(); }) {}

BackgroundWorker::~BackgroundWorker() { Stop(); }

void BackgroundWorker::PostAt(Clock::time_point due, std::string name,
                              std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    tasks_.emplace(std::make_pair(due, next_sequence_++),
                   std::make_pair(std::move(name), std::move(task)));
  }
  wake_.notify_one();
}

void BackgroundWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

size_t BackgroundWorker::pending() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void BackgroundWorker::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = tasks_.begin()->first.first;
    if (Clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto node = tasks_.extract(tasks_.begin());
    std::string name = std::move(node.mapped().first);
    std::function<void()> task = std::move(node.mapped().second);
    lock.unlock();
    try {
      task();
    } catch (const std::exception& error) {
      failures_.fetch_add(1);
      common::LogWarn("background task failed",
                      {{"task", name}, {"error", error.what()}});
    }
    lock.lock();
  }
}

// ---- FeedBridge ------------------------------------------------------------

FeedBridge::FeedBridge(market::TickSink& sink, std::string source,
                       GapHandler on_gap)
    : sink_(sink), source_(std::move(source)), on_gap_(std::move(on_gap)) {}

void FeedBridge::OnTrade(const Tick& tick) { sink_.OnTick(tick, source_); }

void FeedBridge::OnTicker(const providers::Ticker& ticker) {
  sink_.OnTicker(ToMarketTicker(ticker), source_);
}

void FeedBridge::OnKline(const Candle& candle) {
  if (!candle.closed || candle.interval != Interval::k1m) return;
  closed_klines_.fetch_add(1);
  sink_.OnClosedCandle(candle, source_);
}

void FeedBridge::OnGap(std::string symbol, int64_t from_ms, int64_t to_ms) {
  gaps_.fetch_add(1);
  if (on_gap_) on_gap_(symbol, from_ms, to_ms);
}

void FeedBridge::OnStatus(bool connected, std::string detail) {
  const bool was = connected_.exchange(connected);
  if (connected) {
    common::LogInfo("market feed connected",
                    {{"source", source_}, {"detail", detail}});
  } else {
    if (was) disconnects_.fetch_add(1);
    // Prices keep being served from the last known values, marked stale
    // once PRICE_STALE_SECONDS pass.
    common::LogWarn("market feed disconnected; serving last known prices",
                    {{"source", source_}, {"detail", detail}});
  }
}

// ---- BinanceHistorySource --------------------------------------------------

BinanceHistorySource::BinanceHistorySource(
    std::unique_ptr<providers::BinanceRestClient> client,
    std::function<int64_t()> clock)
    : client_(std::move(client)), clock_(std::move(clock)) {}

std::vector<Candle> BinanceHistorySource::FetchOneMinuteCandles(
    const std::string& pair, int64_t from_ms, int64_t to_ms) {
  absl::StatusOr<std::vector<Candle>> candles =
      client_->GetCandles(pair, Interval::k1m, from_ms, to_ms, clock_());
  if (!candles.ok()) {
    throw std::runtime_error("klines of " + pair + ": " +
                             std::string(candles.status().ToString()));
  }
  std::vector<Candle> closed;
  closed.reserve(candles->size());
  for (Candle& candle : *candles) {
    if (candle.closed) closed.push_back(std::move(candle));
  }
  return closed;
}

}  // namespace cryptotracker::pricing::feed
