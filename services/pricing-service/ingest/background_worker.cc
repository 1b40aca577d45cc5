#include "services/pricing-service/ingest/background_worker.h"

#include <exception>
#include <utility>

#include "services/common/logging.h"

namespace cryptotracker::pricing::ingest {

BackgroundWorker::BackgroundWorker() : thread_([this] { Loop(); }) {}

BackgroundWorker::~BackgroundWorker() { Stop(); }

void BackgroundWorker::PostAt(Clock::time_point due, std::string name,
                              std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    tasks_.emplace(std::make_pair(due, next_sequence_++),
                   std::make_pair(std::move(name), std::move(task)));
  }
  wake_.notify_one();
}

void BackgroundWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void BackgroundWorker::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto due = tasks_.begin()->first.first;
    if (Clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto node = tasks_.extract(tasks_.begin());
    std::string name = std::move(node.mapped().first);
    std::function<void()> task = std::move(node.mapped().second);
    lock.unlock();
    try {
      task();
    } catch (const std::exception& error) {
      failures_.fetch_add(1);
      common::LogWarn("background task failed",
                      {{"task", name}, {"error", error.what()}});
    }
    lock.lock();
  }
}

}  // namespace cryptotracker::pricing::ingest
