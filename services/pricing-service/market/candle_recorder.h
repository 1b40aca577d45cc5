// Turns the trade stream into one-minute candles and persists the closed
// ones in batches.
//
// Ticks go into a CandleAggregator under a mutex (ingest is a few hundred
// nanoseconds, so one lock is fine at exchange rates). A flush thread wakes
// every flush interval, closes the minutes that have ended, and hands the
// closed candles to the CandleStore in one batch. When the store fails
// (database down), the candles stay buffered, up to a bound, and go out
// with the next flush: a database outage shorter than the buffer loses
// nothing, and writes are idempotent upserts, so retrying never
// double-counts.
//
// Origins are kept apart in the `source` written with each candle:
// "<provider>:trades" for candles built here, "<provider>:klines" for
// candles the exchange reported closed (OnClosedCandle). The store never
// lets a trades candle replace a klines candle, because the exchange saw
// every trade and we may have missed some during a reconnect.
//
// With several replicas, each receives the stream and records candles, but
// only the one holding a pair's writer lease writes it (`may_write`, see
// storage/writer_lease.h). The others keep what they did not write (held
// back) for the recent window: it still answers reads here, and a replica
// that takes over writes it with its next flush, so the minutes the old
// writer closed but never flushed are not lost when it dies.
//
// The closed candles of the recent window are kept apart from the write
// path (RecentCandles), for readers that serve the newest minutes from
// memory after a cached snapshot of the stored ones.
//
// The minute in progress at shutdown is not written: it is not closed, and
// writing it would let the restarted process overwrite it with a candle of
// only the trades after the restart. Gap repair from exchange klines fills
// it.
#ifndef CRYPTOTRACKER_PRICING_MARKET_CANDLE_RECORDER_H_
#define CRYPTOTRACKER_PRICING_MARKET_CANDLE_RECORDER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/market/tick_sink.h"

namespace cryptotracker::pricing::market {

// A closed candle and who produced it ("binance:trades", "binance:klines").
struct SourcedCandle {
  domain::Candle candle;
  std::string source;
};

// Where closed candles go (storage::PricingRepository in production).
class CandleStore {
 public:
  virtual ~CandleStore() = default;
  // Persists the candles idempotently (an upsert per (pair, interval,
  // open time)). Throws on failure; nothing is written then.
  virtual void UpsertCandles(const std::vector<SourcedCandle>& candles) = 0;
};

struct CandleRecorderOptions {
  // CANDLE_FLUSH_SECONDS.
  std::chrono::milliseconds flush_interval{std::chrono::seconds(5)};
  // Candles kept while the store is failing; beyond it the oldest are
  // dropped (and counted). Two million one-minute candles are about a day
  // of a thousand pairs.
  size_t max_buffered = 2'000'000;
  domain::AggregatorOptions aggregator;
  // Whether this process writes `pair` now (its writer lease); unset, every
  // pair is written. Called on the flush thread, without the recorder's
  // lock.
  std::function<bool(const std::string& pair)> may_write;
  // How long closed candles stay in memory for RecentCandles, and held-back
  // candles for a takeover. Longer than the candle cache's TTL plus a flush
  // interval, so that what a cached snapshot of stored minutes misses is
  // here.
  std::chrono::milliseconds recent_window{std::chrono::minutes(10)};
  // Wall clock in milliseconds since the epoch; replaceable for tests.
  std::function<int64_t()> clock;
};

struct CandleRecorderStats {
  int64_t ticks_accepted = 0;
  // Rejected by the aggregator: duplicate, late, too far in future, invalid.
  int64_t ticks_rejected = 0;
  int64_t unknown_pair = 0;
  int64_t candles_written = 0;
  int64_t flush_failures = 0;
  int64_t candles_dropped = 0;
  size_t buffered = 0;
  // Closed candles another replica writes, kept for reads and a takeover.
  size_t held_back = 0;
};

class CandleRecorder final : public TickSink {
 public:
  // Records only `pairs`; ticks of other pairs are counted and ignored.
  CandleRecorder(CandleStore& store, std::vector<std::string> pairs,
                 CandleRecorderOptions options = {});
  ~CandleRecorder() override;  // Stop()
  CandleRecorder(const CandleRecorder&) = delete;
  CandleRecorder& operator=(const CandleRecorder&) = delete;

  void OnTick(const domain::Tick& tick, std::string_view source) override;
  void OnTicker(const MarketTicker&, std::string_view) override {}
  void OnClosedCandle(const domain::Candle& candle,
                      std::string_view source) override;

  // Starts the flush thread.
  void Start();
  // Stops the flush thread after a last flush. Idempotent.
  void Stop();

  // Closes the minutes that ended by the clock and writes every buffered
  // candle. False when the store failed (the candles stay buffered).
  bool Flush();

  // The one-minute candles of `pair` not in the store yet: closed ones
  // waiting for the next flush, then the open one. Ascending by open time.
  // Readers merge them with stored candles so that a candle is visible
  // from the moment it opens. Held-back candles count as not in the store:
  // the writer may not have flushed them yet.
  std::vector<domain::Candle> UnpersistedCandles(std::string_view pair) const;

  // The one-minute candles of `pair` closed within the recent window
  // (persisted or not, the exchange's kline over the trades candle of a
  // minute), then the open one. Ascending by open time.
  std::vector<domain::Candle> RecentCandles(std::string_view pair) const;

  CandleRecorderStats stats() const;

 private:
  void FlushLoop();
  // Keeps a closed candle in recent_ (mu_ held).
  void Remember(const SourcedCandle& entry);
  // Drops the recent and held-back candles older than the window (mu_ held).
  void ForgetOlderThan(int64_t cutoff_ms);

  CandleStore& store_;
  const absl::flat_hash_set<std::string> pairs_;
  const CandleRecorderOptions options_;

  mutable std::mutex mu_;  // guards everything below up to stats
  domain::CandleAggregator aggregator_;
  // Provider of the latest accepted tick, for the source of the candles
  // built here (one deployment has one trade feed).
  std::string last_source_ = "unknown";
  std::vector<SourcedCandle> buffer_;
  // Closed candles of pairs another replica writes, oldest first.
  std::vector<SourcedCandle> held_back_;
  // Closed candles of the recent window by pair and open time.
  absl::flat_hash_map<std::string, std::map<int64_t, SourcedCandle>> recent_;
  CandleRecorderStats stats_;

  std::mutex flush_mu_;  // one flush at a time
  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cryptotracker::pricing::market

#endif  // CRYPTOTRACKER_PRICING_MARKET_CANDLE_RECORDER_H_
