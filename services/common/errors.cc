#include "services/common/errors.h"

#include <cmath>
#include <string>

namespace cryptotracker::common {
namespace {

grpc::Status Make(grpc::StatusCode code, std::string_view message) {
  return grpc::Status(code, std::string(message));
}

}  // namespace

ValidationError::ValidationError(std::string field, std::string problem)
    : std::invalid_argument(field + ": " + problem),
      field_(std::move(field)),
      problem_(std::move(problem)) {}

grpc::Status InvalidArgument(std::string_view field, std::string_view problem) {
  std::string message(field);
  message += ": ";
  message += problem;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status NotFound(std::string_view message) {
  return Make(grpc::StatusCode::NOT_FOUND, message);
}
grpc::Status AlreadyExists(std::string_view message) {
  return Make(grpc::StatusCode::ALREADY_EXISTS, message);
}
grpc::Status Unauthenticated(std::string_view message) {
  return Make(grpc::StatusCode::UNAUTHENTICATED, message);
}
grpc::Status PermissionDenied(std::string_view message) {
  return Make(grpc::StatusCode::PERMISSION_DENIED, message);
}
grpc::Status ResourceExhausted(std::string_view message) {
  return Make(grpc::StatusCode::RESOURCE_EXHAUSTED, message);
}
grpc::Status FailedPrecondition(std::string_view message) {
  return Make(grpc::StatusCode::FAILED_PRECONDITION, message);
}
grpc::Status Unavailable(std::string_view message) {
  return Make(grpc::StatusCode::UNAVAILABLE, message);
}

grpc::Status Internal(std::string_view request_id,
                      const std::exception& error) {
  // The detail goes to the log only: exception texts can hold SQL, table
  // names or library internals that callers must not see.
  LogError("internal error",
           {{"request_id", request_id}, {"error", error.what()}});
  return grpc::Status(
      grpc::StatusCode::INTERNAL,
      "internal error (request id " + std::string(request_id) + ")");
}

std::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

namespace internal {

void LogAccess(std::string_view method, const grpc::Status& status,
               std::chrono::steady_clock::duration elapsed,
               std::string_view request_id, AccessLog access_log) {
  // Server-side faults are worth a warning; client mistakes are routine.
  const bool server_fault =
      status.error_code() == grpc::StatusCode::INTERNAL ||
      status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::UNKNOWN ||
      status.error_code() == grpc::StatusCode::DATA_LOSS;
  LogLevel level = server_fault ? LogLevel::kWarn : LogLevel::kInfo;
  if (status.ok() && access_log == AccessLog::kFailures) {
    level = LogLevel::kDebug;
  }
  if (!LogEnabled(level)) return;
  const double duration_ms =
      std::chrono::duration<double, std::milli>(elapsed).count();
  Log(level, "rpc",
      {{"method", method},
       {"code", StatusCodeName(status.error_code())},
       {"duration_ms", std::round(duration_ms * 1000.0) / 1000.0},
       {"request_id", request_id}});
}

bool IsConnectionLoss(const pqxx::sql_error& error) {
  const std::string& state = error.sqlstate();
  // Class 08 = connection exception; 57P01..57P03 = server shutting down or
  // starting up (what a restart looks like from an open session).
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

}  // namespace internal
}  // namespace cryptotracker::common
