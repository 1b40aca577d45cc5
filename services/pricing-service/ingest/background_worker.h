// A single background thread for the slow work of the live ingest (history
// backfill, gap repair, catalogue refresh, the status log) that must never
// run on the exchange stream's network thread.
#ifndef CRYPTOTRACKER_PRICING_INGEST_BACKGROUND_WORKER_H_
#define CRYPTOTRACKER_PRICING_INGEST_BACKGROUND_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace cryptotracker::pricing::ingest {

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

  int64_t failures() const { return failures_.load(); }

 private:
  void Loop();

  std::mutex mu_;
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

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_BACKGROUND_WORKER_H_
