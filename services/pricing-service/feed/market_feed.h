// The glue between the exchange clients (providers/) and the service
// (market/): events of the Binance stream into the TickSink, REST klines as
// the HistorySource, and a background worker for the slow work (history
// backfill, gap repair, catalogue refresh) that must never run on the
// stream's network thread.
#ifndef CRYPTOTRACKER_PRICING_FEED_MARKET_FEED_H_
#define CRYPTOTRACKER_PRICING_FEED_MARKET_FEED_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/pricing-service/market/history_source.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/providers/binance_rest_client.h"
#include "services/pricing-service/providers/feed.h"

namespace cryptotracker::pricing::feed {

// 24-hour statistics of the stream in the shape the market state takes.
market::MarketTicker ToMarketTicker(const providers::Ticker& ticker);

// Runs tasks one at a time on its own thread, each not before its due time.
// Tasks are independent jobs (fetch history for one pair, refresh the
// catalogue); one that throws is logged and the next one runs.
class BackgroundWorker {
 public:
  using Clock = std::chrono::steady_clock;

  BackgroundWorker();
  ~BackgroundWorker();  // Stop()
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Queues `task` to run at or after `due`; tasks due at the same time run
  // in the order they were posted. Ignored after Stop().
  void PostAt(Clock::time_point due, std::string name,
              std::function<void()> task);
  void Post(std::string name, std::function<void()> task) {
    PostAt(Clock::now(), std::move(name), std::move(task));
  }

  // Drops the tasks not started, waits for the running one and joins.
  // Callers unblock a long-running task first (e.g. by shutting down the
  // HTTP client it waits on). Idempotent.
  void Stop();

  // Tasks waiting to run.
  size_t pending() const;
  int64_t failures() const { return failures_.load(); }

 private:
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  uint64_t next_sequence_ = 0;
  // (due, sequence) -> task: earliest first, FIFO among equals.
  std::map<std::pair<Clock::time_point, uint64_t>,
           std::pair<std::string, std::function<void()>>>
      tasks_;
  std::atomic<int64_t> failures_{0};
  std::thread thread_;
};

// What the bridge does with a reported gap: called on the stream's network
// thread, so it only schedules work.
using GapHandler = std::function<void(const std::string& pair, int64_t from_ms,
                                      int64_t to_ms)>;

// Adapts the stream client's MarketFeedListener to the service's TickSink:
//  - trades become ticks (latest price, one-minute candles from trades);
//  - mini tickers become 24-hour statistics;
//  - closed one-minute klines are the exchange's authoritative candles;
//    klines still forming are ignored (trades build the live candle);
//  - gaps after a reconnect go to `on_gap`, which schedules a REST repair;
//  - connection changes are logged and kept for health reporting.
class FeedBridge final : public providers::MarketFeedListener {
 public:
  // `source` is the provider name the sink records, e.g. "binance".
  FeedBridge(market::TickSink& sink, std::string source, GapHandler on_gap);

  void OnTrade(const Tick& tick) override;
  void OnTicker(const providers::Ticker& ticker) override;
  void OnKline(const Candle& candle) override;
  void OnGap(std::string symbol, int64_t from_ms, int64_t to_ms) override;
  void OnStatus(bool connected, std::string detail) override;

  bool connected() const { return connected_.load(); }
  int64_t disconnects() const { return disconnects_.load(); }
  int64_t gaps() const { return gaps_.load(); }
  int64_t closed_klines() const { return closed_klines_.load(); }

 private:
  market::TickSink& sink_;
  const std::string source_;
  GapHandler on_gap_;
  std::atomic<bool> connected_{false};
  std::atomic<int64_t> disconnects_{0};
  std::atomic<int64_t> gaps_{0};
  std::atomic<int64_t> closed_klines_{0};
};

// One-minute history from Binance's REST klines.
class BinanceHistorySource final : public market::HistorySource {
 public:
  // `clock`: milliseconds since the epoch, to tell closed klines.
  BinanceHistorySource(std::unique_ptr<providers::BinanceRestClient> client,
                       std::function<int64_t()> clock);

  std::string name() const override { return "binance"; }
  // Throws std::runtime_error with the client's status on failure.
  std::vector<Candle> FetchOneMinuteCandles(const std::string& pair,
                                            int64_t from_ms,
                                            int64_t to_ms) override;

  // Fails requests in progress and later ones (for shutdown).
  void Shutdown() { client_->Shutdown(); }

 private:
  std::unique_ptr<providers::BinanceRestClient> client_;
  std::function<int64_t()> clock_;
};

}  // namespace cryptotracker::pricing::feed

#endif  // CRYPTOTRACKER_PRICING_FEED_MARKET_FEED_H_
