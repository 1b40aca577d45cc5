// Integration test: the repository against a real PostgreSQL database.
#include "services/user-service/storage/user_repository.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/db.h"
#include "services/common/migrations.h"
#include "services/common/testing/pg_test_db.h"
#include "services/user-service/domain/refresh_token.h"
#include "services/user-service/migrations.h"

namespace cryptotracker::user::storage {
namespace {

using std::chrono::seconds;

// A syntactically valid Argon2id PHC string; the repository never parses it.
constexpr const char* kHash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA";
constexpr const char* kOtherHash =
    "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$b3RoZXI";

class UserRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<common::testing::PgTestDb>("user_repo");
    pool_ =
        std::make_unique<common::ConnectionPool>(db_->connection_string(), 4);
    common::ApplyMigrations(*pool_, "user-service", migrations::Migrations());
    repository_ = std::make_unique<UserRepository>(*pool_);
  }

  void TearDown() override {
    repository_.reset();
    pool_.reset();
    db_.reset();
  }

  UserRecord MakeUser(const std::string& email) {
    auto user = repository_->CreateUser(email, "Name", kHash);
    EXPECT_TRUE(user.has_value());
    return *user;
  }

  // Issues a refresh token of a new family; returns the token's hash.
  std::string SignIn(const UserRecord& user) {
    const std::string hash =
        domain::HashRefreshToken(domain::GenerateRefreshToken());
    repository_->StartTokenFamily(user.id, {hash, seconds(3600), "192.0.2.1"});
    return hash;
  }

  static NewRefreshToken FreshToken() {
    return {domain::HashRefreshToken(domain::GenerateRefreshToken()),
            seconds(3600), "192.0.2.1"};
  }

  void Exec(const std::string& sql) {
    pool_->WithTransaction([&](pqxx::work& tx) { tx.exec(sql); });
  }

  std::unique_ptr<common::testing::PgTestDb> db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  std::unique_ptr<UserRepository> repository_;
};

TEST_F(UserRepositoryTest, MigrationsAreUpToDate) {
  EXPECT_TRUE(common::MigrationsUpToDate(*pool_, migrations::Migrations()));
  // As main's readiness probe asks.
  EXPECT_TRUE(common::MigrationsUpToDate(
      *pool_, common::ChecksumsOf(migrations::Migrations())));
}

TEST_F(UserRepositoryTest, CreatesAndFindsUsers) {
  const auto before = std::chrono::system_clock::now() - seconds(5);
  const UserRecord created = MakeUser("alice@example.com");
  EXPECT_TRUE(domain::IsCanonicalUuid(created.id));
  EXPECT_EQ(created.email, "alice@example.com");
  EXPECT_EQ(created.display_name, "Name");
  EXPECT_EQ(created.password_hash, kHash);
  EXPECT_GT(created.created_at, before);
  EXPECT_EQ(created.created_at, created.updated_at);

  auto by_email = repository_->FindUserByEmail("alice@example.com");
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(by_email->id, created.id);
  EXPECT_EQ(by_email->created_at, created.created_at);
  auto by_id = repository_->FindUserById(created.id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->email, "alice@example.com");

  EXPECT_FALSE(repository_->FindUserByEmail("bob@example.com").has_value());
  EXPECT_FALSE(repository_->FindUserById("00000000-0000-0000-0000-000000000000")
                   .has_value());
}

TEST_F(UserRepositoryTest, StoresSqlMetacharactersAsData) {
  const std::string email = "o'brien@example.ie";
  const std::string name = "Robert'); DROP TABLE users;--";
  auto created = repository_->CreateUser(email, name, kHash);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->display_name, name);
  auto found = repository_->FindUserByEmail(email);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->display_name, name);
  EXPECT_FALSE(repository_->FindUserByEmail("' OR '1'='1").has_value());
}

TEST_F(UserRepositoryTest, RejectsDuplicateEmail) {
  MakeUser("carol@example.com");
  EXPECT_FALSE(repository_->CreateUser("carol@example.com", "Other", kOtherHash)
                   .has_value());
  EXPECT_EQ(repository_->FindUserByEmail("carol@example.com")->display_name,
            "Name");
}

TEST_F(UserRepositoryTest, ConcurrentDuplicateRegistrationsCreateOneUser) {
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (repository_->CreateUser("race@example.com", "Racer", kHash)) {
        ++created;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
}

TEST_F(UserRepositoryTest, SchemaRejectsUnnormalisedEmail) {
  EXPECT_ANY_THROW(repository_->CreateUser("Dave@Example.com", "D", kHash));
  EXPECT_ANY_THROW(repository_->CreateUser("dave@example.com", "D", "plain"));
}

TEST_F(UserRepositoryTest, UpdatesDisplayName) {
  const UserRecord user = MakeUser("erin@example.com");
  auto updated = repository_->UpdateDisplayName(user.id, "Erin E.");
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->display_name, "Erin E.");
  EXPECT_GE(updated->updated_at, user.updated_at);
  EXPECT_EQ(updated->created_at, user.created_at);
  EXPECT_FALSE(
      repository_
          ->UpdateDisplayName("00000000-0000-0000-0000-000000000000", "X")
          .has_value());
}

TEST_F(UserRepositoryTest, RotatesRefreshTokens) {
  const UserRecord user = MakeUser("frank@example.com");
  const std::string first = SignIn(user);
  const NewRefreshToken second = FreshToken();

  RotationResult rotated = repository_->RotateRefreshToken(first, second);
  EXPECT_EQ(rotated.outcome, RotationOutcome::kRotated);
  EXPECT_EQ(rotated.user_id, user.id);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 1);

  const NewRefreshToken third = FreshToken();
  rotated = repository_->RotateRefreshToken(second.token_hash, third);
  EXPECT_EQ(rotated.outcome, RotationOutcome::kRotated);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 1);
}

TEST_F(UserRepositoryTest, ReuseRevokesTheWholeFamilyAndCommits) {
  const UserRecord user = MakeUser("grace@example.com");
  const std::string first = SignIn(user);
  const std::string other_family = SignIn(user);
  const NewRefreshToken second = FreshToken();
  ASSERT_EQ(repository_->RotateRefreshToken(first, second).outcome,
            RotationOutcome::kRotated);

  // Replaying the spent token revokes the family, including its live child.
  const RotationResult replay =
      repository_->RotateRefreshToken(first, FreshToken());
  EXPECT_EQ(replay.outcome, RotationOutcome::kFamilyRevoked);
  EXPECT_TRUE(replay.was_replayed);
  EXPECT_EQ(replay.user_id, user.id);

  const RotationResult child =
      repository_->RotateRefreshToken(second.token_hash, FreshToken());
  EXPECT_EQ(child.outcome, RotationOutcome::kFamilyRevoked);
  EXPECT_FALSE(child.was_replayed);

  // The other sign-in of the same user is untouched.
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 1);
  EXPECT_EQ(repository_->RotateRefreshToken(other_family, FreshToken()).outcome,
            RotationOutcome::kRotated);

  const int64_t reasons = pool_->WithReadOnly([&](pqxx::read_transaction& tx) {
    return tx
        .exec_params1(
            "SELECT count(*) FROM refresh_tokens WHERE "
            "revoke_reason = 'reuse_detected' AND user_id = $1",
            user.id)[0]
        .as<int64_t>();
  });
  EXPECT_EQ(reasons, 2);
}

TEST_F(UserRepositoryTest, ConcurrentRotationOfOneTokenSucceedsOnce) {
  const UserRecord user = MakeUser("heidi@example.com");
  const std::string token = SignIn(user);
  std::atomic<int> rotated{0};
  std::atomic<int> revoked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      switch (repository_->RotateRefreshToken(token, FreshToken()).outcome) {
        case RotationOutcome::kRotated:
          ++rotated;
          break;
        case RotationOutcome::kFamilyRevoked:
          ++revoked;
          break;
        default:
          break;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(revoked.load(), 2);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 0);
}

TEST_F(UserRepositoryTest, UnknownAndExpiredTokensDoNotRotate) {
  EXPECT_EQ(
      repository_
          ->RotateRefreshToken(domain::HashRefreshToken("nope"), FreshToken())
          .outcome,
      RotationOutcome::kUnknown);

  const UserRecord user = MakeUser("ivan@example.com");
  const std::string token = SignIn(user);
  Exec(
      "UPDATE refresh_tokens SET issued_at = now() - interval '2 hours', "
      "expires_at = now() - interval '1 hour'");
  EXPECT_EQ(repository_->RotateRefreshToken(token, FreshToken()).outcome,
            RotationOutcome::kExpired);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 0);
}

TEST_F(UserRepositoryTest, LogoutRevokesTheFamilyIdempotently) {
  const UserRecord user = MakeUser("judy@example.com");
  const std::string first = SignIn(user);
  const NewRefreshToken second = FreshToken();
  ASSERT_EQ(repository_->RotateRefreshToken(first, second).outcome,
            RotationOutcome::kRotated);

  // Logging out with the spent parent still ends the session.
  EXPECT_TRUE(repository_->RevokeFamilyOfToken(first));
  EXPECT_TRUE(repository_->RevokeFamilyOfToken(first));
  EXPECT_FALSE(
      repository_->RevokeFamilyOfToken(domain::HashRefreshToken("unknown")));
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 0);
  const RotationResult after =
      repository_->RotateRefreshToken(second.token_hash, FreshToken());
  EXPECT_EQ(after.outcome, RotationOutcome::kFamilyRevoked);
  EXPECT_FALSE(after.was_replayed);
}

TEST_F(UserRepositoryTest, ChangePasswordRevokesOnlyThatUsersTokens) {
  const UserRecord kim = MakeUser("kim@example.com");
  const UserRecord lee = MakeUser("lee@example.com");
  SignIn(kim);
  SignIn(kim);
  SignIn(lee);

  EXPECT_FALSE(repository_->ChangePassword(kim.id, kOtherHash, kOtherHash));
  EXPECT_EQ(repository_->CountActiveRefreshTokens(kim.id), 2);

  EXPECT_TRUE(repository_->ChangePassword(kim.id, kHash, kOtherHash));
  EXPECT_EQ(repository_->FindUserById(kim.id)->password_hash, kOtherHash);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(kim.id), 0);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(lee.id), 1);
}

TEST_F(UserRepositoryTest, UpgradePasswordHashKeepsSessions) {
  const UserRecord user = MakeUser("mia@example.com");
  SignIn(user);
  repository_->UpgradePasswordHash(user.id, kHash, kOtherHash);
  EXPECT_EQ(repository_->FindUserById(user.id)->password_hash, kOtherHash);
  EXPECT_EQ(repository_->CountActiveRefreshTokens(user.id), 1);
  // A stale expectation changes nothing.
  repository_->UpgradePasswordHash(user.id, kHash, kHash);
  EXPECT_EQ(repository_->FindUserById(user.id)->password_hash, kOtherHash);
}

TEST_F(UserRepositoryTest, DeletingAUserDeletesItsTokens) {
  const UserRecord user = MakeUser("ned@example.com");
  const std::string token = SignIn(user);
  Exec("DELETE FROM users");
  EXPECT_EQ(repository_->RotateRefreshToken(token, FreshToken()).outcome,
            RotationOutcome::kUnknown);
}

TEST_F(UserRepositoryTest, CountsLoginFailuresPerKeyWithinTheWindow) {
  const seconds window(900);
  repository_->RecordLoginFailure("acct-a", "198.51.100.1", window);
  repository_->RecordLoginFailure("acct-a", "198.51.100.2", window);
  repository_->RecordLoginFailure("acct-b", "198.51.100.1", window);

  LoginFailureCounts counts =
      repository_->CountRecentLoginFailures("acct-a", "198.51.100.1", window);
  EXPECT_EQ(counts.account, 2);
  EXPECT_EQ(counts.address, 2);
  counts =
      repository_->CountRecentLoginFailures("acct-c", "198.51.100.9", window);
  EXPECT_EQ(counts.account, 0);
  EXPECT_EQ(counts.address, 0);

  // Failures older than the window neither count nor survive the next write.
  Exec("UPDATE login_failures SET occurred_at = now() - interval '1 hour'");
  counts =
      repository_->CountRecentLoginFailures("acct-a", "198.51.100.1", window);
  EXPECT_EQ(counts.account, 0);
  EXPECT_EQ(counts.address, 0);
  repository_->RecordLoginFailure("acct-a", "198.51.100.1", window);
  const int64_t rows = pool_->WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1("SELECT count(*) FROM login_failures")[0].as<int64_t>();
  });
  EXPECT_EQ(rows, 2);
}

TEST_F(UserRepositoryTest, ClearingAccountFailuresKeepsAddressFailures) {
  const seconds window(900);
  repository_->RecordLoginFailure("acct-a", "198.51.100.1", window);
  repository_->RecordLoginFailure("acct-a", "198.51.100.1", window);
  repository_->ClearAccountLoginFailures("acct-a");
  const LoginFailureCounts counts =
      repository_->CountRecentLoginFailures("acct-a", "198.51.100.1", window);
  EXPECT_EQ(counts.account, 0);
  EXPECT_EQ(counts.address, 2);
}

}  // namespace
}  // namespace cryptotracker::user::storage
