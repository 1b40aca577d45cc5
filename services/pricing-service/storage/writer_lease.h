// One writer per pair across the service's replicas.
//
// Every replica receives the exchange's stream and records candles, but a
// replica that missed trades (a reconnect) would overwrite a complete
// candle with a partial one, so only one replica at a time writes the
// candles (and, through them, the roll-ups) of a pair. The right to write a
// pair is a session-level PostgreSQL advisory lock, keyed by the pair's
// name, held on a connection of its own (not the pool's, whose sessions
// come and go): whoever holds the lock writes. A replica that stops
// gracefully closes the connection; a killed one's connection closes with
// its process, and PostgreSQL ends the session and frees its locks at once
// (a host that vanishes is noticed by the TCP keepalives of the connection
// string). The other replicas try the locks they do not hold every renew
// interval, so one of them takes over within about a second.
//
// Each renewal also proves the session is alive: a renewal that fails
// (database down, connection lost) gives up every lock on this side at
// once, and the next one reconnects. The gap that remains is the time
// between the database ending a session it considers dead and the holder
// noticing, at most one renew interval, during which both replicas may
// write a pair; both write the same exchange's candles, and a klines candle
// is never replaced by a trades one, so the cost is bounded.
//
// Thread-safe: Holds() is called by the recorder's flush thread while the
// renew thread updates what is held.
#ifndef CRYPTOTRACKER_PRICING_STORAGE_WRITER_LEASE_H_
#define CRYPTOTRACKER_PRICING_STORAGE_WRITER_LEASE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace cryptotracker::pricing::storage {

struct WriterLeaseOptions {
  // How often the locks not held are tried and the session checked.
  std::chrono::milliseconds renew_interval{std::chrono::seconds(1)};
};

class PairWriterLease {
 public:
  // Leases for `pairs`, on connections to `connection_string`. Nothing is
  // held until the first Renew() (or Start()).
  PairWriterLease(std::string connection_string, std::vector<std::string> pairs,
                  WriterLeaseOptions options = {});
  ~PairWriterLease();  // Stop()
  PairWriterLease(const PairWriterLease&) = delete;
  PairWriterLease& operator=(const PairWriterLease&) = delete;

  // Renews now, then every renew interval on a thread of its own.
  void Start();
  // Stops renewing and closes the connection, which frees every lock held.
  // Idempotent.
  void Stop();

  // One renewal: connects if needed, tries the locks not held, and confirms
  // the session of the ones held. Returns the number of pairs held after it
  // (0 when the database could not be reached; the error is logged).
  size_t Renew();

  // Whether this process may write `pair` now.
  bool Holds(std::string_view pair) const;
  size_t held_count() const;

 private:
  void RenewLoop();
  void Release();

  const std::string connection_string_;
  const std::vector<std::string> pairs_;
  const WriterLeaseOptions options_;

  std::mutex renew_mu_;  // one renewal at a time; guards connection_
  std::unique_ptr<pqxx::connection> connection_;

  mutable std::mutex held_mu_;
  absl::flat_hash_set<std::string> held_;

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cryptotracker::pricing::storage

#endif  // CRYPTOTRACKER_PRICING_STORAGE_WRITER_LEASE_H_
