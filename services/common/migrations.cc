#include "services/common/migrations.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "services/common/digest.h"
#include "services/common/logging.h"

namespace cryptotracker::common {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " checksum text NOT NULL)";

struct AppliedMigration {
  std::string name;
  std::string checksum;
};

void ValidateList(const std::vector<Migration>& migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version <= 0) {
      throw MigrationError("migration '" + m.name +
                           "' has a non-positive version");
    }
    if (i > 0 && m.version <= migrations[i - 1].version) {
      throw MigrationError(
          "migrations must have unique, ascending versions (version " +
          std::to_string(m.version) + " follows " +
          std::to_string(migrations[i - 1].version) + ")");
    }
  }
}

template <class Tx>
std::map<int, AppliedMigration> ReadApplied(Tx& tx) {
  std::map<int, AppliedMigration> applied;
  for (const auto& row :
       tx.exec("SELECT version, name, checksum FROM schema_migrations")) {
    applied[row[0].template as<int>()] = {row[1].template as<std::string>(),
                                          row[2].template as<std::string>()};
  }
  return applied;
}

// Problems that make the database unfit for this binary, or nullopt.
std::optional<std::string> FindMismatch(
    const std::map<int, AppliedMigration>& applied,
    const MigrationChecksums& expected) {
  for (const auto& [version, row] : applied) {
    auto it = expected.find(version);
    if (it == expected.end()) {
      return "database has migration " + std::to_string(version) + " (" +
             row.name +
             ") that this binary does not know; refusing to run an older "
             "binary against a newer schema";
    }
    if (row.checksum != it->second) {
      return "migration " + std::to_string(version) + " (" + row.name +
             ") was changed after it was applied; add a new migration "
             "instead of editing an applied one";
    }
  }
  return std::nullopt;
}

}  // namespace

std::string MigrationChecksum(std::string_view sql) { return Sha256Hex(sql); }

MigrationChecksums ChecksumsOf(const std::vector<Migration>& migrations) {
  MigrationChecksums checksums;
  for (const Migration& m : migrations) {
    checksums[m.version] = MigrationChecksum(m.sql);
  }
  return checksums;
}

void ApplyMigrations(ConnectionPool& pool, std::string_view service,
                     const std::vector<Migration>& migrations) {
  ValidateList(migrations);
  const MigrationChecksums checksums = ChecksumsOf(migrations);
  const std::string lock_name = "schema_migrations:" + std::string(service);
  // One transaction per migration: a failure leaves every earlier migration
  // applied and recorded, and the lock is held only briefly.
  for (;;) {
    const std::optional<int> applied_version =
        pool.WithTransaction([&](pqxx::work& tx) -> std::optional<int> {
          // Serialises replicas of the same service; released at commit.
          tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                         lock_name);
          tx.exec(kCreateTable);
          const auto applied = ReadApplied(tx);
          if (auto mismatch = FindMismatch(applied, checksums)) {
            throw MigrationError(*mismatch);
          }
          for (const Migration& m : migrations) {
            if (applied.count(m.version) != 0) continue;
            tx.exec(m.sql);
            tx.exec_params(
                "INSERT INTO schema_migrations (version, name, checksum) "
                "VALUES ($1, $2, $3)",
                m.version, m.name, checksums.at(m.version));
            return m.version;
          }
          return std::nullopt;
        });
    if (!applied_version) break;
    auto it = std::find_if(
        migrations.begin(), migrations.end(),
        [&](const Migration& m) { return m.version == *applied_version; });
    LogInfo("applied migration", {{"service", service},
                                  {"version", *applied_version},
                                  {"name", it->name}});
  }
}

bool MigrationsUpToDate(ConnectionPool& pool,
                        const MigrationChecksums& expected) {
  return pool.WithReadOnly([&](pqxx::read_transaction& tx) {
    if (tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0]
            .as<bool>() == false) {
      return expected.empty();
    }
    const auto applied = ReadApplied(tx);
    if (FindMismatch(applied, expected)) return false;
    for (const auto& [version, checksum] : expected) {
      if (applied.count(version) == 0) return false;
    }
    return true;
  });
}

bool MigrationsUpToDate(ConnectionPool& pool,
                        const std::vector<Migration>& migrations) {
  return MigrationsUpToDate(pool, ChecksumsOf(migrations));
}

void ApplyMigrationsWithRetry(ConnectionPool& pool, std::string_view service,
                              const std::vector<Migration>& migrations,
                              int attempts, std::chrono::milliseconds delay) {
  for (int attempt = 1;; ++attempt) {
    try {
      ApplyMigrations(pool, service, migrations);
      return;
    } catch (const MigrationError&) {
      throw;
    } catch (const std::exception& error) {
      if (attempt >= attempts) throw;
      LogWarn("database not ready for migrations; retrying",
              {{"attempt", attempt}, {"error", error.what()}});
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace cryptotracker::common
