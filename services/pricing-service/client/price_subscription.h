// A StreamPrices subscription that stays up: it feeds every price into a
// PriceBook and, whenever the stream ends (the pricing-service restarts, is
// killed, the network drops, or nothing arrives for idle_timeout although
// the server sends a heartbeat every 15 seconds), marks the quote
// disconnected in the book and subscribes again after a jittered, growing
// delay (Backoff). A new stream starts with the current price of every
// symbol (the contract), so the book is whole again after one message per
// symbol; the contract's slow-reader rule (only the newest price of each
// symbol, no backlog) means a listener that falls behind misses
// intermediate prices, never the latest.
//
//   auto book = std::make_shared<PriceBook>();
//   PriceSubscription prices(PricingClient::NewChannel(address), book,
//                            {.symbols = {"BTC", "ETH"}, .quote = "USD"});
//   prices.Start();
//   ... book->Get("BTC", "USD") ...
#ifndef CRYPTOTRACKER_PRICING_CLIENT_PRICE_SUBSCRIPTION_H_
#define CRYPTOTRACKER_PRICING_CLIENT_PRICE_SUBSCRIPTION_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "cryptotracker/pricing/v1/pricing_service.grpc.pb.h"
#include "services/pricing-service/client/backoff.h"
#include "services/pricing-service/client/price_book.h"

namespace cryptotracker::pricing::client {

struct SubscriptionStatus {
  bool connected = false;
  // Streams that delivered at least one message; above 1 means reconnected.
  int64_t connections = 0;
  // Attempts that ended, or failed to start, since the last connection.
  int64_t failures_since_connected = 0;
  int64_t prices_received = 0;
  // Prices the client could not read (malformed decimals); skipped.
  int64_t prices_rejected = 0;
  // Why the last stream ended (OK before the first end).
  absl::Status last_error;
};

struct SubscriptionOptions {
  // Up to 100 symbols; empty streams every tracked asset.
  std::vector<std::string> symbols;
  std::string quote = "USD";
  BackoffPolicy backoff;
  // Three missed heartbeats: the connection is taken for dead.
  std::chrono::seconds idle_timeout{45};
  // Called on the subscription's thread when the stream comes up (first
  // message) or goes down.
  std::function<void(const SubscriptionStatus&)> on_state_change;
};

class PriceSubscription {
 public:
  PriceSubscription(std::shared_ptr<grpc::Channel> channel,
                    std::shared_ptr<PriceBook> book,
                    SubscriptionOptions options);
  ~PriceSubscription();  // Stop()
  PriceSubscription(const PriceSubscription&) = delete;
  PriceSubscription& operator=(const PriceSubscription&) = delete;

  // Starts the subscription's threads; returns at once.
  void Start();
  // Cancels the stream and joins the threads. Idempotent. Not from a
  // listener or on_state_change, which run on the thread it joins.
  void Stop();

  SubscriptionStatus status() const;
  // True once a stream delivered its first message within `timeout`.
  bool WaitUntilConnected(std::chrono::milliseconds timeout) const;

  const std::shared_ptr<PriceBook>& book() const { return book_; }

 private:
  void Run();
  // One stream from start to end; returns how it ended.
  grpc::Status StreamOnce();
  void Watchdog();
  void SetConnected(bool connected, const absl::Status& error);

  const std::shared_ptr<PriceBook> book_;
  const SubscriptionOptions options_;
  const std::unique_ptr<v1::PricingService::Stub> stub_;
  v1::StreamPricesRequest request_;
  Backoff backoff_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool started_ = false;
  bool stopping_ = false;
  SubscriptionStatus status_;
  // The stream in progress, for Stop and the watchdog to cancel.
  std::shared_ptr<grpc::ClientContext> current_;
  std::chrono::steady_clock::time_point last_message_;
  std::thread worker_;
  std::thread watchdog_;
};

}  // namespace cryptotracker::pricing::client

#endif  // CRYPTOTRACKER_PRICING_CLIENT_PRICE_SUBSCRIPTION_H_
