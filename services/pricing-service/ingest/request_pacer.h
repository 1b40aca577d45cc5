// Spaces requests to an exchange so that their weight stays within a budget
// per minute (Binance counts the weight of every REST request per IP per
// minute and answers 429, then bans, beyond its limit).
#ifndef CRYPTOTRACKER_PRICING_INGEST_REQUEST_PACER_H_
#define CRYPTOTRACKER_PRICING_INGEST_REQUEST_PACER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cryptotracker::pricing::ingest {

// Thread-safe. Requests are spaced evenly rather than sent in bursts: a
// request of weight w waits until w / budget of a minute has passed since
// the previous one's slot, so no minute ever holds more than the budget.
class RequestPacer {
 public:
  using Clock = std::chrono::steady_clock;

  // `weight_per_minute` > 0.
  explicit RequestPacer(int weight_per_minute);

  // Blocks until a request of `weight` may go; false (at once) after
  // Shutdown().
  bool Acquire(int weight);

  // How long a request of `weight` asked for at `now` would wait, and
  // reserves its slot; the clock-free core of Acquire, for tests.
  Clock::duration Reserve(int weight, Clock::time_point now);

  // Wakes every waiter; later calls fail.
  void Shutdown();

 private:
  const Clock::duration per_weight_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool shut_down_ = false;
  // The earliest moment the next request may go.
  Clock::time_point next_slot_{};
};

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_REQUEST_PACER_H_
