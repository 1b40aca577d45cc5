#ifndef CRYPTOTRACKER_USER_DOMAIN_PASSWORD_HASHER_H_
#define CRYPTOTRACKER_USER_DOMAIN_PASSWORD_HASHER_H_

#include <memory>
#include <semaphore>
#include <string>
#include <string_view>

namespace cryptotracker::user::domain {

// Argon2id password hashing (libsodium crypto_pwhash_str), stored in the
// self-describing PHC string form "$argon2id$v=19$m=...,t=...,p=1$salt$hash",
// so that the cost can be raised later without invalidating stored hashes.
//
// Thread-safe. Each hash holds `memlimit` bytes while it runs, so the number
// of hashes running at once is bounded: a burst of sign-ins then queues
// instead of exhausting the container's memory.
class PasswordHasher {
 public:
  struct Cost {
    unsigned long long opslimit;
    size_t memlimit;
  };

  // libsodium's INTERACTIVE limits (2 passes over 64 MiB, roughly 50-150 ms
  // on one core). They are the documented choice for online logins: strong
  // enough against offline guessing while keeping sign-in latency and the
  // per-request memory of a small pod reasonable. MODERATE (256 MiB, ~0.7 s)
  // would let a handful of concurrent logins exhaust a 1 GiB container.
  static Cost InteractiveCost();
  // The smallest cost libsodium allows. For tests only: fast, not secure.
  static Cost MinimumCostForTests();

  // `max_concurrent_hashes` <= 0 means one per hardware thread.
  explicit PasswordHasher(Cost cost = InteractiveCost(),
                          int max_concurrent_hashes = 0);
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;
  ~PasswordHasher();

  // A new salted hash of `password`. Throws std::runtime_error when the
  // memory for hashing cannot be had.
  std::string Hash(std::string_view password) const;

  // True when `password` matches `stored_hash`. A malformed stored hash is a
  // mismatch, never an error.
  bool Verify(std::string_view stored_hash, std::string_view password) const;

  // Spends the same time as Verify against a real hash and returns nothing.
  // Called when the email is unknown, so that response time does not reveal
  // which emails have accounts.
  void VerifyAgainstDummy(std::string_view password) const;

  // True when `stored_hash` was made with other parameters than this
  // hasher's, so it should be replaced after the next successful sign-in.
  bool NeedsRehash(std::string_view stored_hash) const;

 private:
  // RAII slot of the concurrency limit.
  class Slot;

  Cost cost_;
  std::unique_ptr<std::counting_semaphore<>> slots_;
  std::string dummy_hash_;
};

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_PASSWORD_HASHER_H_
