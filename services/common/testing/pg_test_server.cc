#include "services/common/testing/pg_test_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace cryptotracker::common::testing {
namespace {

// Asks the kernel for a free loopback port (tiny race until the server binds
// it, acceptable for tests).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof(addr);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

void RunOrThrow(const std::string& command) {
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("command failed: " + command);
  }
}

}  // namespace

PgTestServer::PgTestServer() {
  const char* bindir = std::getenv("TEST_PG_BINDIR");
  bindir_ = bindir != nullptr && *bindir != '\0' ? bindir
                                                 : "/usr/lib/postgresql/15/bin";
  char pattern[] = "/tmp/pg_test_server_XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = pattern;
  if (geteuid() == 0) {
    const passwd* postgres = getpwnam("postgres");
    if (postgres == nullptr) {
      throw std::runtime_error("running as root but no `postgres` user exists");
    }
    if (chown(dir_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + dir_);
    }
    run_as_ = "/usr/sbin/runuser -u postgres -- ";
  }
  port_ = FreePort();
  RunOrThrow(run_as_ + bindir_ + "/initdb -D " + dir_ +
             "/data -A trust -U postgres --no-sync >" + dir_ +
             "/initdb.log 2>&1");
  Start();
}

PgTestServer::~PgTestServer() {
  std::system((run_as_ + bindir_ + "/pg_ctl -D " + dir_ +
               "/data -m immediate -w stop >/dev/null 2>&1")
                  .c_str());
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PgTestServer::PgCtl(const std::string& action) {
  RunOrThrow(run_as_ + bindir_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
             "/server.log -w -t 30 " + action + " >/dev/null");
}

void PgTestServer::Start() {
  PgCtl("-o '-p " + std::to_string(port_) + " -k " + dir_ +
        " -c listen_addresses=127.0.0.1 -c fsync=off' start");
}

void PgTestServer::Stop() { PgCtl("-m fast stop"); }

void PgTestServer::Restart() { PgCtl("-m fast restart"); }

std::string PgTestServer::ConnectionString(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=postgres dbname=" + dbname + " connect_timeout=5";
}

}  // namespace cryptotracker::common::testing
