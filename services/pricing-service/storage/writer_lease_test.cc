// Integration test: the writer lease against a real PostgreSQL database
// (TEST_DATABASE_URL): one holder per pair, takeover when the holder stops
// or its session dies.
#include "services/pricing-service/storage/writer_lease.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/testing/pg_test_db.h"

namespace cryptotracker::pricing::storage {
namespace {

class WriterLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<common::testing::PgTestDb>("pricing_lease");
  }

  std::unique_ptr<PairWriterLease> NewLease(std::vector<std::string> pairs) {
    return std::make_unique<PairWriterLease>(db_->connection_string(),
                                             std::move(pairs));
  }

  // Ends the sessions holding writer locks, as PostgreSQL does when their
  // process is killed.
  void TerminateHolders() {
    pqxx::connection admin(db_->connection_string());
    pqxx::nontransaction tx(admin);
    // Only this test's database: the cluster may be shared with a running
    // stack and other test binaries, whose sessions (of other roles, too)
    // are not this test's to end.
    tx.exec(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
        " JOIN pg_database d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        " AND l.pid <> pg_backend_pid()");
  }

  std::unique_ptr<common::testing::PgTestDb> db_;
};

// Renews `lease` until it holds `count` pairs, for up to five seconds: a
// session that closes or is terminated frees its locks a moment after the
// call that ended it returned.
bool RenewsTo(PairWriterLease& lease, size_t count) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (lease.Renew() != count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_F(WriterLeaseTest, OneHolderPerPairUntilItStops) {
  auto first = NewLease({"BTCUSDT", "ETHUSDT"});
  auto second = NewLease({"BTCUSDT", "ETHUSDT", "SOLUSDT"});
  EXPECT_EQ(first->Renew(), 2u);
  EXPECT_EQ(second->Renew(), 1u);  // only the pair nobody holds
  EXPECT_TRUE(first->Holds("BTCUSDT"));
  EXPECT_FALSE(second->Holds("BTCUSDT"));
  EXPECT_TRUE(second->Holds("SOLUSDT"));
  // Renewing keeps what is held, on both sides.
  EXPECT_EQ(first->Renew(), 2u);
  EXPECT_EQ(second->Renew(), 1u);

  first->Stop();
  EXPECT_FALSE(first->Holds("BTCUSDT"));
  EXPECT_EQ(first->Renew(), 0u);  // stopped for good
  EXPECT_TRUE(RenewsTo(*second, 3));
}

TEST_F(WriterLeaseTest, ASessionThatDiesLosesItsPairsToTheOthers) {
  auto holder = NewLease({"BTCUSDT"});
  ASSERT_EQ(holder->Renew(), 1u);
  TerminateHolders();
  auto other = NewLease({"BTCUSDT"});
  EXPECT_TRUE(RenewsTo(*other, 1));
  // The old holder finds out at its next renewal, and stops writing.
  EXPECT_EQ(holder->Renew(), 0u);
  EXPECT_FALSE(holder->Holds("BTCUSDT"));
  // Later renewals reconnect but find the pair taken.
  EXPECT_EQ(holder->Renew(), 0u);
  EXPECT_TRUE(other->Holds("BTCUSDT"));
}

TEST_F(WriterLeaseTest, TheRenewThreadTakesOverWithinSeconds) {
  auto holder = NewLease({"BTCUSDT"});
  ASSERT_EQ(holder->Renew(), 1u);
  PairWriterLease standby(db_->connection_string(), {"BTCUSDT"},
                          {.renew_interval = std::chrono::milliseconds(100)});
  standby.Start();
  holder.reset();  // stops, closing its session
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!standby.Holds("BTCUSDT") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(standby.Holds("BTCUSDT"));
}

}  // namespace
}  // namespace cryptotracker::pricing::storage
