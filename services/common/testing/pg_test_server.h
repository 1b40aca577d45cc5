// A private PostgreSQL server for tests that must stop or restart the
// database itself (which a shared TEST_DATABASE_URL server must never be).
//
// Uses the PostgreSQL binaries in TEST_PG_BINDIR (default
// /usr/lib/postgresql/15/bin). PostgreSQL refuses to run as root, so when the
// test runs as root the server runs as the `postgres` user via runuser.
// Tests using it need tags = ["integration", "local"]: Bazel's sandbox and
// process wrapper would otherwise kill the restarted server.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_TESTING_PG_TEST_SERVER_H_
#define CRYPTOTRACKER_SERVICES_COMMON_TESTING_PG_TEST_SERVER_H_

#include <string>

namespace cryptotracker::common::testing {

class PgTestServer {
 public:
  // initdb into a fresh directory under /tmp and start on a free loopback
  // port (trust authentication). Throws std::runtime_error on failure.
  PgTestServer();
  ~PgTestServer();  // stops the server and removes its directory
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  // Fast restart; returns once the server accepts connections again.
  void Restart();
  void Stop();
  void Start();

  int port() const { return port_; }
  // key=value connection string for database `dbname` as superuser postgres.
  std::string ConnectionString(const std::string& dbname = "postgres") const;

 private:
  void PgCtl(const std::string& action);

  std::string dir_;
  std::string bindir_;
  std::string run_as_;  // "/usr/sbin/runuser -u postgres -- " or ""
  int port_ = 0;
};

}  // namespace cryptotracker::common::testing

#endif  // CRYPTOTRACKER_SERVICES_COMMON_TESTING_PG_TEST_SERVER_H_
