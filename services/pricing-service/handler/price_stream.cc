#include "services/pricing-service/handler/price_stream.h"

#include <memory>
#include <optional>
#include <utility>

#include "services/common/logging.h"
#include "services/pricing-service/handler/proto_convert.h"
#include "services/pricing-service/market/conflating_outbox.h"

namespace cryptotracker::pricing::handler {

using Clock = std::chrono::steady_clock;
using market::ConflatingOutbox;

class PriceStream;

namespace {

std::optional<market::RatePair> RateOf(market::QuoteCurrency quote) {
  switch (quote) {
    case market::QuoteCurrency::kEur:
      return market::RatePair::kEurUsdt;
    case market::QuoteCurrency::kBtc:
      return market::RatePair::kBtcUsdt;
    case market::QuoteCurrency::kUsd:
      break;
  }
  return std::nullopt;
}

}  // namespace

// The part of a stream the broadcaster holds. It outlives the reactor when
// a publisher is still inside OnAssetUpdated while the call ends; `stream_`
// is only used while this subscription owns the outbox's single write slot
// (busy), and the reactor cannot finish then.
class StreamSubscription final : public market::PriceSubscriber {
 public:
  StreamSubscription(PriceStream* stream, std::vector<bool> wanted,
                     std::optional<market::RatePair> rate,
                     std::chrono::milliseconds heartbeat_interval)
      : stream_(stream),
        wanted_(std::move(wanted)),
        rate_(rate),
        outbox_(wanted_.size()),
        heartbeat_interval_(heartbeat_interval),
        last_write_(Clock::now()) {}

  void OnAssetUpdated(size_t asset_index) override {
    if (asset_index >= wanted_.size() || !wanted_[asset_index]) return;
    std::optional<size_t> key;
    {
      std::lock_guard lock(mu_);
      if (finishing_) return;
      key = outbox_.Push(asset_index);
    }
    Drive(key);
  }

  // The stream's quote currency moved against USD: every watched price
  // changed.
  void OnRateUpdated(market::RatePair rate) override {
    if (rate != rate_) return;
    std::optional<size_t> key;
    {
      std::lock_guard lock(mu_);
      if (finishing_) return;
      for (size_t index = 0; index < wanted_.size(); ++index) {
        if (!wanted_[index]) continue;
        std::optional<size_t> first = outbox_.Push(index);
        if (first.has_value()) key = first;
      }
    }
    Drive(key);
  }

  void MaybeHeartbeat(Clock::time_point now) {
    std::optional<size_t> key;
    {
      std::lock_guard lock(mu_);
      if (finishing_ || now - last_write_ < heartbeat_interval_) return;
      key = outbox_.PushHeartbeatIfIdle();
    }
    Drive(key);
  }

  // The write in flight completed (ok = the client took it).
  void WriteDone(bool ok) { Drive(Complete(ok, grpc::Status::CANCELLED)); }

  // Ends the stream with `status` as soon as no write is in flight.
  void End(grpc::Status status);

 private:
  // Writes `key` and the keys after it until one is actually started.
  void Drive(std::optional<size_t> key);
  // Releases the write slot; returns the next key to write, or nullopt
  // (and finishes the call if it is ending).
  std::optional<size_t> Complete(bool ok, grpc::Status end_status);

  PriceStream* const stream_;
  const std::vector<bool> wanted_;
  // The rate whose moves re-price this stream (none for USD).
  const std::optional<market::RatePair> rate_;
  std::mutex mu_;
  ConflatingOutbox outbox_;
  const std::chrono::milliseconds heartbeat_interval_;
  Clock::time_point last_write_;
  bool finishing_ = false;
  bool finished_ = false;
  grpc::Status end_status_ = grpc::Status::CANCELLED;
};

class PriceStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  PriceStream(PriceStreamHub& hub, std::vector<bool> wanted,
              market::QuoteCurrency quote)
      : hub_(hub), quote_(quote) {
    subscription_ = std::make_shared<StreamSubscription>(
        this, std::move(wanted), RateOf(quote),
        hub.options_.heartbeat_interval);
  }

  // Registers with the broadcaster and queues the current prices.
  void Begin(const std::vector<size_t>& priced_now) {
    hub_.market_.broadcaster().Subscribe(subscription_);
    for (size_t index : priced_now) subscription_->OnAssetUpdated(index);
  }

  StreamSubscription& subscription() { return *subscription_; }

  // Fills response_ for `key`; false when there is nothing to send (e.g.
  // the cross rate has no price yet).
  bool Render(size_t key) {
    const int64_t now_ms = hub_.market_.NowMs();
    if (key == ConflatingOutbox::kHeartbeat) {
      v1::StreamPricesResponse heartbeat;
      SetTimestamp(now_ms,
                   heartbeat.mutable_heartbeat()->mutable_server_time());
      grpc::Slice slice(heartbeat.SerializeAsString());
      response_ = grpc::ByteBuffer(&slice, 1);
      return true;
    }
    absl::StatusOr<std::shared_ptr<const EncodedPrice>> price =
        hub_.prices_.Get(key, quote_, now_ms);
    if (!price.ok()) return false;
    response_ = grpc::ByteBuffer(&(*price)->slice, 1);
    return true;
  }

  void Write() { StartWrite(&response_); }

  void OnWriteDone(bool ok) override { subscription_->WriteDone(ok); }

  void OnCancel() override { subscription_->End(grpc::Status::CANCELLED); }

  void OnDone() override {
    hub_.market_.broadcaster().Unsubscribe(subscription_.get());
    hub_.active_streams_.fetch_sub(1);
    delete this;
  }

 private:
  PriceStreamHub& hub_;
  const market::QuoteCurrency quote_;
  std::shared_ptr<StreamSubscription> subscription_;
  grpc::ByteBuffer response_;
};

void StreamSubscription::End(grpc::Status status) {
  bool finish_now = false;
  {
    std::lock_guard lock(mu_);
    if (finishing_) return;
    finishing_ = true;
    end_status_ = std::move(status);
    if (!outbox_.busy() && !finished_) finished_ = finish_now = true;
  }
  if (finish_now) stream_->Finish(end_status_);
}

std::optional<size_t> StreamSubscription::Complete(bool ok,
                                                   grpc::Status end_status) {
  bool finish_now = false;
  std::optional<size_t> next;
  {
    std::lock_guard lock(mu_);
    last_write_ = Clock::now();
    if (!ok && !finishing_) {
      finishing_ = true;
      end_status_ = std::move(end_status);
    }
    if (finishing_) {
      if (!finished_) finished_ = finish_now = true;
    } else {
      next = outbox_.WriteDone();
    }
  }
  if (finish_now) stream_->Finish(end_status_);
  return next;
}

void StreamSubscription::Drive(std::optional<size_t> key) {
  while (key.has_value()) {
    if (stream_->Render(*key)) {
      stream_->Write();
      return;
    }
    // Nothing to send for this key: release the slot as if written.
    key = Complete(true, grpc::Status::OK);
  }
}

namespace {

class FailedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

PriceStreamHub::PriceStreamHub(market::MarketState& market, PriceCache& prices,
                               PriceStreamOptions options)
    : market_(market), prices_(prices), options_(options) {}

PriceStreamHub::~PriceStreamHub() { Stop(); }

void PriceStreamHub::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { MaintenanceLoop(); });
}

void PriceStreamHub::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  market_.broadcaster().ForEach([](market::PriceSubscriber& subscriber) {
    if (auto* stream = dynamic_cast<StreamSubscription*>(&subscriber)) {
      stream->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "server is shutting down"));
    }
  });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* PriceStreamHub::Fail(
    grpc::Status status) {
  return new FailedStream(std::move(status));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* PriceStreamHub::Open(
    const std::vector<size_t>& watched, const std::vector<size_t>& priced_now,
    market::QuoteCurrency quote) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "server is shutting down"));
    }
  }
  if (active_streams_.fetch_add(1) >= options_.max_streams) {
    active_streams_.fetch_sub(1);
    common::LogWarn("price stream refused: limit reached",
                    {{"max_streams", options_.max_streams}});
    return Fail(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             "too many price streams on this server; retry "
                             "later"));
  }
  std::vector<bool> wanted(market_.assets().size(), false);
  for (size_t index : watched) wanted[index] = true;
  auto* stream = new PriceStream(*this, std::move(wanted), quote);
  stream->Begin(priced_now);
  return stream;
}

void PriceStreamHub::MaintenanceLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.maintenance_interval);
    if (stopping_) break;
    lock.unlock();
    market_.PublishStalenessChanges();
    const Clock::time_point now = Clock::now();
    market_.broadcaster().ForEach([now](market::PriceSubscriber& subscriber) {
      if (auto* stream = dynamic_cast<StreamSubscription*>(&subscriber)) {
        stream->MaybeHeartbeat(now);
      }
    });
    lock.lock();
  }
}

}  // namespace cryptotracker::pricing::handler
