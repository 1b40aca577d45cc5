// Every SQL statement of user-service. All statements are parameterised; the
// repository holds no state besides the pool, so it is safe to share across
// threads.
#ifndef CRYPTOTRACKER_USER_STORAGE_USER_REPOSITORY_H_
#define CRYPTOTRACKER_USER_STORAGE_USER_REPOSITORY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "services/common/db.h"

namespace cryptotracker::user::storage {

// A row of `users`.
struct UserRecord {
  std::string id;
  std::string email;
  std::string display_name;
  std::string password_hash;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point updated_at;
};

// A refresh token to store. Only its hash is ever written.
struct NewRefreshToken {
  std::string token_hash;
  std::chrono::seconds time_to_live;
  std::string client_address;
};

enum class RotationOutcome {
  // The presented token was spent and the new one stored.
  kRotated,
  // No token has this hash (never issued, or purged after expiry).
  kUnknown,
  // The token was valid but has expired; nothing changed.
  kExpired,
  // The token had already been used or revoked: its whole family has been
  // revoked (and that revocation committed).
  kFamilyRevoked,
};

struct RotationResult {
  RotationOutcome outcome = RotationOutcome::kUnknown;
  // Set for kRotated and kFamilyRevoked.
  std::string user_id;
  std::string family_id;
  // kFamilyRevoked only: true when the token had been used before (a replay),
  // false when it had been revoked (e.g. by logout).
  bool was_replayed = false;
};

// Failed sign-ins within the throttle window.
struct LoginFailureCounts {
  int64_t account = 0;
  int64_t address = 0;
};

class UserRepository {
 public:
  explicit UserRepository(common::ConnectionPool& pool) : pool_(pool) {}

  // Inserts a user. Returns nullopt when the (normalised) email is already
  // taken; the unique index decides, so concurrent registrations of one email
  // cannot both succeed.
  std::optional<UserRecord> CreateUser(const std::string& email,
                                       const std::string& display_name,
                                       const std::string& password_hash);

  std::optional<UserRecord> FindUserByEmail(const std::string& email);
  // `user_id` must be a canonical UUID (see domain::IsCanonicalUuid).
  std::optional<UserRecord> FindUserById(const std::string& user_id);

  // Sets the display name; nullopt when the user no longer exists.
  std::optional<UserRecord> UpdateDisplayName(const std::string& user_id,
                                              const std::string& display_name);

  // Replaces the password hash if it still is `expected_hash` (so a
  // concurrent change is never silently overwritten) and, in the same
  // transaction, revokes every refresh token of the user. False when the
  // user is gone or the hash changed meanwhile.
  bool ChangePassword(const std::string& user_id,
                      const std::string& expected_hash,
                      const std::string& new_hash);

  // Upgrades a hash made with an older cost after a successful sign-in.
  // Sessions are kept; a concurrent change wins.
  void UpgradePasswordHash(const std::string& user_id,
                           const std::string& expected_hash,
                           const std::string& new_hash);

  // Stores the first token of a new family (a sign-in). Also purges a bounded
  // batch of long-expired tokens. Returns the family id.
  std::string StartTokenFamily(const std::string& user_id,
                               const NewRefreshToken& token);

  // Spends the token with `presented_hash` and stores `replacement` in its
  // family, in one transaction holding the token's row lock. A token already
  // used or revoked revokes its whole family instead (reuse detection).
  RotationResult RotateRefreshToken(const std::string& presented_hash,
                                    const NewRefreshToken& replacement);

  // Revokes the family of the token with `token_hash` (logout). Returns false
  // when no such token exists; revoking an already revoked family is a no-op.
  bool RevokeFamilyOfToken(const std::string& token_hash);

  // Active (not revoked, not expired, not used) refresh tokens of a user.
  int64_t CountActiveRefreshTokens(const std::string& user_id);

  LoginFailureCounts CountRecentLoginFailures(const std::string& account_key,
                                              const std::string& address_key,
                                              std::chrono::seconds window);
  // Records one failure for both keys and purges a bounded batch of rows
  // older than `window`.
  void RecordLoginFailure(const std::string& account_key,
                          const std::string& address_key,
                          std::chrono::seconds window);
  // Forgets the account's failures (after a successful sign-in). The
  // address's failures are kept: one good password must not launder a spray.
  void ClearAccountLoginFailures(const std::string& account_key);

 private:
  common::ConnectionPool& pool_;
};

}  // namespace cryptotracker::user::storage

#endif  // CRYPTOTRACKER_USER_STORAGE_USER_REPOSITORY_H_
