#include "services/common/errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace cryptotracker::common {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<nlohmann::json> Lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream stream(out);
  std::string line;
  while (std::getline(stream, line))
    lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(StatusHelpersTest, CodesAndMessages) {
  grpc::Status s = InvalidArgument("email", "must contain @");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "email: must contain @");
  EXPECT_EQ(NotFound("no such alert").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AlreadyExists("taken").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Unauthenticated().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(PermissionDenied().error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ResourceExhausted("slow down").error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(FailedPrecondition("x").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Unavailable().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::RESOURCE_EXHAUSTED),
            "RESOURCE_EXHAUSTED");
}

TEST(StatusHelpersTest, InternalHidesDetailButLogsIt) {
  ::testing::internal::CaptureStdout();
  grpc::Status s =
      Internal("req-42", std::runtime_error("relation users does not exist"));
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "internal error (request id req-42)");
  EXPECT_THAT(out, HasSubstr("relation users does not exist"));
  EXPECT_THAT(out, HasSubstr("req-42"));
}

class GuardedCallTest : public ::testing::Test {
 protected:
  // Runs `fn` under GuardedCall and returns its status and log lines.
  template <class Fn>
  std::pair<grpc::Status, std::vector<nlohmann::json>> Call(
      Fn fn, AccessLog access_log = AccessLog::kEveryCall) {
    grpc::ServerContext ctx;
    ::testing::internal::CaptureStdout();
    grpc::Status status = GuardedCall(&ctx, "Test/Method", fn, access_log);
    return {status, Lines(::testing::internal::GetCapturedStdout())};
  }
};

TEST_F(GuardedCallTest, ReturnsHandlerStatusAndLogsAccessLine) {
  std::string seen_request_id;
  auto [status, lines] = Call([&]() -> grpc::Status {
    seen_request_id = CurrentRequestId();
    return NotFound("nope");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["msg"], "rpc");
  EXPECT_EQ(lines[0]["method"], "Test/Method");
  EXPECT_EQ(lines[0]["code"], "NOT_FOUND");
  EXPECT_TRUE(lines[0]["duration_ms"].is_number());
  EXPECT_EQ(lines[0]["request_id"], seen_request_id);
  EXPECT_EQ(seen_request_id.size(), 32u);
  EXPECT_EQ(CurrentRequestId(), "");  // scope closed
}

TEST_F(GuardedCallTest, VoidHandlerMeansOk) {
  auto [status, lines] = Call([] {});
  EXPECT_TRUE(status.ok());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["code"], "OK");
}

TEST_F(GuardedCallTest, FailuresOnlyAccessLogSkipsSuccessfulCalls) {
  auto [ok_status, ok_lines] = Call([] {}, AccessLog::kFailures);
  EXPECT_TRUE(ok_status.ok());
  EXPECT_TRUE(ok_lines.empty());  // at debug, below the default info
  auto [status, lines] = Call([]() -> grpc::Status { return NotFound("nope"); },
                              AccessLog::kFailures);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["code"], "NOT_FOUND");
}

TEST_F(GuardedCallTest, MapsValidationError) {
  auto [status, lines] = Call([]() -> grpc::Status {
    throw ValidationError("quantity", "must be positive");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "quantity: must be positive");
}

TEST_F(GuardedCallTest, MapsStatusException) {
  auto [status, lines] = Call([]() -> grpc::Status {
    throw StatusException(AlreadyExists("email already registered"));
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(status.error_message(), "email already registered");
}

TEST_F(GuardedCallTest, MapsBrokenConnectionAndUnavailable) {
  auto [broken, lines1] = Call([]() -> grpc::Status {
    throw pqxx::broken_connection("server closed the connection");
  });
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(broken.error_message(), Not(HasSubstr("server closed")));
  auto [unavailable, lines2] =
      Call([]() -> grpc::Status { throw UnavailableError("pool empty"); });
  EXPECT_EQ(unavailable.error_code(), grpc::StatusCode::UNAVAILABLE);
  auto [shutdown, lines3] = Call([]() -> grpc::Status {
    throw pqxx::sql_error("terminating connection", "SELECT 1", "57P01");
  });
  EXPECT_EQ(shutdown.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GuardedCallTest, MapsOtherExceptionsToInternalWithoutDetail) {
  auto [status, lines] = Call([]() -> grpc::Status {
    throw pqxx::sql_error("duplicate key violates users_pkey",
                          "INSERT INTO users ...", "23505");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), HasSubstr("internal error (request id "));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("users")));
  ASSERT_EQ(lines.size(), 2u);  // the error detail, then the access line
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_THAT(lines[0]["error"].get<std::string>(), HasSubstr("users_pkey"));
  EXPECT_EQ(lines[1]["code"], "INTERNAL");
  EXPECT_EQ(lines[1]["level"], "warn");

  auto [odd, odd_lines] = Call([]() -> grpc::Status { throw 42; });
  EXPECT_EQ(odd.error_code(), grpc::StatusCode::INTERNAL);
}

TEST(ValidationErrorTest, Accessors) {
  ValidationError e("email", "is required");
  EXPECT_EQ(e.field(), "email");
  EXPECT_EQ(e.problem(), "is required");
  EXPECT_STREQ(e.what(), "email: is required");
}

}  // namespace
}  // namespace cryptotracker::common
