// A throwaway PostgreSQL database for one integration test binary or fixture.
//
// Reads TEST_DATABASE_URL (a libpq URI or key=value string of a role that may
// CREATE DATABASE). When it is unset the test FAILS with a clear message:
// integration tests never skip silently.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_TESTING_PG_TEST_DB_H_
#define CRYPTOTRACKER_SERVICES_COMMON_TESTING_PG_TEST_DB_H_

#include <string>

namespace cryptotracker::common::testing {

class PgTestDb {
 public:
  // Creates a uniquely named database ("test_<prefix>_<random>"). Use inside
  // a test or fixture SetUp; reports a gtest failure (and throws) when
  // TEST_DATABASE_URL is missing or the server is unreachable.
  explicit PgTestDb(std::string prefix = "db");
  ~PgTestDb();  // drops the database (terminating leftover sessions)
  PgTestDb(const PgTestDb&) = delete;
  PgTestDb& operator=(const PgTestDb&) = delete;

  // libpq connection string (key=value form) for the new database.
  const std::string& connection_string() const { return connection_string_; }
  const std::string& name() const { return name_; }
  // Connection string of the administrative database from TEST_DATABASE_URL.
  const std::string& admin_connection_string() const { return admin_url_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string connection_string_;
};

}  // namespace cryptotracker::common::testing

#endif  // CRYPTOTRACKER_SERVICES_COMMON_TESTING_PG_TEST_DB_H_
