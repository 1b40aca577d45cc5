// The skeleton every service's main.cpp is written on, so that main.cpp
// holds only the service's configuration and its object graph:
//
//   int main() {
//     return common::ServiceMain(kServiceName, ReadConfig,
//                                [](const Config& config) {
//       common::ServiceDatabase database(kServiceName, config.database,
//                                        migrations::Migrations());
//       ... repositories, handlers (the object graph) ...
//       common::ServeUntilStopped(kServiceName, config.server, database,
//                                 {&handler});
//       return EXIT_SUCCESS;
//     });
//   }
//
// A job (a subcommand that works on the database and exits, such as
// pricing's rollup) uses ServiceMain and ServiceDatabase without the server.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_SERVICE_MAIN_H_
#define CRYPTOTRACKER_SERVICES_COMMON_SERVICE_MAIN_H_

#include <grpcpp/grpcpp.h>

#include <concepts>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "services/common/config.h"
#include "services/common/db.h"
#include "services/common/logging.h"
#include "services/common/migrations.h"
#include "services/common/server.h"

namespace cryptotracker::common {

// A service's configuration struct: it carries the common ServerConfig as
// `server` (a job that serves nothing still reads LOG_LEVEL into it).
template <class Config>
concept ServiceConfig = requires(const Config& config) {
  { config.server.log_level } -> std::convertible_to<std::string_view>;
};

namespace internal {
// Runs `body` and turns what escapes it into the process's exit code:
// ConfigError -> "<service>: <message>" on stderr, exit 1 (an operator's
// mistake: no stack of log lines to dig through); any other exception ->
// a "fatal error" log line, exit 1.
int RunGuarded(std::string_view service_name, const std::function<int()>& body);
}  // namespace internal

// The whole life of a service process. Reads the configuration with
// `read_config` (which throws ConfigError listing every problem, see
// EnvReader::Finish), initialises logging at its LOG_LEVEL and runs
// `run(config)`, whose result is the exit code. ConfigError thrown at any
// point (also while `run` builds its object graph) ends the process with one
// message on stderr and exit code 1; any other exception is logged as a
// fatal error, exit code 1.
template <class ReadConfig, class Run>
requires ServiceConfig<std::invoke_result_t<ReadConfig&>> &&
    std::is_invocable_r_v < int,
    Run&, const std::invoke_result_t<ReadConfig&>
& > int ServiceMain(std::string_view service_name, ReadConfig read_config,
                    Run run) {
  return internal::RunGuarded(service_name, [&]() -> int {
    const auto config = read_config();
    InitLogging(service_name, config.server.log_level);
    return run(config);
  });
}

// A service's PostgreSQL database: the connection pool, with the schema
// brought up to date when it is constructed, and the readiness check.
class ServiceDatabase {
 public:
  // Applies `migrations` (ApplyMigrationsWithRetry: a database that is still
  // starting is waited for; a schema this binary must not run against
  // throws MigrationError). `service_name` names the migration lock.
  ServiceDatabase(std::string_view service_name, const DatabaseConfig& config,
                  const std::vector<Migration>& migrations);
  // The same with an explicit connection string and pool size (a job that
  // needs fewer connections than the service; tests).
  ServiceDatabase(std::string_view service_name, std::string connection_string,
                  int pool_size, const std::vector<Migration>& migrations);
  ServiceDatabase(const ServiceDatabase&) = delete;
  ServiceDatabase& operator=(const ServiceDatabase&) = delete;

  ConnectionPool& pool() { return pool_; }

  // The database answers and holds exactly the schema this binary expects.
  // Checks the checksums hashed once at construction, since the readiness
  // probe runs every few seconds for the life of the process. Never throws.
  bool Ready();

 private:
  ConnectionPool pool_;
  const MigrationChecksums schema_;
};

// The server options every service uses, from its ServerConfig.
ServerOptions ServerOptionsFor(std::string_view service_name,
                               const ServerConfig& config);

// Serves `services` (not owned) on config.grpc_port with health and
// reflection, reporting ready while `database.Ready()`, until SIGTERM or
// SIGINT; then drains for config.shutdown_grace and returns. Objects the
// handlers use (a BlockingExecutor in particular) must be declared before
// the call, so that they outlive the drain. Throws std::runtime_error when
// the port cannot be bound.
void ServeUntilStopped(std::string_view service_name,
                       const ServerConfig& config, ServiceDatabase& database,
                       std::vector<grpc::Service*> services);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_SERVICE_MAIN_H_
