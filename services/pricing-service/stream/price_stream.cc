#include "services/pricing-service/stream/price_stream.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <utility>

#include "services/common/logging.h"
#include "services/pricing-service/contract/proto_convert.h"
#include "services/pricing-service/stream/conflating_outbox.h"

namespace cryptotracker::pricing::stream {

using Clock = std::chrono::steady_clock;

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

// The part of a stream the fan-out holds. It outlives the reactor when a
// fan-out thread is still inside NotifyAsset while the call ends; `stream_`
// is only used while this subscription owns the outbox's single write slot
// (busy), and the reactor cannot finish then.
class StreamSubscription final {
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

  // The asset changed: write its newest price when the write slot is free.
  void NotifyAsset(size_t asset_index) {
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
  void NotifyRate(market::RatePair rate) {
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
      : hub_(hub), quote_(quote), last_sent_(wanted.size()) {
    subscription_ = std::make_shared<StreamSubscription>(
        this, std::move(wanted), RateOf(quote),
        hub.options_.heartbeat_interval);
  }

  // Registers with the broadcaster and queues the current prices.
  void Begin(const std::vector<size_t>& priced_now) {
    hub_.Add(subscription_);
    for (size_t index : priced_now) subscription_->NotifyAsset(index);
  }

  StreamSubscription& subscription() { return *subscription_; }

  // Fills response_ for `key`; false when there is nothing to send (e.g.
  // the cross rate has no price yet).
  bool Render(size_t key) {
    const int64_t now_ms = hub_.market_.NowMs();
    if (key == ConflatingOutbox::kHeartbeat) {
      v1::StreamPricesResponse heartbeat;
      contract::SetTimestamp(
          now_ms, heartbeat.mutable_heartbeat()->mutable_server_time());
      grpc::Slice slice(heartbeat.SerializeAsString());
      response_ = grpc::ByteBuffer(&slice, 1);
      return true;
    }
    absl::StatusOr<std::shared_ptr<const EncodedPrice>> price =
        hub_.prices_.Get(key, quote_, now_ms);
    if (!price.ok()) return false;
    // Notifications can outrun nothing: one that was queued before this
    // stream opened, or a rate move that left this price as it was, finds
    // the price already sent. The cache returns the same encoding for the
    // same inputs, so identity is "unchanged".
    if (last_sent_[key] == *price) return false;
    last_sent_[key] = *price;
    response_ = grpc::ByteBuffer(&(*price)->slice, 1);
    return true;
  }

  void Write() { StartWrite(&response_); }

  void OnWriteDone(bool ok) override { subscription_->WriteDone(ok); }

  void OnCancel() override { subscription_->End(grpc::Status::CANCELLED); }

  void OnDone() override {
    hub_.Remove(subscription_.get());
    hub_.active_streams_.fetch_sub(1);
    delete this;
  }

 private:
  PriceStreamHub& hub_;
  const market::QuoteCurrency quote_;
  std::shared_ptr<StreamSubscription> subscription_;
  grpc::ByteBuffer response_;
  // Per asset, the price this stream sent last. Only the holder of the
  // outbox's write slot renders, so no lock is needed.
  std::vector<std::shared_ptr<const EncodedPrice>> last_sent_;
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

// One shard of the streams and the thread that tells them about changes.
//
// A price change is passed on at once. Statistics alone
// (market::PriceChange::kStatisticsOnly) are held for `statistics_hold`: a
// price change of the same asset within that time carries them anyway
// (every write renders the newest state), so they cost no message of their
// own; otherwise they go out when the hold ends.
class PriceStreamHub::FanOut {
 public:
  FanOut(size_t asset_count, std::chrono::milliseconds statistics_hold)
      : statistics_hold_(statistics_hold),
        pending_assets_(asset_count, false),
        held_assets_(asset_count) {}
  ~FanOut() { StopThread(); }

  void StartThread() {
    std::lock_guard lock(mu_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this] { Run(); });
  }

  // Pending changes are dropped: the streams are ending.
  void StopThread() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  void MarkAsset(size_t asset_index, market::PriceChange change) {
    {
      std::lock_guard lock(mu_);
      if (!Mark(pending_assets_, held_assets_, asset_index, change)) return;
    }
    wake_.notify_one();
  }

  void MarkRate(market::RatePair rate, market::PriceChange change) {
    {
      std::lock_guard lock(mu_);
      if (!Mark(pending_rates_, held_rates_, static_cast<size_t>(rate),
                change)) {
        return;
      }
    }
    wake_.notify_one();
  }

  void Add(std::shared_ptr<StreamSubscription> subscription) {
    std::unique_lock lock(streams_mu_);
    streams_.push_back(std::move(subscription));
  }

  void Remove(const StreamSubscription* subscription) {
    std::shared_ptr<StreamSubscription> removed;  // released unlocked
    std::unique_lock lock(streams_mu_);
    auto it = std::find_if(streams_.begin(), streams_.end(),
                           [subscription](const auto& entry) {
                             return entry.get() == subscription;
                           });
    if (it == streams_.end()) return;
    removed = std::move(*it);
    *it = std::move(streams_.back());
    streams_.pop_back();
    lock.unlock();
  }

  void ForEach(const std::function<void(StreamSubscription&)>& fn) {
    std::shared_lock lock(streams_mu_);
    for (const auto& stream : streams_) fn(*stream);
  }

 private:
  using Hold = std::optional<Clock::time_point>;

  // Records a change of entry `index` under mu_; true when the thread must
  // look again.
  bool Mark(std::vector<bool>& pending, std::vector<Hold>& held, size_t index,
            market::PriceChange change) {
    if (index >= pending.size() || pending[index]) {
      return false;  // out of range, or the coming pass renders the newest
    }
    if (change == market::PriceChange::kPrice) {
      pending[index] = true;
      held[index].reset();
      has_work_ = true;
      return true;
    }
    if (held[index].has_value()) return false;
    held[index] = Clock::now() + statistics_hold_;
    return true;
  }

  // Makes every hold that ended by `now` pending; returns the end of the
  // earliest hold still running (or `earliest`, if sooner). Under mu_.
  Hold Release(std::vector<bool>& pending, std::vector<Hold>& held,
               Clock::time_point now, Hold earliest) {
    for (size_t i = 0; i < held.size(); ++i) {
      if (!held[i].has_value()) continue;
      if (*held[i] <= now) {
        pending[i] = true;
        held[i].reset();
        has_work_ = true;
      } else if (!earliest.has_value() || *held[i] < *earliest) {
        earliest = held[i];
      }
    }
    return earliest;
  }

  void Run() {
    std::vector<size_t> assets;
    std::vector<market::RatePair> rates;
    for (;;) {
      assets.clear();
      rates.clear();
      {
        std::unique_lock lock(mu_);
        for (;;) {
          if (stopping_) return;
          const Clock::time_point now = Clock::now();
          Hold earliest = Release(pending_assets_, held_assets_, now, {});
          earliest = Release(pending_rates_, held_rates_, now, earliest);
          if (has_work_) break;
          if (earliest.has_value()) {
            wake_.wait_until(lock, *earliest);
          } else {
            wake_.wait(lock);
          }
        }
        for (size_t i = 0; i < pending_assets_.size(); ++i) {
          if (pending_assets_[i]) assets.push_back(i);
        }
        std::fill(pending_assets_.begin(), pending_assets_.end(), false);
        for (size_t r = 0; r < pending_rates_.size(); ++r) {
          if (pending_rates_[r]) rates.push_back(market::RatePair(r));
          pending_rates_[r] = false;
        }
        has_work_ = false;
      }
      std::shared_lock lock(streams_mu_);
      for (size_t asset_index : assets) {
        for (const auto& stream : streams_) stream->NotifyAsset(asset_index);
      }
      for (market::RatePair rate : rates) {
        for (const auto& stream : streams_) stream->NotifyRate(rate);
      }
    }
  }

  const std::chrono::milliseconds statistics_hold_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<bool> pending_assets_;
  std::vector<Hold> held_assets_;
  std::vector<bool> pending_rates_ =
      std::vector<bool>(market::kRatePairCount, false);
  std::vector<Hold> held_rates_ = std::vector<Hold>(market::kRatePairCount);
  bool has_work_ = false;
  bool stopping_ = false;
  std::thread thread_;

  std::shared_mutex streams_mu_;
  std::vector<std::shared_ptr<StreamSubscription>> streams_;
};

// The hub's subscription to the market: marks the change in every shard.
class PriceStreamHub::Relay final : public market::PriceSubscriber {
 public:
  explicit Relay(PriceStreamHub& hub) : hub_(hub) {}
  void OnAssetUpdated(size_t asset_index, market::PriceChange change) override {
    for (auto& fan_out : hub_.fan_outs_)
      fan_out->MarkAsset(asset_index, change);
  }
  void OnRateUpdated(market::RatePair rate,
                     market::PriceChange change) override {
    for (auto& fan_out : hub_.fan_outs_) fan_out->MarkRate(rate, change);
  }

 private:
  PriceStreamHub& hub_;
};

PriceStreamHub::PriceStreamHub(market::MarketState& market, PriceCache& prices,
                               PriceStreamOptions options)
    : market_(market), prices_(prices), options_(options) {
  for (int i = 0; i < std::max(1, options_.fan_out_threads); ++i) {
    fan_outs_.push_back(std::make_unique<FanOut>(market_.assets().size(),
                                                 options_.statistics_hold));
  }
  relay_ = std::make_shared<Relay>(*this);
}

PriceStreamHub::~PriceStreamHub() { Stop(); }

void PriceStreamHub::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  for (auto& fan_out : fan_outs_) fan_out->StartThread();
  market_.broadcaster().Subscribe(relay_);
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
  market_.broadcaster().Unsubscribe(relay_.get());
  for (auto& fan_out : fan_outs_) fan_out->StopThread();
  ForEachStream([](StreamSubscription& stream) {
    stream.End(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
  });
}

void PriceStreamHub::Add(std::shared_ptr<StreamSubscription> subscription) {
  // Round robin keeps the shards within one stream of each other on
  // average; streams that end unevenly only skew it a little.
  const size_t shard = next_fan_out_.fetch_add(1) % fan_outs_.size();
  fan_outs_[shard]->Add(std::move(subscription));
}

void PriceStreamHub::Remove(const StreamSubscription* subscription) {
  for (auto& fan_out : fan_outs_) fan_out->Remove(subscription);
}

void PriceStreamHub::ForEachStream(
    const std::function<void(StreamSubscription&)>& fn) {
  for (auto& fan_out : fan_outs_) fan_out->ForEach(fn);
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
    ForEachStream(
        [now](StreamSubscription& stream) { stream.MaybeHeartbeat(now); });
    lock.lock();
  }
}

}  // namespace cryptotracker::pricing::stream
