// Integration tests: need TEST_DATABASE_URL (see services/common/testing).
#include "services/common/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "services/common/testing/pg_test_db.h"
#include "services/common/testing/test_migrations.h"

namespace cryptotracker::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::PgTestDb;
namespace embedded = testing::test_migrations;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<PgTestDb>("migrations");
    pool_ = std::make_unique<ConnectionPool>(db_->connection_string(), 2);
  }

  std::vector<int> AppliedVersions() {
    return pool_->WithReadOnly([](pqxx::read_transaction& tx) {
      std::vector<int> versions;
      for (const auto& row :
           tx.exec("SELECT version FROM schema_migrations ORDER BY version")) {
        versions.push_back(row[0].as<int>());
      }
      return versions;
    });
  }

  bool TableExists(const std::string& name) {
    return pool_->WithReadOnly([&](pqxx::read_transaction& tx) {
      return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", name)[0]
          .as<bool>();
    });
  }

  std::string MigrationErrorOf(const std::vector<Migration>& migrations) {
    try {
      ApplyMigrations(*pool_, "test", migrations);
    } catch (const MigrationError& e) {
      return e.what();
    }
    return "";
  }

  std::unique_ptr<PgTestDb> db_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(MigrationsTest, AppliesEmbeddedMigrationsInOrder) {
  const MigrationChecksums expected = ChecksumsOf(embedded::Migrations());
  EXPECT_FALSE(MigrationsUpToDate(*pool_, embedded::Migrations()));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, expected));
  ApplyMigrations(*pool_, "test", embedded::Migrations());
  EXPECT_THAT(AppliedVersions(), ElementsAre(1, 2, 10));
  EXPECT_TRUE(MigrationsUpToDate(*pool_, embedded::Migrations()));
  EXPECT_TRUE(MigrationsUpToDate(*pool_, expected));
  // The embedded SQL reached the server byte for byte (quotes, backslash,
  // ")" sequences and UTF-8 included).
  const auto row = pool_->WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1("SELECT body FROM notes")[0].as<std::string>();
  });
  EXPECT_EQ(row, "it's \"quoted\" \\ ok )\" \u20ac");
  const auto stored = pool_->WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1(
        "SELECT name, checksum, applied_at IS NOT NULL FROM schema_migrations "
        "WHERE version = 2");
  });
  EXPECT_EQ(stored[0].as<std::string>(), "add_note_tags");
  EXPECT_EQ(stored[1].as<std::string>(),
            MigrationChecksum(embedded::Migrations()[1].sql));
  EXPECT_TRUE(stored[2].as<bool>());
}

TEST_F(MigrationsTest, SecondRunChangesNothing) {
  ApplyMigrations(*pool_, "test", embedded::Migrations());
  const auto applied_at = [&] {
    return pool_->WithReadOnly([](pqxx::read_transaction& tx) {
      return tx
          .exec1(
              "SELECT string_agg(applied_at::text, ',' ORDER BY version) "
              "FROM schema_migrations")[0]
          .as<std::string>();
    });
  };
  const std::string before = applied_at();
  ApplyMigrations(*pool_, "test", embedded::Migrations());
  EXPECT_EQ(applied_at(), before);
  EXPECT_THAT(AppliedVersions(), ElementsAre(1, 2, 10));
}

TEST_F(MigrationsTest, ConcurrentReplicasApplyEachVersionExactlyOnce) {
  // Each "replica" has its own pool, as separate processes would.
  std::vector<std::thread> replicas;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&] {
      try {
        ConnectionPool pool(db_->connection_string(), 1);
        ApplyMigrations(pool, "test", embedded::Migrations());
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& r : replicas) r.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(AppliedVersions(), ElementsAre(1, 2, 10));
  // Migration 1 inserts a row: applied twice it would have inserted two.
  EXPECT_EQ(pool_->WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1("SELECT count(*) FROM notes")[0].as<int>();
  }),
            1);
}

TEST_F(MigrationsTest, AppliesOnlyWhatIsMissing) {
  std::vector<Migration> first = {embedded::Migrations()[0]};
  ApplyMigrations(*pool_, "test", first);
  EXPECT_THAT(AppliedVersions(), ElementsAre(1));
  EXPECT_TRUE(MigrationsUpToDate(*pool_, first));
  EXPECT_TRUE(MigrationsUpToDate(*pool_, ChecksumsOf(first)));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, embedded::Migrations()));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, ChecksumsOf(embedded::Migrations())));
  ApplyMigrations(*pool_, "test", embedded::Migrations());
  EXPECT_THAT(AppliedVersions(), ElementsAre(1, 2, 10));
}

TEST_F(MigrationsTest, RefusesChangedMigration) {
  ApplyMigrations(*pool_, "test", embedded::Migrations());
  std::vector<Migration> edited = embedded::Migrations();
  edited[1].sql += "\n-- edited later";
  EXPECT_THAT(MigrationErrorOf(edited),
              HasSubstr("migration 2 (add_note_tags) was changed"));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, edited));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, ChecksumsOf(edited)));
}

TEST_F(MigrationsTest, RefusesDatabaseNewerThanBinary) {
  ApplyMigrations(*pool_, "test", embedded::Migrations());
  std::vector<Migration> older(embedded::Migrations().begin(),
                               embedded::Migrations().begin() + 2);
  EXPECT_THAT(MigrationErrorOf(older),
              HasSubstr("database has migration 10 (create_counters)"));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, older));
  EXPECT_FALSE(MigrationsUpToDate(*pool_, ChecksumsOf(older)));
}

TEST_F(MigrationsTest, FailedMigrationLeavesEarlierOnesApplied) {
  std::vector<Migration> migrations = {
      {1, "good", "CREATE TABLE good (id int)"},
      {2, "bad",
       "CREATE TABLE half_done (id int); SELECT * FROM missing_table"},
      {3, "later", "CREATE TABLE later (id int)"},
  };
  EXPECT_THROW(ApplyMigrations(*pool_, "test", migrations), pqxx::sql_error);
  EXPECT_THAT(AppliedVersions(), ElementsAre(1));
  EXPECT_TRUE(TableExists("good"));
  EXPECT_FALSE(TableExists("half_done"));  // rolled back with its migration
  EXPECT_FALSE(TableExists("later"));
}

TEST_F(MigrationsTest, RejectsInvalidMigrationLists) {
  EXPECT_THAT(MigrationErrorOf({{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}}),
              HasSubstr("ascending"));
  EXPECT_THAT(MigrationErrorOf({{1, "a", "SELECT 1"}, {1, "b", "SELECT 1"}}),
              HasSubstr("ascending"));
  EXPECT_THAT(MigrationErrorOf({{0, "zero", "SELECT 1"}}),
              HasSubstr("non-positive"));
}

TEST(MigrationChecksumTest, IsHexSha256) {
  EXPECT_EQ(MigrationChecksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_NE(MigrationChecksum("a"), MigrationChecksum("a "));
}

TEST(MigrationChecksumTest, ChecksumsOfMapsEachVersionToItsChecksum) {
  EXPECT_THAT(ChecksumsOf({}), ::testing::IsEmpty());
  EXPECT_THAT(ChecksumsOf({{1, "a", "SELECT 1"}, {7, "b", ""}}),
              ElementsAre(std::pair(1, MigrationChecksum("SELECT 1")),
                          std::pair(7, MigrationChecksum(""))));
}

}  // namespace
}  // namespace cryptotracker::common
