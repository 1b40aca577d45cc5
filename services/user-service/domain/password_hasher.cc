#include "services/user-service/domain/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <thread>

#include "services/user-service/domain/refresh_token.h"

namespace cryptotracker::user::domain {

class PasswordHasher::Slot {
 public:
  explicit Slot(std::counting_semaphore<>& slots) : slots_(slots) {
    slots_.acquire();
  }
  ~Slot() { slots_.release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::counting_semaphore<>& slots_;
};

PasswordHasher::Cost PasswordHasher::InteractiveCost() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE,
          crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordHasher::Cost PasswordHasher::MinimumCostForTests() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

PasswordHasher::PasswordHasher(Cost cost, int max_concurrent_hashes)
    : cost_(cost) {
  EnsureSodiumInitialized();
  if (max_concurrent_hashes <= 0) {
    max_concurrent_hashes =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  slots_ = std::make_unique<std::counting_semaphore<>>(max_concurrent_hashes);
  // The dummy is a hash of random bytes, made with the same cost as real
  // hashes so that verifying against it takes the same time. Nobody knows
  // its password, so it can never match.
  std::array<char, 32> random_password;
  randombytes_buf(random_password.data(), random_password.size());
  dummy_hash_ =
      Hash(std::string_view(random_password.data(), random_password.size()));
  sodium_memzero(random_password.data(), random_password.size());
}

PasswordHasher::~PasswordHasher() = default;

std::string PasswordHasher::Hash(std::string_view password) const {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  {
    Slot slot(*slots_);
    if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                          cost_.opslimit, cost_.memlimit) != 0) {
      throw std::runtime_error("password hashing ran out of memory");
    }
  }
  return std::string(out.data());
}

bool PasswordHasher::Verify(std::string_view stored_hash,
                            std::string_view password) const {
  // crypto_pwhash_str_verify wants a NUL-terminated string of bounded size.
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) {
    return false;
  }
  std::array<char, crypto_pwhash_STRBYTES> terminated{};
  std::copy(stored_hash.begin(), stored_hash.end(), terminated.begin());
  Slot slot(*slots_);
  return crypto_pwhash_str_verify(terminated.data(), password.data(),
                                  password.size()) == 0;
}

void PasswordHasher::VerifyAgainstDummy(std::string_view password) const {
  (void)Verify(dummy_hash_, password);
}

bool PasswordHasher::NeedsRehash(std::string_view stored_hash) const {
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) {
    return true;
  }
  std::array<char, crypto_pwhash_STRBYTES> terminated{};
  std::copy(stored_hash.begin(), stored_hash.end(), terminated.begin());
  // Returns 1 for other parameters and -1 for a malformed hash or another
  // algorithm; both mean "replace it".
  return crypto_pwhash_str_needs_rehash(terminated.data(), cost_.opslimit,
                                        cost_.memlimit) != 0;
}

}  // namespace cryptotracker::user::domain
