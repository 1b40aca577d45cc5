// StreamPrices on the gRPC callback API.
//
// Every stream is a ServerWriteReactor plus a StreamSubscription held by a
// fan-out shard of the hub. No thread is parked per stream: a
// price change marks the asset in the subscription's ConflatingOutbox and,
// when no write is in flight, starts one; each completed write starts the
// next pending asset, taken from the PriceCache at that moment (the newest
// state, encoded once for every stream). A move of the EUR or BTC rate
// marks every watched asset of the streams quoted in that currency. So
// thousands of streams share gRPC's callback threads, a slow client costs one
// pending flag per asset (never a queue), and it never delays anyone else,
// because publishers never wait for a write.
//
// Fan-out: the hub is the broadcaster's only stream subscriber. A price
// change only sets a pending flag per fan-out shard (the provider thread
// that published it never writes to a socket); each shard has a thread that
// notifies its share of the streams. So the provider is never held up by
// the ~15 us a gRPC write costs, and a burst of changes to the same asset is
// notified once. New statistics at an unchanged price wait
// briefly (PriceStreamOptions::statistics_hold) for the next price to carry.
//
// A maintenance thread runs every maintenance_interval: it publishes
// staleness flips (MarketState::PublishStalenessChanges) and sends a
// heartbeat on every stream that has written nothing for heartbeat_interval.
#ifndef CRYPTOTRACKER_PRICING_STREAM_PRICE_STREAM_H_
#define CRYPTOTRACKER_PRICING_STREAM_PRICE_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cryptotracker/pricing/v1/pricing_service.grpc.pb.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/quotes.h"
#include "services/pricing-service/stream/price_cache.h"

namespace cryptotracker::pricing::stream {

struct PriceStreamOptions {
  // The contract promises a heartbeat after 15 seconds without a message.
  std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(15)};
  std::chrono::milliseconds maintenance_interval{std::chrono::seconds(1)};
  // Streams beyond this are refused with RESOURCE_EXHAUSTED.
  int max_streams = 20'000;
  // Threads that notify streams of price changes (shards of the streams).
  // More than the two cores of the benchmark machine on purpose: with 1,000
  // streams of all symbols, 4 gave a p99 of 41-47 ms against 55 ms with 2
  // and 71 ms with 1, at less CPU (8 was no better); testing/bench/README.md.
  int fan_out_threads = 4;
  // How long new 24-hour statistics with an unchanged price (a miniTicker)
  // may wait for the next price change of that asset to carry them. Without
  // the hold they are half of what every stream gets (a miniTicker a second
  // per symbol next to about a trade a second), and a message costs the
  // server the same whatever it says; a trade usually comes sooner.
  std::chrono::milliseconds statistics_hold{std::chrono::seconds(2)};
};

class StreamSubscription;

class PriceStreamHub {
 public:
  PriceStreamHub(market::MarketState& market, PriceCache& prices,
                 PriceStreamOptions options);
  ~PriceStreamHub();  // Stop()
  PriceStreamHub(const PriceStreamHub&) = delete;
  PriceStreamHub& operator=(const PriceStreamHub&) = delete;

  // Subscribes to the market and starts the fan-out and maintenance
  // threads.
  void Start();
  // Stops the threads and ends every open stream with UNAVAILABLE so that
  // clients reconnect elsewhere. Idempotent. The hub must outlive the
  // gRPC server (streams still report their end to it).
  void Stop();

  // A reactor streaming encoded StreamPricesResponse messages for the
  // `watched` assets (validated indices) in `quote`, starting with the
  // current prices of `priced_now`; or one that fails at once with
  // RESOURCE_EXHAUSTED when the stream limit is reached.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Open(
      const std::vector<size_t>& watched, const std::vector<size_t>& priced_now,
      market::QuoteCurrency quote);

  // A reactor that only finishes with `status` (for invalid requests).
  static grpc::ServerWriteReactor<grpc::ByteBuffer>* Fail(grpc::Status status);

 private:
  friend class PriceStream;
  class FanOut;
  class Relay;
  void MaintenanceLoop();
  void Add(std::shared_ptr<StreamSubscription> subscription);
  void Remove(const StreamSubscription* subscription);
  void ForEachStream(const std::function<void(StreamSubscription&)>& fn);

  market::MarketState& market_;
  PriceCache& prices_;
  const PriceStreamOptions options_;
  std::atomic<int> active_streams_{0};
  std::vector<std::unique_ptr<FanOut>> fan_outs_;
  std::shared_ptr<market::PriceSubscriber> relay_;
  std::atomic<size_t> next_fan_out_{0};

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cryptotracker::pricing::stream

#endif  // CRYPTOTRACKER_PRICING_STREAM_PRICE_STREAM_H_
