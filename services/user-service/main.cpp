// user-service: its configuration and its object graph; the process around
// them (logging, migrations, readiness, signals, exit codes) is
// common::ServiceMain (services/common/service_main.h).
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "services/common/blocking_executor.h"
#include "services/common/config.h"
#include "services/common/jwt.h"
#include "services/common/logging.h"
#include "services/common/service_main.h"
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
  // Built from JWT_PRIVATE_KEY_FILE while reading, so that the key's PEM
  // text is not kept and an unusable key is one more configuration problem.
  std::shared_ptr<const common::JwtSigner> signer;
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
  const std::string private_key_pem = env.FileContents("JWT_PRIVATE_KEY_FILE");
  if (!private_key_pem.empty()) {
    auto signer = common::JwtSigner::FromPrivateKeyPem(private_key_pem);
    if (signer.ok()) {
      config.signer =
          std::make_shared<const common::JwtSigner>(*std::move(signer));
    } else {
      env.AddProblem("JWT_PRIVATE_KEY_FILE",
                     "does not hold a usable key (" +
                         std::string(signer.status().message()) + ")");
    }
  }
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

int Serve(const Config& config) {
  common::ServiceDatabase database(kServiceName, config.database,
                                   migrations::Migrations());
  const domain::PasswordHasher hasher;
  storage::UserRepository repository(database.pool());
  // Hashing and SQL; declared before the server so that it outlives the
  // server's drain (queued calls still finish). One thread per connection:
  // more would only wait for one.
  common::BlockingExecutor blocking(config.database.pool_size,
                                    common::kMaxQueuedBlockingCalls);
  handler::UserHandler service(repository, hasher, config.signer,
                               config.settings, blocking);
  common::LogInfo("starting", {{"grpc_port", config.server.grpc_port},
                               {"jwt_kid", config.signer->key_id()},
                               {"access_token_ttl_seconds",
                                config.settings.access_token_ttl.count()}});
  common::ServeUntilStopped(kServiceName, config.server, database, {&service});
  common::LogInfo("stopped");
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace cryptotracker::user

int main() {
  return cryptotracker::common::ServiceMain(cryptotracker::user::kServiceName,
                                            cryptotracker::user::ReadConfig,
                                            cryptotracker::user::Serve);
}
