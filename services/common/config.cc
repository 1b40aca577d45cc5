#include "services/common/config.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "services/common/logging.h"

namespace cryptotracker::common {
namespace {

std::optional<std::string> ProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// Parses a whole decimal integer (optional leading '-'); nullopt otherwise.
std::optional<long long> ParseInteger(const std::string& text) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string Range(long long min, long long max) {
  return "between " + std::to_string(min) + " and " + std::to_string(max);
}

// Quotes a libpq key=value value: '...' with \ and ' backslash-escaped.
std::string QuoteConnValue(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  quoted += '\'';
  return quoted;
}

}  // namespace

EnvReader::EnvReader() : lookup_(ProcessEnvironment) {}

EnvReader::EnvReader(Lookup lookup) : lookup_(std::move(lookup)) {}

std::optional<std::string> EnvReader::Get(const std::string& name) {
  std::optional<std::string> value = lookup_(name);
  // An empty variable is treated as unset: `FOO=` in a manifest usually means
  // "not configured", and an empty value is never valid for our settings.
  if (value.has_value() && value->empty()) return std::nullopt;
  return value;
}

void EnvReader::AddProblem(const std::string& name,
                           const std::string& problem) {
  problems_.push_back(name + ": " + problem);
}

std::string EnvReader::RequiredString(const std::string& name) {
  std::optional<std::string> value = Get(name);
  if (!value) {
    AddProblem(name, "is required but not set");
    return "";
  }
  return *value;
}

std::string EnvReader::String(const std::string& name,
                              std::string default_value) {
  std::optional<std::string> value = Get(name);
  return value ? *value : std::move(default_value);
}

int EnvReader::Int(const std::string& name, int default_value, int min,
                   int max) {
  std::optional<std::string> text = Get(name);
  if (!text) return default_value;
  std::optional<long long> value = ParseInteger(*text);
  if (!value) {
    AddProblem(name, "must be a whole number " + Range(min, max));
    return default_value;
  }
  if (*value < min || *value > max) {
    AddProblem(name, "must be " + Range(min, max));
    return default_value;
  }
  return static_cast<int>(*value);
}

int EnvReader::RequiredInt(const std::string& name, int min, int max) {
  if (!Get(name)) {
    AddProblem(name, "is required but not set (a whole number " +
                         Range(min, max) + ")");
    return min;
  }
  return Int(name, min, min, max);
}

std::chrono::seconds EnvReader::Seconds(const std::string& name,
                                        std::chrono::seconds default_value,
                                        std::chrono::seconds min,
                                        std::chrono::seconds max) {
  std::optional<std::string> text = Get(name);
  if (!text) return default_value;
  std::optional<long long> value = ParseInteger(*text);
  if (!value || *value < min.count() || *value > max.count()) {
    AddProblem(name, "must be a whole number of seconds " +
                         Range(min.count(), max.count()));
    return default_value;
  }
  return std::chrono::seconds(*value);
}

std::string EnvReader::FileContents(const std::string& name) {
  std::optional<std::string> path = Get(name);
  if (!path) {
    AddProblem(name, "is required but not set (a file path)");
    return "";
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(*path, error)) {
    AddProblem(name, "'" + *path + "' is not a readable file");
    return "";
  }
  std::ifstream file(*path, std::ios::binary);
  std::ostringstream contents;
  if (file) contents << file.rdbuf();
  if (!file || file.bad()) {
    // The path is not secret; the file contents may be, so never quoted.
    AddProblem(name, "cannot read file '" + *path + "'");
    return "";
  }
  if (contents.str().empty()) {
    AddProblem(name, "file '" + *path + "' is empty");
    return "";
  }
  return contents.str();
}

void EnvReader::Finish() {
  if (problems_.empty()) return;
  std::string message = "invalid configuration (" +
                        std::to_string(problems_.size()) + " problem" +
                        (problems_.size() == 1 ? "" : "s") + "):";
  for (const std::string& problem : problems_) message += "\n  - " + problem;
  throw ConfigError(message);
}

DatabaseConfig DatabaseConfig::FromEnv(EnvReader& env) {
  DatabaseConfig config;
  config.host = env.RequiredString("DB_HOST");
  config.port = env.Int("DB_PORT", 5432, 1, 65535);
  config.name = env.RequiredString("DB_NAME");
  config.user = env.RequiredString("DB_USER");
  config.password = env.RequiredString("DB_PASSWORD");
  config.pool_size = env.Int("DB_POOL_SIZE", 8, 1, 256);
  return config;
}

std::string DatabaseConfig::ConnectionString() const {
  std::string conn =
      "host=" + QuoteConnValue(host) + " port=" + std::to_string(port) +
      " dbname=" + QuoteConnValue(name) + " user=" + QuoteConnValue(user);
  if (!password.empty()) conn += " password=" + QuoteConnValue(password);
  // Fail fast instead of hanging when the database host is unreachable, and
  // notice a silently dead peer through TCP keepalives.
  conn +=
      " connect_timeout=5 keepalives=1 keepalives_idle=30"
      " keepalives_interval=10 keepalives_count=3";
  return conn;
}

ServerConfig ServerConfig::FromEnv(EnvReader& env) {
  ServerConfig config;
  config.grpc_port = env.RequiredInt("GRPC_PORT", 1, 65535);
  config.log_level = env.String("LOG_LEVEL", "info");
  if (!ParseLogLevel(config.log_level)) {
    env.AddProblem("LOG_LEVEL", "must be one of " + LogLevelNames());
    config.log_level = "info";
  }
  config.shutdown_grace =
      env.Seconds("SHUTDOWN_GRACE_SECONDS", std::chrono::seconds(10),
                  std::chrono::seconds(0), std::chrono::seconds(300));
  return config;
}

JwtVerifyConfig JwtVerifyConfig::FromEnv(EnvReader& env) {
  JwtVerifyConfig config;
  config.issuer = env.String("JWT_ISSUER", "cryptotracker-user-service");
  config.audience = env.String("JWT_AUDIENCE", "cryptotracker");
  return config;
}

}  // namespace cryptotracker::common
