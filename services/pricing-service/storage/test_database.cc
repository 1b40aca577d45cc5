#include "services/pricing-service/storage/test_database.h"

#include <utility>

#include "services/common/migrations.h"
#include "services/pricing-service/migrations.h"

namespace cryptotracker::pricing::storage {

TestDatabase::TestDatabase(std::string prefix, int pool_size)
    : db_(std::move(prefix)),
      pool_(db_.connection_string(), pool_size),
      repository_(pool_) {
  common::ApplyMigrations(pool_, "pricing-service", migrations::Migrations());
}

}  // namespace cryptotracker::pricing::storage
