// For integration tests (TEST_DATABASE_URL, see docs/conventions.md): a
// throwaway PostgreSQL database with pricing's schema, a pool and a
// repository on it.
#ifndef CRYPTOTRACKER_PRICING_STORAGE_TEST_DATABASE_H_
#define CRYPTOTRACKER_PRICING_STORAGE_TEST_DATABASE_H_

#include <string>

#include "services/common/db.h"
#include "services/common/testing/pg_test_db.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::storage {

class TestDatabase {
 public:
  // Creates "test_<prefix>_<random>" and applies the migrations; a missing
  // TEST_DATABASE_URL fails the test (see common::testing::PgTestDb).
  explicit TestDatabase(std::string prefix, int pool_size = 4);
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  common::ConnectionPool& pool() { return pool_; }
  // For connections of their own (the writer lease).
  const std::string& connection_string() const {
    return db_.connection_string();
  }
  PricingRepository& repository() { return repository_; }

 private:
  // Declared in the order they are built; destroyed the other way round, so
  // the database is dropped last.
  common::testing::PgTestDb db_;
  common::ConnectionPool pool_;
  PricingRepository repository_;
};

}  // namespace cryptotracker::pricing::storage

#endif  // CRYPTOTRACKER_PRICING_STORAGE_TEST_DATABASE_H_
