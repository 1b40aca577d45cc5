// Structured JSON logging: one JSON object per line on stdout, e.g.
//   {"ts":"2026-01-02T03:04:05.678Z","level":"info","service":"user-service",
//    "msg":"login failed","request_id":"4f2c...","reason":"bad password"}
//
// NEVER log secrets: passwords, tokens (access or refresh), private keys,
// DB_PASSWORD or full connection strings. Log identifiers (user id, request
// id, token id) instead. Values are JSON-escaped, so user-supplied text cannot
// forge extra fields or lines, but it still should be kept short.
//
// Lines written while a LogContextScope is alive on the thread (GuardedCall
// opens one per gRPC call) automatically carry that call's "request_id" and,
// once authenticated, "user_id".
#ifndef CRYPTOTRACKER_SERVICES_COMMON_LOGGING_H_
#define CRYPTOTRACKER_SERVICES_COMMON_LOGGING_H_

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace cryptotracker::common {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

// A field value, stored already encoded as JSON.
class LogValue {
 public:
  LogValue(std::string_view text);  // NOLINT(runtime/explicit): field syntax
  LogValue(const std::string& text) : LogValue(std::string_view(text)) {}
  LogValue(const char* text) : LogValue(std::string_view(text)) {}
  LogValue(bool value) : json_(value ? "true" : "false") {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) LogValue(T value)
      : json_(std::to_string(value)) {}
  LogValue(double value);

  const std::string& json() const { return json_; }

 private:
  std::string json_;
};

struct LogField {
  std::string_view key;
  LogValue value;
};
using LogFields = std::initializer_list<LogField>;

// Configures the process-wide logger. `level` is one of
// trace|debug|info|warn|error; anything else throws ConfigError. Before this is
// called, logging goes to stdout at level info with service "unknown".
void InitLogging(std::string_view service_name, std::string_view level);

// The level called `name` (trace|debug|info|warn|error, lower case), or
// nullopt for any other name.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
// The accepted level names joined by '|', for messages about a bad one.
std::string LogLevelNames();

void Log(LogLevel level, std::string_view msg, LogFields fields = {});
// Whether a line at `level` would be written; lets hot paths skip building
// fields (each LogValue is JSON-encoded when constructed).
bool LogEnabled(LogLevel level);
inline void LogDebug(std::string_view msg, LogFields fields = {}) {
  Log(LogLevel::kDebug, msg, fields);
}
inline void LogInfo(std::string_view msg, LogFields fields = {}) {
  Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarn(std::string_view msg, LogFields fields = {}) {
  Log(LogLevel::kWarn, msg, fields);
}
inline void LogError(std::string_view msg, LogFields fields = {}) {
  Log(LogLevel::kError, msg, fields);
}

// Formats one log line (without the trailing newline). Exposed for tests.
std::string FormatLogLine(LogLevel level, std::string_view service,
                          std::string_view msg, LogFields fields);

// The caller's request id from metadata `x-request-id` (set by the gateway)
// when it is a sane token (1..128 chars of [A-Za-z0-9._:-]); otherwise a new
// random 32-hex-digit id.
// Takes the base so that sync and callback handlers share it.
std::string RequestIdFrom(const grpc::ServerContextBase& ctx);
std::string NewRequestId();

// Per-thread diagnostic context for one call. Scopes nest; the innermost wins.
class LogContextScope {
 public:
  explicit LogContextScope(std::string request_id);
  ~LogContextScope();
  LogContextScope(const LogContextScope&) = delete;
  LogContextScope& operator=(const LogContextScope&) = delete;

 private:
  LogContextScope* previous_;
  std::string request_id_;
  std::string user_id_;
  friend const std::string& CurrentRequestId();
  friend const std::string& CurrentUserId();
  friend bool SetCurrentUserId(std::string_view user_id);
};

// The request id / user id of the innermost scope on this thread ("" if none).
const std::string& CurrentRequestId();
const std::string& CurrentUserId();
// Records the authenticated user for the current scope; false when no scope.
bool SetCurrentUserId(std::string_view user_id);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_LOGGING_H_
