// Integration tests: need TEST_DATABASE_URL (see services/common/testing).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>

#include "services/common/service_main.h"
#include "services/common/testing/bound_port.h"
#include "services/common/testing/pg_test_db.h"
#include "services/common/testing/test_migrations.h"

namespace cryptotracker::common {
namespace {

namespace embedded = testing::test_migrations;

class ServiceDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<testing::PgTestDb>("service_database");
    database_ = std::make_unique<ServiceDatabase>(
        "test", db_->connection_string(), 2, embedded::Migrations());
  }

  std::unique_ptr<testing::PgTestDb> db_;
  std::unique_ptr<ServiceDatabase> database_;
};

TEST_F(ServiceDatabaseTest, AppliesTheMigrationsAndIsReady) {
  EXPECT_TRUE(MigrationsUpToDate(database_->pool(), embedded::Migrations()));
  EXPECT_TRUE(database_->Ready());
}

TEST_F(ServiceDatabaseTest, ANewerSchemaIsNotReady) {
  database_->pool().WithTransaction([](pqxx::work& tx) {
    tx.exec(
        "INSERT INTO schema_migrations (version, name, checksum) "
        "VALUES (9999, 'from_a_newer_binary', 'x')");
  });
  EXPECT_FALSE(database_->Ready());
}

TEST_F(ServiceDatabaseTest, ServesUntilSigterm) {
  ServerConfig config;
  {
    testing::BoundPort free_port;
    config.grpc_port = free_port.port();
  }
  config.shutdown_grace = std::chrono::seconds(1);
  std::future<void> serving = std::async(std::launch::async, [&] {
    ServeUntilStopped("test", config, *database_, {});
  });
  const auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(config.grpc_port),
                          grpc::InsecureChannelCredentials());
  ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                        std::chrono::seconds(10)));
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_EQ(serving.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  serving.get();
}

}  // namespace
}  // namespace cryptotracker::common
