// Integration tests: need TEST_DATABASE_URL (see services/common/testing).
#include "services/common/db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

#include "services/common/testing/pg_test_db.h"
#include "services/common/testing/pg_test_server.h"

namespace cryptotracker::common {
namespace {

using testing::PgTestDb;

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<PgTestDb>("pool");
    pool_ = std::make_unique<ConnectionPool>(db_->connection_string(), 3);
    pool_->WithTransaction([](pqxx::work& tx) {
      tx.exec("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)");
      tx.exec("CREATE TABLE counter (n bigint NOT NULL)");
      tx.exec("INSERT INTO counter VALUES (0)");
    });
  }

  long Count() {
    return pool_->WithReadOnly([](pqxx::read_transaction& tx) {
      return tx.exec1("SELECT count(*) FROM items")[0].as<long>();
    });
  }

  // Ends every server session of the test database, as a restart would.
  void TerminateSessions() {
    pqxx::connection admin(db_->admin_connection_string());
    pqxx::nontransaction tx(admin);
    tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        db_->name());
  }

  std::unique_ptr<PgTestDb> db_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(ConnectionPoolTest, CommitsAndReturnsValues) {
  const int id = pool_->WithTransaction([](pqxx::work& tx) {
    return tx
        .exec_params1("INSERT INTO items (name) VALUES ($1) RETURNING id",
                      "O'Reilly; DROP TABLE items; --")[0]
        .as<int>();
  });
  EXPECT_GT(id, 0);
  const std::string name = pool_->WithReadOnly([&](pqxx::read_transaction& tx) {
    return tx.exec_params1("SELECT name FROM items WHERE id = $1", id)[0]
        .as<std::string>();
  });
  EXPECT_EQ(name, "O'Reilly; DROP TABLE items; --");
}

TEST_F(ConnectionPoolTest, OtherExceptionsPropagateUnchangedAndRollBack) {
  int calls = 0;
  struct DomainError : std::runtime_error {
    using runtime_error::runtime_error;
  };
  EXPECT_THROW(pool_->WithTransaction([&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO items (name) VALUES ('rolled back')");
    throw DomainError("nope");
  }),
               DomainError);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Count(), 0);

  calls = 0;
  EXPECT_THROW(pool_->WithTransaction([&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO items (name) VALUES (NULL)");
  }),
               pqxx::not_null_violation);
  EXPECT_EQ(calls, 1);
}

TEST_F(ConnectionPoolTest, SingleReadRunsOutsideATransaction) {
  pool_->WithTransaction([](pqxx::work& tx) {
    tx.exec("INSERT INTO items (name) VALUES ('seen')");
  });
  const auto [name, in_transaction] =
      pool_->WithSingleRead([](pqxx::nontransaction& tx) {
        // now() differs from statement_timestamp() only inside a
        // transaction block that began earlier; outside one, both are
        // the start of this statement.
        const pqxx::row row = tx.exec1(
            "SELECT (SELECT name FROM items LIMIT 1),"
            " now() <> statement_timestamp()");
        return std::make_pair(row[0].as<std::string>(), row[1].as<bool>());
      });
  EXPECT_EQ(name, "seen");
  EXPECT_FALSE(in_transaction);
}

TEST_F(ConnectionPoolTest, ReadOnlyTransactionRefusesWrites) {
  int calls = 0;
  EXPECT_THROW(pool_->WithReadOnly([&](pqxx::read_transaction& tx) {
    ++calls;
    tx.exec("INSERT INTO items (name) VALUES ('x')");
  }),
               pqxx::sql_error);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Count(), 0);
}

TEST_F(ConnectionPoolTest, RetriesSerializationFailureAndDeadlock) {
  int calls = 0;
  pool_->WithTransaction([&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO items (name) VALUES ('once')");
    if (calls == 1) throw pqxx::serialization_failure("could not serialize");
    if (calls == 2) throw pqxx::deadlock_detected("deadlock detected");
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(Count(), 1);  // the failed attempts were rolled back

  calls = 0;
  EXPECT_THROW(pool_->WithTransaction([&](pqxx::work&) {
    ++calls;
    throw pqxx::serialization_failure("always");
  }),
               pqxx::serialization_failure);
  EXPECT_EQ(calls, ConnectionPool::kMaxAttempts);
}

TEST_F(ConnectionPoolTest, RealSerializationConflictIsRetried) {
  // Two SERIALIZABLE read-modify-write transactions on the same row: one
  // must fail with 40001 and be retried, so no increment is lost.
  std::atomic<int> attempts{0};
  auto increment = [&] {
    pool_->WithTransaction([&](pqxx::work& tx) {
      ++attempts;
      tx.exec("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
      const long n = tx.exec1("SELECT n FROM counter")[0].as<long>();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      tx.exec_params("UPDATE counter SET n = $1", n + 1);
    });
  };
  std::thread a(increment);
  std::thread b(increment);
  a.join();
  b.join();
  EXPECT_EQ(pool_->WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1("SELECT n FROM counter")[0].as<long>();
  }),
            2);
  EXPECT_GE(attempts.load(), 3);
}

TEST_F(ConnectionPoolTest, ConnectionKilledBeforeCommitIsRetried) {
  int calls = 0;
  pool_->WithTransaction([&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO items (name) VALUES ('exactly once')");
    if (calls == 1) tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Count(), 1);
}

TEST_F(ConnectionPoolTest, RecoversWhenAllSessionsAreTerminated) {
  // Open all three connections, then kill them server-side.
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      pool_->WithTransaction(
          [](pqxx::work& tx) { tx.exec("SELECT pg_sleep(0.2)"); });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool_->open_connections(), 3);
  TerminateSessions();
  EXPECT_EQ(Count(), 0);  // first use hits a dead connection, then recovers
  EXPECT_TRUE(pool_->Ping());
}

TEST_F(ConnectionPoolTest, BlocksThenTimesOutWhenExhausted) {
  ConnectionPool small(db_->connection_string(), 1,
                       std::chrono::milliseconds(300));
  std::promise<void> holding;
  std::promise<void> release;
  std::thread holder([&] {
    small.WithTransaction([&](pqxx::work&) {
      holding.set_value();
      release.get_future().wait();
    });
  });
  holding.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(small.WithTransaction([](pqxx::work&) {}), PoolTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(250));
  // A waiter gets the connection as soon as it is released.
  auto waiter = std::async(std::launch::async, [&] {
    return small.WithTransaction(
        [](pqxx::work& tx) { return tx.exec1("SELECT 7")[0].as<int>(); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  EXPECT_EQ(waiter.get(), 7);
  holder.join();
  EXPECT_EQ(small.open_connections(), 1);
}

TEST_F(ConnectionPoolTest, ConcurrentUseStaysWithinPoolSize) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        pool_->WithTransaction(
            [](pqxx::work& tx) { tx.exec("UPDATE counter SET n = n + 1"); });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(pool_->open_connections(), 3);
  EXPECT_EQ(pool_->WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1("SELECT n FROM counter")[0].as<long>();
  }),
            160);
}

TEST(ConnectionPoolNoServerTest, ConstructionNeverThrowsAndPingFails) {
  // Port 1 on loopback: nothing listens there.
  ConnectionPool pool("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2",
                      2);
  EXPECT_FALSE(pool.Ping());
  EXPECT_THROW(pool.WithTransaction([](pqxx::work&) {}),
               pqxx::broken_connection);
  EXPECT_EQ(pool.open_connections(), 0);
}

// Restarts a real PostgreSQL server (a private one: the shared
// TEST_DATABASE_URL server must not be restarted under other tests).
TEST(ConnectionPoolRestartTest, SurvivesServerRestart) {
  testing::PgTestServer server;
  ConnectionPool pool(server.ConnectionString(), 3);
  pool.WithTransaction([](pqxx::work& tx) {
    tx.exec("CREATE TABLE items (name text NOT NULL)");
    tx.exec("INSERT INTO items VALUES ('before restart')");
  });
  const auto count = [&] {
    return pool.WithReadOnly([](pqxx::read_transaction& tx) {
      return tx.exec1("SELECT count(*) FROM items")[0].as<long>();
    });
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      pool.WithTransaction(
          [](pqxx::work& tx) { tx.exec("SELECT pg_sleep(0.1)"); });
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(pool.open_connections(), 3);

  server.Restart();

  // Every pooled connection is now dead; the pool must notice and reconnect.
  pool.WithTransaction([](pqxx::work& tx) {
    tx.exec("INSERT INTO items VALUES ('after restart')");
  });
  EXPECT_EQ(count(), 2);
  EXPECT_TRUE(pool.Ping());
  std::vector<std::future<long>> results;
  for (int i = 0; i < 6; ++i) {
    results.push_back(std::async(std::launch::async, count));
  }
  for (auto& r : results) EXPECT_EQ(r.get(), 2);
}

TEST(ConnectionPoolRestartTest, CallsFailWhileDownAndRecoverAfter) {
  testing::PgTestServer server;
  ConnectionPool pool(server.ConnectionString(), 2);
  EXPECT_TRUE(pool.Ping());
  server.Stop();
  EXPECT_FALSE(pool.Ping());
  EXPECT_THROW(
      pool.WithTransaction([](pqxx::work& tx) { tx.exec("SELECT 1"); }),
      pqxx::broken_connection);
  server.Start();
  EXPECT_TRUE(pool.Ping());
  EXPECT_EQ(pool.WithReadOnly([](pqxx::read_transaction& tx) {
    return tx.exec1("SELECT 41 + 1")[0].as<int>();
  }),
            42);
}

}  // namespace
}  // namespace cryptotracker::common
