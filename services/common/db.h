// PostgreSQL connection pool (libpqxx 6.4) that survives database restarts.
//
//   ConnectionPool pool(db_config.ConnectionString(), db_config.pool_size);
//   std::string id = pool.WithTransaction([&](pqxx::work& tx) {
//     return tx.exec_params1("INSERT INTO users (email) VALUES ($1) RETURNING
//     id",
//                            email)[0].as<std::string>();
//   });
//
// The transaction body may run more than once (see WithTransaction), so it
// must not have side effects outside the transaction (no RPCs, no counters).
#ifndef CRYPTOTRACKER_SERVICES_COMMON_DB_H_
#define CRYPTOTRACKER_SERVICES_COMMON_DB_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "services/common/errors.h"

namespace cryptotracker::common {

// No connection became free within the pool's acquire timeout.
class PoolTimeout : public UnavailableError {
 public:
  using UnavailableError::UnavailableError;
};

class ConnectionPool {
 public:
  static constexpr int kMaxAttempts = 3;

  // Connects lazily; never throws on construction (a database that is down at
  // start-up only makes calls fail until it is back).
  ConnectionPool(
      std::string connection_string, int size,
      std::chrono::milliseconds acquire_timeout = std::chrono::seconds(5));
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs fn(pqxx::work&) on a pooled connection and commits. Broken
  // connections are discarded and re-opened; fn is retried (up to
  // kMaxAttempts with backoff) ONLY when the connection broke before commit or
  // on serialization failure / deadlock, so it is always the whole transaction
  // that is retried. A connection lost during COMMIT (outcome unknown) is not
  // retried: pqxx::in_doubt_error propagates. Other exceptions propagate
  // unchanged. Throws PoolTimeout when no connection is free in time.
  template <class Fn>
  auto WithTransaction(Fn&& fn) -> std::invoke_result_t<Fn, pqxx::work&> {
    return Run<pqxx::work>(fn);
  }

  // Like WithTransaction with a READ ONLY transaction (never commits data).
  template <class Fn>
  auto WithReadOnly(Fn&& fn)
      -> std::invoke_result_t<Fn, pqxx::read_transaction&> {
    return Run<pqxx::read_transaction>(fn);
  }

  // For a single statement that writes nothing: runs
  // fn(pqxx::nontransaction&) without BEGIN and COMMIT (the statement is its
  // own transaction), two round trips fewer than WithReadOnly. Same retry
  // rules.
  template <class Fn>
  auto WithSingleRead(Fn&& fn)
      -> std::invoke_result_t<Fn, pqxx::nontransaction&> {
    return Run<pqxx::nontransaction>(fn);
  }

  // SELECT 1 with a short timeout; for health/readiness checks. Never throws.
  bool Ping();

  int size() const { return size_; }
  // Connections currently open (idle or leased); for tests and metrics.
  int open_connections() const;

 private:
  // A leased connection; goes back to the pool unless discarded.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    void Discard();

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  Lease Acquire(std::chrono::milliseconds timeout);
  void Release(std::unique_ptr<pqxx::connection> conn);
  void Forget();    // a leased connection was discarded
  void DropIdle();  // after a connection failure: idle ones are likely stale
  // The connection died (or could not be opened), so nothing was committed
  // unless COMMIT itself was under way.
  static bool IsConnectionFailure(std::exception_ptr error);
  // Serialization failure or deadlock: the server rolled back.
  static bool IsRollbackRetryable(std::exception_ptr error);
  static void Backoff(int attempt);
  static void LogRetry(int attempt, std::exception_ptr error);

  template <class Tx, class Fn>
  auto Run(Fn& fn) -> std::invoke_result_t<Fn, Tx&> {
    using Result = std::invoke_result_t<Fn, Tx&>;
    for (int attempt = 1;; ++attempt) {
      bool commit_started = false;
      try {
        Lease lease = Acquire(acquire_timeout_);
        try {
          Tx tx(*lease);
          if constexpr (std::is_void_v<Result>) {
            fn(tx);
            commit_started = true;
            tx.commit();
            return;
          } else {
            Result result = fn(tx);
            commit_started = true;
            tx.commit();
            return result;
          }
        } catch (...) {
          const std::exception_ptr error = std::current_exception();
          if (commit_started || IsConnectionFailure(error)) {
            lease.Discard();
            DropIdle();
          } else if (!(*lease).is_open()) {
            lease.Discard();
          }
          throw;
        }
      } catch (...) {
        const std::exception_ptr error = std::current_exception();
        // A connection lost during COMMIT may or may not have committed:
        // running the body again could apply it twice, so never retry then.
        const bool retryable = IsRollbackRetryable(error) ||
                               (!commit_started && IsConnectionFailure(error));
        if (!retryable || attempt >= kMaxAttempts) throw;
        LogRetry(attempt, error);
      }
      Backoff(attempt);
    }
  }

  const std::string connection_string_;
  const int size_;
  const std::chrono::milliseconds acquire_timeout_;
  mutable std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // idle + leased + being opened
};

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_DB_H_
