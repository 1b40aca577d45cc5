#include "services/pricing-service/stream/conflating_outbox.h"

namespace cryptotracker::pricing::stream {

ConflatingOutbox::ConflatingOutbox(size_t key_count)
    : pending_(key_count, false) {}

std::optional<size_t> ConflatingOutbox::Push(size_t key) {
  if (key >= pending_.size()) return std::nullopt;
  if (!busy_) {
    busy_ = true;
    return key;
  }
  if (pending_[key]) return std::nullopt;
  pending_[key] = true;
  queue_.push_back(key);
  return std::nullopt;
}

std::optional<size_t> ConflatingOutbox::PushHeartbeatIfIdle() {
  if (busy_ || !queue_.empty()) return std::nullopt;
  busy_ = true;
  return kHeartbeat;
}

std::optional<size_t> ConflatingOutbox::WriteDone() {
  if (queue_.empty()) {
    busy_ = false;
    return std::nullopt;
  }
  const size_t key = queue_.front();
  queue_.pop_front();
  pending_[key] = false;
  return key;
}

}  // namespace cryptotracker::pricing::stream
