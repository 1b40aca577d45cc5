#include "services/common/service_main.h"

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <utility>

#include "services/common/config_error.h"

namespace cryptotracker::common {

namespace internal {

int RunGuarded(std::string_view service_name,
               const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& error) {
    std::cerr << service_name << ": " << error.what() << std::endl;
  } catch (const std::exception& error) {
    LogError("fatal error", {{"error", error.what()}});
  } catch (...) {
    LogError("fatal error", {{"error", "non-standard exception"}});
  }
  return EXIT_FAILURE;
}

}  // namespace internal

ServiceDatabase::ServiceDatabase(std::string_view service_name,
                                 const DatabaseConfig& config,
                                 const std::vector<Migration>& migrations)
    : ServiceDatabase(service_name, config.ConnectionString(), config.pool_size,
                      migrations) {}

ServiceDatabase::ServiceDatabase(std::string_view service_name,
                                 std::string connection_string, int pool_size,
                                 const std::vector<Migration>& migrations)
    : pool_(std::move(connection_string), pool_size),
      schema_(ChecksumsOf(migrations)) {
  ApplyMigrationsWithRetry(pool_, service_name, migrations);
}

bool ServiceDatabase::Ready() {
  try {
    return pool_.Ping() && MigrationsUpToDate(pool_, schema_);
  } catch (const std::exception& error) {
    LogWarn("readiness check failed", {{"error", error.what()}});
    return false;
  }
}

ServerOptions ServerOptionsFor(std::string_view service_name,
                               const ServerConfig& config) {
  ServerOptions options;
  options.port = config.grpc_port;
  options.shutdown_grace = config.shutdown_grace;
  options.service_name = std::string(service_name);
  return options;
}

void ServeUntilStopped(std::string_view service_name,
                       const ServerConfig& config, ServiceDatabase& database,
                       std::vector<grpc::Service*> services) {
  GrpcServer server(ServerOptionsFor(service_name, config),
                    std::move(services));
  server.SetReadinessCheck([&database] { return database.Ready(); });
  server.Run();
}

}  // namespace cryptotracker::common
