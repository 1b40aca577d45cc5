#include "services/user-service/storage/user_repository.h"

#include <pqxx/pqxx>

namespace cryptotracker::user::storage {
namespace {

// Columns read into a UserRecord, in ReadUser's order. Times travel as whole
// microseconds since the epoch, PostgreSQL's own precision.
constexpr const char* kUserColumns =
    "id::text, email, display_name, password_hash, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, "
    "(extract(epoch FROM updated_at) * 1000000)::bigint";

std::string UserQuery(const std::string& prefix, const std::string& suffix) {
  return prefix + kUserColumns + suffix;
}

std::chrono::system_clock::time_point FromMicros(int64_t micros) {
  return std::chrono::system_clock::time_point(
      std::chrono::microseconds(micros));
}

UserRecord ReadUser(const pqxx::row& row) {
  UserRecord user;
  user.id = row[0].as<std::string>();
  user.email = row[1].as<std::string>();
  user.display_name = row[2].as<std::string>();
  user.password_hash = row[3].as<std::string>();
  user.created_at = FromMicros(row[4].as<int64_t>());
  user.updated_at = FromMicros(row[5].as<int64_t>());
  return user;
}

std::optional<UserRecord> FirstUser(const pqxx::result& result) {
  if (result.empty()) return std::nullopt;
  return ReadUser(result[0]);
}

int64_t Seconds(std::chrono::seconds duration) { return duration.count(); }

// Expired tokens stay for a day so that a late replay is still answered as
// "expired" in logs; after that they are purged in small batches piggybacked
// on sign-ins, so no separate job is needed and no purge holds long locks.
constexpr const char* kPurgeExpiredTokens =
    "DELETE FROM refresh_tokens WHERE id IN ("
    "  SELECT id FROM refresh_tokens"
    "  WHERE expires_at < now() - interval '1 day'"
    "  LIMIT 100 FOR UPDATE SKIP LOCKED)";

}  // namespace

std::optional<UserRecord> UserRepository::CreateUser(
    const std::string& email, const std::string& display_name,
    const std::string& password_hash) {
  // ON CONFLICT DO NOTHING lets the unique index arbitrate atomically: no
  // check-then-insert race, and no aborted transaction to recover from.
  return pool_.WithTransaction([&](pqxx::work& tx) {
    return FirstUser(tx.exec_params(
        UserQuery("INSERT INTO users (email, display_name, password_hash) "
                  "VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING "
                  "RETURNING ",
                  ""),
        email, display_name, password_hash));
  });
}

std::optional<UserRecord> UserRepository::FindUserByEmail(
    const std::string& email) {
  return pool_.WithReadOnly([&](pqxx::read_transaction& tx) {
    return FirstUser(tx.exec_params(
        UserQuery("SELECT ", " FROM users WHERE email = $1"), email));
  });
}

std::optional<UserRecord> UserRepository::FindUserById(
    const std::string& user_id) {
  return pool_.WithReadOnly([&](pqxx::read_transaction& tx) {
    return FirstUser(tx.exec_params(
        UserQuery("SELECT ", " FROM users WHERE id = $1::uuid"), user_id));
  });
}

std::optional<UserRecord> UserRepository::UpdateDisplayName(
    const std::string& user_id, const std::string& display_name) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    // updated_at only moves when the name really changes.
    return FirstUser(tx.exec_params(
        UserQuery("UPDATE users SET display_name = $2, updated_at = CASE "
                  "WHEN display_name = $2 THEN updated_at ELSE now() END "
                  "WHERE id = $1::uuid RETURNING ",
                  ""),
        user_id, display_name));
  });
}

bool UserRepository::ChangePassword(const std::string& user_id,
                                    const std::string& expected_hash,
                                    const std::string& new_hash) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    const pqxx::result updated = tx.exec_params(
        "UPDATE users SET password_hash = $3, password_changed_at = now(), "
        "updated_at = now() WHERE id = $1::uuid AND password_hash = $2",
        user_id, expected_hash, new_hash);
    if (updated.affected_rows() != 1) return false;
    tx.exec_params(
        "UPDATE refresh_tokens SET revoked_at = now(), "
        "revoke_reason = 'password_changed' "
        "WHERE user_id = $1::uuid AND revoked_at IS NULL",
        user_id);
    return true;
  });
}

void UserRepository::UpgradePasswordHash(const std::string& user_id,
                                         const std::string& expected_hash,
                                         const std::string& new_hash) {
  pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_params(
        "UPDATE users SET password_hash = $3 "
        "WHERE id = $1::uuid AND password_hash = $2",
        user_id, expected_hash, new_hash);
  });
}

std::string UserRepository::StartTokenFamily(const std::string& user_id,
                                             const NewRefreshToken& token) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec(kPurgeExpiredTokens);
    return tx
        .exec_params1(
            "INSERT INTO refresh_tokens (user_id, family_id, token_hash, "
            "expires_at, client_address) "
            "VALUES ($1::uuid, gen_random_uuid(), $2, "
            "now() + $3 * interval '1 second', NULLIF($4, '')) "
            "RETURNING family_id::text",
            user_id, token.token_hash, Seconds(token.time_to_live),
            token.client_address)[0]
        .as<std::string>();
  });
}

RotationResult UserRepository::RotateRefreshToken(
    const std::string& presented_hash, const NewRefreshToken& replacement) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    RotationResult result;
    // The row lock serialises concurrent presentations of one token: the
    // second one sees used_at set and is treated as a replay.
    const pqxx::result found = tx.exec_params(
        "SELECT id::text, user_id::text, family_id::text, "
        "used_at IS NOT NULL, revoked_at IS NOT NULL, expires_at <= now() "
        "FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        presented_hash);
    if (found.empty()) {
      result.outcome = RotationOutcome::kUnknown;
      return result;
    }
    const pqxx::row row = found[0];
    const std::string token_id = row[0].as<std::string>();
    result.user_id = row[1].as<std::string>();
    result.family_id = row[2].as<std::string>();
    const bool used = row[3].as<bool>();
    const bool revoked = row[4].as<bool>();
    const bool expired = row[5].as<bool>();

    if (used || revoked) {
      // Committed even though the caller's request fails: whoever holds the
      // other copy of this family must be signed out too.
      tx.exec_params(
          "UPDATE refresh_tokens SET revoked_at = now(), "
          "revoke_reason = 'reuse_detected' "
          "WHERE family_id = $1::uuid AND revoked_at IS NULL",
          result.family_id);
      result.outcome = RotationOutcome::kFamilyRevoked;
      result.was_replayed = used;
      return result;
    }
    if (expired) {
      result.outcome = RotationOutcome::kExpired;
      return result;
    }
    tx.exec_params(
        "UPDATE refresh_tokens SET used_at = now() WHERE id = $1::uuid",
        token_id);
    tx.exec_params(
        "INSERT INTO refresh_tokens (user_id, family_id, parent_id, "
        "token_hash, expires_at, client_address) "
        "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, "
        "now() + $5 * interval '1 second', NULLIF($6, ''))",
        result.user_id, result.family_id, token_id, replacement.token_hash,
        Seconds(replacement.time_to_live), replacement.client_address);
    result.outcome = RotationOutcome::kRotated;
    return result;
  });
}

bool UserRepository::RevokeFamilyOfToken(const std::string& token_hash) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    const pqxx::result family = tx.exec_params(
        "SELECT family_id::text FROM refresh_tokens WHERE token_hash = $1",
        token_hash);
    if (family.empty()) return false;
    tx.exec_params(
        "UPDATE refresh_tokens SET revoked_at = now(), "
        "revoke_reason = 'logout' "
        "WHERE family_id = $1::uuid AND revoked_at IS NULL",
        family[0][0].as<std::string>());
    return true;
  });
}

int64_t UserRepository::CountActiveRefreshTokens(const std::string& user_id) {
  return pool_.WithReadOnly([&](pqxx::read_transaction& tx) {
    return tx
        .exec_params1(
            "SELECT count(*) FROM refresh_tokens WHERE user_id = $1::uuid "
            "AND revoked_at IS NULL AND used_at IS NULL "
            "AND expires_at > now()",
            user_id)[0]
        .as<int64_t>();
  });
}

LoginFailureCounts UserRepository::CountRecentLoginFailures(
    const std::string& account_key, const std::string& address_key,
    std::chrono::seconds window) {
  return pool_.WithReadOnly([&](pqxx::read_transaction& tx) {
    const pqxx::row row = tx.exec_params1(
        "SELECT "
        "  (SELECT count(*) FROM login_failures WHERE key_kind = 'account' "
        "   AND key = $1 AND occurred_at > now() - $3 * interval '1 second'), "
        "  (SELECT count(*) FROM login_failures WHERE key_kind = 'address' "
        "   AND key = $2 AND occurred_at > now() - $3 * interval '1 second')",
        account_key, address_key, Seconds(window));
    return LoginFailureCounts{row[0].as<int64_t>(), row[1].as<int64_t>()};
  });
}

void UserRepository::RecordLoginFailure(const std::string& account_key,
                                        const std::string& address_key,
                                        std::chrono::seconds window) {
  pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO login_failures (key_kind, key) "
        "VALUES ('account', $1), ('address', $2)",
        account_key, address_key);
    tx.exec_params(
        "DELETE FROM login_failures WHERE id IN ("
        "  SELECT id FROM login_failures"
        "  WHERE occurred_at < now() - $1 * interval '1 second'"
        "  LIMIT 1000 FOR UPDATE SKIP LOCKED)",
        Seconds(window));
  });
}

void UserRepository::ClearAccountLoginFailures(const std::string& account_key) {
  pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_params(
        "DELETE FROM login_failures WHERE key_kind = 'account' AND key = $1",
        account_key);
  });
}

}  // namespace cryptotracker::user::storage
