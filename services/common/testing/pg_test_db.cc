#include "services/common/testing/pg_test_db.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>

namespace cryptotracker::common::testing {
namespace {

std::string Quote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// Rebuilds `conninfo` (URI or key=value) as key=value with dbname replaced.
std::string WithDatabase(const std::string& conninfo,
                         const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "unparsable";
    PQfreemem(error);
    throw std::runtime_error("TEST_DATABASE_URL is not a valid libpq string: " +
                             message);
  }
  std::string result;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string(o->keyword) == "dbname") continue;
    result += std::string(o->keyword) + "=" + Quote(o->val) + " ";
  }
  PQconninfoFree(options);
  return result + "dbname=" + Quote(dbname);
}

std::string RandomSuffix() {
  std::random_device device;
  std::mt19937_64 engine(device());
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int i = 0; i < 12; ++i) suffix += kChars[engine() % 36];
  return suffix;
}

std::string SanitizedPrefix(const std::string& prefix) {
  std::string clean;
  for (char c : prefix) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    clean += ok ? c : '_';
  }
  return clean.substr(0, 30);
}

}  // namespace

PgTestDb::PgTestDb(std::string prefix) {
  const char* url = std::getenv("TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    const std::string message =
        "TEST_DATABASE_URL is not set: integration tests need a PostgreSQL "
        "role that may CREATE DATABASE, e.g. "
        "TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres "
        "bazel test ... (`make test` sets it)";
    ADD_FAILURE() << message;
    throw std::runtime_error(message);
  }
  admin_url_ = url;
  name_ = "test_" + SanitizedPrefix(prefix) + "_" + RandomSuffix();
  connection_string_ = WithDatabase(admin_url_, name_);
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot create test database via TEST_DATABASE_URL: "
                  << e.what();
    throw;
  }
}

PgTestDb::~PgTestDb() {
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    // PostgreSQL 13+: closes sessions the test left open (e.g. in a pool).
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) +
            " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop test database " << name_ << ": " << e.what();
  }
}

}  // namespace cryptotracker::common::testing
