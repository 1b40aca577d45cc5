#include "services/common/logging.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "services/common/clock.h"
#include "services/common/config_error.h"

namespace cryptotracker::common {
namespace {

struct LoggerState {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;
  std::string service = "unknown";
};

LoggerState& State() {
  static LoggerState* state = [] {
    auto* s = new LoggerState;
    // The line is fully formatted by us; spdlog only serialises writes.
    s->logger = std::make_shared<spdlog::logger>(
        "json", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    s->logger->set_pattern("%v");
    s->logger->set_level(spdlog::level::info);
    s->logger->flush_on(spdlog::level::trace);
    return s;
  }();
  return *state;
}

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Indexed by LogLevel: the one list of level names.
constexpr std::array<std::string_view, 5> kLevelNames = {
    "trace", "debug", "info", "warn", "error"};

std::string_view LevelName(LogLevel level) {
  return kLevelNames[static_cast<std::size_t>(level)];
}

// JSON string literal; invalid UTF-8 is replaced rather than rejected so a
// log call can never throw because of odd client input.
std::string JsonString(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsRequestIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
}

thread_local LogContextScope* current_scope = nullptr;

}  // namespace

LogValue::LogValue(std::string_view text) : json_(JsonString(text)) {}

LogValue::LogValue(double value)
    // JSON has no NaN/Infinity; encode those as strings.
    : json_(std::isfinite(value) ? nlohmann::json(value).dump()
                                 : JsonString(std::to_string(value))) {}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::string LogLevelNames() {
  std::string names;
  for (std::string_view name : kLevelNames) {
    if (!names.empty()) names += '|';
    names += name;
  }
  return names;
}

void InitLogging(std::string_view service_name, std::string_view level) {
  const std::optional<LogLevel> parsed = ParseLogLevel(level);
  if (!parsed) {
    throw ConfigError("unknown log level '" + std::string(level) +
                      "' (expected " + LogLevelNames() + ")");
  }
  LoggerState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  state.service = std::string(service_name);
  state.logger->set_level(ToSpdlog(*parsed));
}

std::string FormatLogLine(LogLevel level, std::string_view service,
                          std::string_view msg, LogFields fields) {
  std::string line;
  line.reserve(128 + msg.size());
  line += "{\"ts\":\"" + Rfc3339Millis(WallClockMs()) + "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"service\":" + JsonString(service);
  line += ",\"msg\":" + JsonString(msg);
  bool has_request_id = false;
  bool has_user_id = false;
  for (const LogField& field : fields) {
    has_request_id = has_request_id || field.key == "request_id";
    has_user_id = has_user_id || field.key == "user_id";
    line += ',' + JsonString(field.key) + ':' + field.value.json();
  }
  if (!has_request_id && !CurrentRequestId().empty()) {
    line += ",\"request_id\":" + JsonString(CurrentRequestId());
  }
  if (!has_user_id && !CurrentUserId().empty()) {
    line += ",\"user_id\":" + JsonString(CurrentUserId());
  }
  line += '}';
  return line;
}

bool LogEnabled(LogLevel level) {
  return State().logger->should_log(ToSpdlog(level));
}

void Log(LogLevel level, std::string_view msg, LogFields fields) {
  LoggerState& state = State();
  const auto spd_level = ToSpdlog(level);
  if (!state.logger->should_log(spd_level)) return;
  std::string service;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    service = state.service;
  }
  const std::string line = FormatLogLine(level, service, msg, fields);
  state.logger->log(spd_level, "{}", line);
}

std::string NewRequestId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = engine();
    for (int i = 0; i < 16; ++i) {
      id[half * 16 + i] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

std::string RequestIdFrom(const grpc::ServerContextBase& ctx) {
  const auto& metadata = ctx.client_metadata();
  auto it = metadata.find("x-request-id");
  if (it != metadata.end()) {
    std::string_view value(it->second.data(), it->second.size());
    bool sane = !value.empty() && value.size() <= 128;
    for (char c : value) sane = sane && IsRequestIdChar(c);
    if (sane) return std::string(value);
  }
  return NewRequestId();
}

LogContextScope::LogContextScope(std::string request_id)
    : previous_(current_scope), request_id_(std::move(request_id)) {
  current_scope = this;
}

LogContextScope::~LogContextScope() { current_scope = previous_; }

const std::string& CurrentRequestId() {
  static const std::string kEmpty;
  return current_scope != nullptr ? current_scope->request_id_ : kEmpty;
}

const std::string& CurrentUserId() {
  static const std::string kEmpty;
  return current_scope != nullptr ? current_scope->user_id_ : kEmpty;
}

bool SetCurrentUserId(std::string_view user_id) {
  if (current_scope == nullptr) return false;
  current_scope->user_id_ = std::string(user_id);
  return true;
}

}  // namespace cryptotracker::common
