// Versioned SQL schema migrations, safe to run from several replicas at once.
//
// Migrations normally come from `cc_sql_migrations` (bazel/embed.bzl), which
// embeds `migrations/NNNN_name.sql` files into the binary.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_MIGRATIONS_H_
#define CRYPTOTRACKER_SERVICES_COMMON_MIGRATIONS_H_

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/db.h"

namespace cryptotracker::common {

struct Migration {
  int version;       // > 0, unique, applied in ascending order
  std::string name;  // e.g. "create_users"
  // May hold several statements. Runs inside a transaction, so it must not
  // use statements that refuse to (CREATE INDEX CONCURRENTLY, VACUUM) or
  // contain its own BEGIN/COMMIT.
  std::string sql;
};

// The database is not in a state this binary may run against (a changed
// migration, a newer schema) or the migration list itself is invalid.
class MigrationError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// Hex SHA-256 of a migration's SQL, as stored in schema_migrations.checksum.
std::string MigrationChecksum(std::string_view sql);

// MigrationChecksum of each migration's SQL, by version.
using MigrationChecksums = std::map<int, std::string>;
MigrationChecksums ChecksumsOf(const std::vector<Migration>& migrations);

// Brings the schema up to date. Keeps `schema_migrations(version int primary
// key, name text, applied_at timestamptz, checksum text)`; every migration
// runs in its own transaction holding pg_advisory_xact_lock(hash of
// `service`), so replicas starting together apply each version exactly once.
// Throws MigrationError (refusing to start) when an applied migration's
// checksum differs from the binary's or the database has a version this
// binary does not know (it is older than the schema). SQL errors propagate.
void ApplyMigrations(ConnectionPool& pool, std::string_view service,
                     const std::vector<Migration>& migrations);

// ApplyMigrations for a service starting up: a database that is still
// starting (a fresh pod, a local stack) is waited for, up to `attempts`
// tries `delay` apart; a MigrationError (a schema this binary must not run
// against) is thrown at once.
void ApplyMigrationsWithRetry(
    ConnectionPool& pool, std::string_view service,
    const std::vector<Migration>& migrations, int attempts = 30,
    std::chrono::milliseconds delay = std::chrono::seconds(2));

// True when every migration is applied with a matching checksum and the
// database has no unknown version. For readiness checks; throws on DB errors.
// A probe runs every few seconds for the life of the process, so it should
// pass checksums computed once at start-up (ChecksumsOf) rather than the
// migrations, whose SQL the second form hashes on every call.
bool MigrationsUpToDate(ConnectionPool& pool,
                        const MigrationChecksums& expected);
bool MigrationsUpToDate(ConnectionPool& pool,
                        const std::vector<Migration>& migrations);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_MIGRATIONS_H_
