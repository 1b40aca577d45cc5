// gRPC status helpers and the per-call guard that turns exceptions into
// statuses, so handlers never crash the server or leak internals.
//
// Typical handler:
//   grpc::Status Login(grpc::ServerContext* ctx, const LoginRequest* req,
//                      TokenResponse* resp) override {
//     return GuardedCall(ctx, "Login", [&]() -> grpc::Status {
//       if (req->email().empty()) throw ValidationError("email", "is
//       required");
//       ...
//       return grpc::Status::OK;
//     });
//   }
#ifndef CRYPTOTRACKER_SERVICES_COMMON_ERRORS_H_
#define CRYPTOTRACKER_SERVICES_COMMON_ERRORS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <pqxx/except>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "services/common/logging.h"

namespace cryptotracker::common {

// Bad caller input; GuardedCall maps it to INVALID_ARGUMENT "<field>:
// <problem>".
class ValidationError : public std::invalid_argument {
 public:
  ValidationError(std::string field, std::string problem);
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string field_;
  std::string problem_;
};

// A dependency is temporarily unavailable (e.g. no database connection could be
// had in time); GuardedCall maps it to UNAVAILABLE so clients may retry.
class UnavailableError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

// Carries a ready-made status out of nested code; GuardedCall returns it as is.
class StatusException : public std::exception {
 public:
  explicit StatusException(grpc::Status status) : status_(std::move(status)) {}
  const grpc::Status& status() const { return status_; }
  const char* what() const noexcept override {
    return status_.error_message().c_str();
  }

 private:
  grpc::Status status_;
};

// INVALID_ARGUMENT with message "<field>: <problem>".
grpc::Status InvalidArgument(std::string_view field, std::string_view problem);
grpc::Status NotFound(std::string_view message);
grpc::Status AlreadyExists(std::string_view message);
grpc::Status Unauthenticated(
    std::string_view message = "authentication required");
grpc::Status PermissionDenied(std::string_view message = "permission denied");
grpc::Status ResourceExhausted(std::string_view message);
grpc::Status FailedPrecondition(std::string_view message);
grpc::Status Unavailable(
    std::string_view message = "service temporarily unavailable");
// Logs `error` (at error level, with the request id) and returns INTERNAL
// "internal error (request id <id>)" without any internal detail.
grpc::Status Internal(std::string_view request_id, const std::exception& error);

// Stable lower-case name of a status code, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(grpc::StatusCode code);

// Which calls GuardedCall writes an access-log line for at info level.
enum class AccessLog {
  // Every call (server faults at warn).
  kEveryCall,
  // Failed calls only; successful ones at debug. For hot read-only methods
  // such as GetPrices, which answers thousands of calls a second and where
  // a line per call would cost more CPU than the call itself.
  kFailures,
};

namespace internal {
// Writes the access-log line for one call.
void LogAccess(std::string_view method, const grpc::Status& status,
               std::chrono::steady_clock::duration elapsed,
               std::string_view request_id, AccessLog access_log);
bool IsConnectionLoss(const pqxx::sql_error& error);
}  // namespace internal

// Runs one handler body with a LogContextScope for the call's request id (see
// CurrentRequestId()), maps exceptions to statuses and writes one access-log
// line (method, code, duration_ms, request_id). `fn` takes no arguments and
// returns grpc::Status or void (void means OK).
//   ValidationError          -> INVALID_ARGUMENT "<field>: <problem>"
//   StatusException          -> its status
//   pqxx::broken_connection,
//   UnavailableError         -> UNAVAILABLE
//   other std::exception     -> Internal() (logged, no detail to the caller)
template <class Fn>
grpc::Status GuardedCall(const grpc::ServerContextBase* ctx,
                         std::string_view method, Fn&& fn,
                         AccessLog access_log = AccessLog::kEveryCall) {
  const auto start = std::chrono::steady_clock::now();
  const std::string request_id =
      ctx != nullptr ? RequestIdFrom(*ctx) : NewRequestId();
  LogContextScope scope(request_id);
  grpc::Status status;
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<Fn>>) {
      std::forward<Fn>(fn)();
      status = grpc::Status::OK;
    } else {
      status = std::forward<Fn>(fn)();
    }
  } catch (const ValidationError& e) {
    status = InvalidArgument(e.field(), e.problem());
  } catch (const StatusException& e) {
    status = e.status();
  } catch (const pqxx::broken_connection& e) {
    LogWarn("database connection lost", {{"error", e.what()}});
    status = Unavailable();
  } catch (const UnavailableError& e) {
    LogWarn("dependency unavailable", {{"error", e.what()}});
    status = Unavailable();
  } catch (const pqxx::sql_error& e) {
    if (internal::IsConnectionLoss(e)) {
      LogWarn("database connection lost", {{"error", e.what()}});
      status = Unavailable();
    } else {
      status = Internal(request_id, e);
    }
  } catch (const std::exception& e) {
    status = Internal(request_id, e);
  } catch (...) {
    status = Internal(request_id, std::runtime_error("non-standard exception"));
  }
  internal::LogAccess(method, status, std::chrono::steady_clock::now() - start,
                      request_id, access_log);
  return status;
}

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_ERRORS_H_
