// user-service: wiring only. Reads configuration from the environment,
// brings the schema up to date and serves UserService until SIGTERM/SIGINT.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "services/common/config.h"
#include "services/common/db.h"
#include "services/common/jwt.h"
#include "services/common/logging.h"
#include "services/common/migrations.h"
#include "services/common/server.h"
#include "services/user-service/domain/password_hasher.h"
#include "services/user-service/handler/user_handler.h"
#include "services/user-service/migrations.h"
#include "services/user-service/storage/user_repository.h"

namespace cryptotracker::user {
namespace {

constexpr const char* kServiceName = "user-service";

struct Config {
  common::ServerConfig server;
  common::DatabaseConfig database;
  std::string private_key_pem;
  handler::UserServiceSettings settings;
};

Config ReadConfig() {
  common::EnvReader env;
  Config config;
  config.server = common::ServerConfig::FromEnv(env);
  config.database = common::DatabaseConfig::FromEnv(env);
  const common::JwtVerifyConfig jwt = common::JwtVerifyConfig::FromEnv(env);
  config.settings.issuer = jwt.issuer;
  config.settings.audience = jwt.audience;
  config.private_key_pem = env.FileContents("JWT_PRIVATE_KEY_FILE");
  using std::chrono::hours;
  using std::chrono::seconds;
  config.settings.access_token_ttl = env.Seconds(
      "ACCESS_TOKEN_TTL_SECONDS", seconds(900), seconds(60), hours(24));
  // At most a year, which also keeps refresh_expires_in inside int32.
  config.settings.refresh_token_ttl =
      env.Seconds("REFRESH_TOKEN_TTL_SECONDS", seconds(2592000), seconds(300),
                  hours(24 * 365));
  config.settings.login_throttle.max_failures_per_account =
      env.Int("LOGIN_MAX_FAILURES", 10, 1, 1000);
  config.settings.login_throttle.max_failures_per_address =
      env.Int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50, 1, 1000000);
  config.settings.login_throttle.window = env.Seconds(
      "LOGIN_FAILURE_WINDOW_SECONDS", seconds(900), seconds(1), hours(24));
  env.Finish();
  return config;
}

int Run() {
  Config config;
  try {
    config = ReadConfig();
    common::InitLogging(kServiceName, config.server.log_level);
  } catch (const common::ConfigError& error) {
    std::cerr << kServiceName << ": " << error.what() << std::endl;
    return EXIT_FAILURE;
  }

  auto signer = common::JwtSigner::FromPrivateKeyPem(config.private_key_pem);
  config.private_key_pem.clear();
  if (!signer.ok()) {
    common::LogError("JWT_PRIVATE_KEY_FILE does not hold a usable key",
                     {{"error", std::string(signer.status().message())}});
    return EXIT_FAILURE;
  }
  auto shared_signer =
      std::make_shared<const common::JwtSigner>(*std::move(signer));

  common::ConnectionPool pool(config.database.ConnectionString(),
                              config.database.pool_size);
  common::ApplyMigrationsWithRetry(pool, kServiceName,
                                   migrations::Migrations());

  const domain::PasswordHasher hasher;
  storage::UserRepository repository(pool);
  handler::UserHandler service(repository, hasher, shared_signer,
                               config.settings);

  common::ServerOptions options;
  options.port = config.server.grpc_port;
  options.shutdown_grace = config.server.shutdown_grace;
  options.service_name = kServiceName;
  // Hashed once: the readiness probe runs every few seconds until shutdown.
  const common::MigrationChecksums schema =
      common::ChecksumsOf(migrations::Migrations());
  common::GrpcServer server(options, {&service});
  server.SetReadinessCheck([&pool, &schema] {
    return pool.Ping() && common::MigrationsUpToDate(pool, schema);
  });
  common::LogInfo("starting", {{"grpc_port", config.server.grpc_port},
                               {"jwt_kid", shared_signer->key_id()},
                               {"access_token_ttl_seconds",
                                config.settings.access_token_ttl.count()}});
  server.Run();
  common::LogInfo("stopped");
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace cryptotracker::user

int main() {
  try {
    return cryptotracker::user::Run();
  } catch (const std::exception& error) {
    cryptotracker::common::LogError("fatal start-up error",
                                    {{"error", error.what()}});
    return EXIT_FAILURE;
  }
}
