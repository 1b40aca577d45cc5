#include "services/common/db.h"

#include <algorithm>
#include <random>
#include <thread>

#include "services/common/logging.h"

namespace cryptotracker::common {

ConnectionPool::ConnectionPool(std::string connection_string, int size,
                               std::chrono::milliseconds acquire_timeout)
    : connection_string_(std::move(connection_string)),
      size_(std::max(1, size)),
      acquire_timeout_(acquire_timeout) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

void ConnectionPool::Lease::Discard() {
  if (conn_ == nullptr) return;
  conn_.reset();
  pool_->Forget();
}

ConnectionPool::Lease ConnectionPool::Acquire(
    std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool ready = available_.wait_for(
      lock, timeout, [&] { return !idle_.empty() || open_ < size_; });
  if (!ready) {
    throw PoolTimeout("no database connection became free within " +
                      std::to_string(timeout.count()) + " ms");
  }
  if (!idle_.empty()) {
    std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  // Reserve the slot, then connect without holding the lock: connecting can
  // take up to the connect timeout and must not stall other callers.
  ++open_;
  lock.unlock();
  try {
    auto conn = std::make_unique<pqxx::connection>(connection_string_);
    return Lease(this, std::move(conn));
  } catch (...) {
    Forget();
    throw;
  }
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  available_.notify_one();
}

void ConnectionPool::Forget() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
  }
  available_.notify_one();
}

void ConnectionPool::DropIdle() {
  std::vector<std::unique_ptr<pqxx::connection>> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stale.swap(idle_);
    open_ -= static_cast<int>(stale.size());
  }
  available_.notify_all();
  // `stale` closes outside the lock.
}

int ConnectionPool::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

bool ConnectionPool::IsConnectionFailure(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::in_doubt_error&) {
    return false;  // handled by the caller's commit_started logic
  } catch (const pqxx::broken_connection&) {
    return true;
  } catch (const pqxx::sql_error& e) {
    return internal::IsConnectionLoss(e);
  } catch (...) {
    return false;
  }
}

bool ConnectionPool::IsRollbackRetryable(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const pqxx::serialization_failure&) {
    return true;
  } catch (const pqxx::deadlock_detected&) {
    return true;
  } catch (...) {
    return false;
  }
}

void ConnectionPool::Backoff(int attempt) {
  // 100 ms, 400 ms, ... with +-25% jitter so that replicas retrying after the
  // same outage do not stampede in lockstep.
  thread_local std::mt19937 engine{std::random_device{}()};
  double base_ms = 100.0;
  for (int i = 1; i < attempt; ++i) base_ms *= 4;
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  std::this_thread::sleep_for(std::chrono::microseconds(
      static_cast<long>(base_ms * jitter(engine) * 1000)));
}

void ConnectionPool::LogRetry(int attempt, std::exception_ptr error) {
  std::string what = "unknown";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  LogWarn("retrying database transaction",
          {{"attempt", attempt}, {"error", what}});
}

bool ConnectionPool::Ping() {
  try {
    Lease lease = Acquire(std::chrono::seconds(1));
    try {
      pqxx::read_transaction tx(*lease);
      tx.exec("SET LOCAL statement_timeout = 2000");
      const bool ok = tx.exec1("SELECT 1")[0].as<int>() == 1;
      tx.commit();
      return ok;
    } catch (...) {
      if (IsConnectionFailure(std::current_exception()) ||
          !(*lease).is_open()) {
        lease.Discard();
        DropIdle();
      }
      throw;
    }
  } catch (const std::exception& e) {
    LogWarn("database ping failed", {{"error", e.what()}});
    return false;
  }
}

}  // namespace cryptotracker::common
