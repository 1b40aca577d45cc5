// 12-factor configuration read from environment variables.
//
// Services read every setting through one EnvReader, then call Finish(): a
// misconfigured deployment fails at start-up with ONE message that lists every
// missing or malformed variable, instead of failing on the first and making the
// operator redeploy once per mistake. Error messages name variables and the
// rule they broke but never echo a value, so secrets cannot leak into logs.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_CONFIG_H_
#define CRYPTOTRACKER_SERVICES_COMMON_CONFIG_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "services/common/config_error.h"

namespace cryptotracker::common {

// Reads typed settings and collects every problem; Finish() reports them.
// Accessors always return a usable value (the default, or an empty/zero value
// when the variable is required) so that reading can continue past a problem.
class EnvReader {
 public:
  // Returns the value of a variable, or nullopt when it is not set.
  using Lookup = std::function<std::optional<std::string>(const std::string&)>;

  EnvReader();  // reads the process environment
  explicit EnvReader(Lookup lookup);

  // A non-empty string; missing or empty is a problem.
  std::string RequiredString(const std::string& name);
  // The variable, or `default_value` when unset or empty.
  std::string String(const std::string& name, std::string default_value);
  // A decimal integer in [min, max]; malformed or out of range is a problem.
  int Int(const std::string& name, int default_value, int min, int max);
  int RequiredInt(const std::string& name, int min, int max);
  // A whole number of seconds in [min, max].
  std::chrono::seconds Seconds(const std::string& name,
                               std::chrono::seconds default_value,
                               std::chrono::seconds min,
                               std::chrono::seconds max);
  // The variable holds a file path (required); returns the file's contents.
  // A missing variable, an unreadable or an empty file is a problem.
  std::string FileContents(const std::string& name);

  // Records a problem found by the caller's own validation (e.g. a value that
  // must be one of a set). `problem` must not contain secret values.
  void AddProblem(const std::string& name, const std::string& problem);

  // Problems found so far, in the order found.
  const std::vector<std::string>& problems() const { return problems_; }

  // Throws ConfigError listing every problem, if there is any.
  void Finish();

 private:
  std::optional<std::string> Get(const std::string& name);

  Lookup lookup_;
  std::vector<std::string> problems_;
};

// PostgreSQL connection settings: DB_HOST, DB_PORT (5432), DB_NAME, DB_USER,
// DB_PASSWORD, DB_POOL_SIZE (8).
struct DatabaseConfig {
  std::string host;
  int port = 5432;
  std::string name;
  std::string user;
  std::string password;
  int pool_size = 8;

  static DatabaseConfig FromEnv(EnvReader& env);

  // libpq key=value string; every value single-quoted with `\` and `'`
  // escaped, plus a connect timeout and TCP keepalives so that a dead
  // database is noticed instead of hanging a request.
  std::string ConnectionString() const;
};

// GRPC_PORT (required), LOG_LEVEL (info), SHUTDOWN_GRACE_SECONDS (10).
struct ServerConfig {
  int grpc_port = 0;
  std::string log_level = "info";
  std::chrono::seconds shutdown_grace{10};

  static ServerConfig FromEnv(EnvReader& env);
};

// JWT_ISSUER (cryptotracker-user-service), JWT_AUDIENCE (cryptotracker).
struct JwtVerifyConfig {
  std::string issuer;
  std::string audience;

  static JwtVerifyConfig FromEnv(EnvReader& env);
};

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_CONFIG_H_
