#include "services/pricing-service/client/price_subscription.h"

#include <utility>

#include "services/pricing-service/client/pricing_client.h"

namespace cryptotracker::pricing::client {

PriceSubscription::PriceSubscription(std::shared_ptr<grpc::Channel> channel,
                                     std::shared_ptr<PriceBook> book,
                                     SubscriptionOptions options)
    : book_(std::move(book)),
      options_(std::move(options)),
      stub_(v1::PricingService::NewStub(channel)),
      backoff_(options_.backoff) {
  for (const std::string& symbol : options_.symbols) {
    request_.add_symbols(symbol);
  }
  request_.set_quote(options_.quote);
}

PriceSubscription::~PriceSubscription() { Stop(); }

void PriceSubscription::Start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  worker_ = std::thread([this] { Run(); });
  watchdog_ = std::thread([this] { Watchdog(); });
}

void PriceSubscription::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_ || stopping_) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
    if (current_) current_->TryCancel();
  }
  changed_.notify_all();
  worker_.join();
  watchdog_.join();
}

SubscriptionStatus PriceSubscription::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool PriceSubscription::WaitUntilConnected(
    std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return status_.connected; });
}

void PriceSubscription::Run() {
  while (true) {
    const grpc::Status ended = StreamOnce();
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      ++status_.failures_since_connected;
      delay = backoff_.NextDelay();
    }
    // A price stream has no natural end: even a clean one (a server
    // draining before shutdown) means the prices stopped.
    SetConnected(false, ended.ok() ? absl::UnavailableError(
                                         "pricing StreamPrices: the server "
                                         "ended the stream")
                                   : FromGrpcStatus(ended, "StreamPrices"));
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, delay, [this] { return stopping_; })) break;
  }
  book_->MarkDisconnected(options_.quote, std::chrono::system_clock::now());
}

grpc::Status PriceSubscription::StreamOnce() {
  auto ctx = std::make_shared<grpc::ClientContext>();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return grpc::Status::CANCELLED;
    current_ = ctx;
    last_message_ = std::chrono::steady_clock::now();
  }
  std::unique_ptr<grpc::ClientReader<v1::StreamPricesResponse>> reader =
      stub_->StreamPrices(ctx.get(), request_);
  v1::StreamPricesResponse message;
  bool first = true;
  while (reader->Read(&message)) {
    {
      std::lock_guard lock(mutex_);
      last_message_ = std::chrono::steady_clock::now();
    }
    if (first) {
      first = false;
      book_->MarkConnected(options_.quote, std::chrono::system_clock::now());
      {
        std::lock_guard lock(mutex_);
        backoff_.Reset();
        ++status_.connections;
        status_.failures_since_connected = 0;
      }
      SetConnected(true, absl::OkStatus());
    }
    if (!message.has_price()) continue;  // a heartbeat
    absl::StatusOr<Price> price = PriceFromProto(message.price());
    {
      std::lock_guard lock(mutex_);
      if (!price.ok()) {
        ++status_.prices_rejected;
        continue;
      }
      ++status_.prices_received;
    }
    // Not under this class's lock: the book calls the listeners.
    book_->Apply(*std::move(price), std::chrono::system_clock::now());
  }
  grpc::Status ended = reader->Finish();
  std::lock_guard lock(mutex_);
  current_.reset();
  return ended;
}

void PriceSubscription::SetConnected(bool connected,
                                     const absl::Status& error) {
  // The book first: whoever sees the status change sees the book's too.
  // Called after every failed attempt; the book keeps the first moment.
  if (!connected) {
    book_->MarkDisconnected(options_.quote, std::chrono::system_clock::now());
  }
  SubscriptionStatus snapshot;
  bool changed;
  {
    std::lock_guard lock(mutex_);
    changed = status_.connected != connected;
    status_.connected = connected;
    if (!connected) status_.last_error = error;
    snapshot = status_;
  }
  changed_.notify_all();
  if (changed && options_.on_state_change) options_.on_state_change(snapshot);
}

void PriceSubscription::Watchdog() {
  std::unique_lock lock(mutex_);
  while (!changed_.wait_for(lock, std::chrono::seconds(1),
                            [this] { return stopping_; })) {
    if (current_ && std::chrono::steady_clock::now() - last_message_ >
                        options_.idle_timeout) {
      // Read() returns false and the worker reconnects.
      current_->TryCancel();
    }
  }
}

}  // namespace cryptotracker::pricing::client
