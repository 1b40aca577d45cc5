// The pending messages of one stream subscriber, conflated per key.
//
// A subscriber has at most one write in flight. While it is, further changes
// only mark their key (an asset index) as pending; a key that is already
// pending is not queued again. When the write completes, the oldest pending
// key is written next, rendered from the newest state at that moment. So a
// slow client receives the latest price of every symbol that changed,
// memory per subscriber is bounded by the number of keys, and a fast client
// receives every change.
//
// Not thread-safe: the owner serialises calls (the stream's mutex).
#ifndef CRYPTOTRACKER_PRICING_STREAM_CONFLATING_OUTBOX_H_
#define CRYPTOTRACKER_PRICING_STREAM_CONFLATING_OUTBOX_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

namespace cryptotracker::pricing::stream {

class ConflatingOutbox {
 public:
  // The key of a heartbeat message.
  static constexpr size_t kHeartbeat = static_cast<size_t>(-1);

  // Keys are 0 .. key_count - 1.
  explicit ConflatingOutbox(size_t key_count);

  // Records a change of `key` (must be < key_count). When no write is in
  // flight, the outbox becomes busy and returns the key to write now;
  // otherwise it returns nullopt and the key waits (once, however often it
  // changes).
  std::optional<size_t> Push(size_t key);

  // When idle with nothing pending, becomes busy and returns kHeartbeat;
  // otherwise nullopt (a stream that is writing needs no heartbeat).
  std::optional<size_t> PushHeartbeatIfIdle();

  // The write in flight finished. Returns the next key to write (staying
  // busy), or nullopt and becomes idle.
  std::optional<size_t> WriteDone();

  bool busy() const { return busy_; }

 private:
  std::vector<bool> pending_;
  std::deque<size_t> queue_;
  bool busy_ = false;
};

}  // namespace cryptotracker::pricing::stream

#endif  // CRYPTOTRACKER_PRICING_STREAM_CONFLATING_OUTBOX_H_
