#include "services/common/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <regex>

#include "echo.grpc.pb.h"
#include "services/common/errors.h"
#include "services/common/server.h"

namespace cryptotracker::common {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using EchoService = cryptotracker::common::testing::v1::EchoService;
using cryptotracker::common::testing::v1::EchoRequest;
using cryptotracker::common::testing::v1::EchoResponse;
using Clock = std::chrono::system_clock;

constexpr char kIssuer[] = "cryptotracker-user-service";
constexpr char kAudience[] = "cryptotracker";

// A handler written the way services are meant to write theirs.
class EchoImpl final : public EchoService::Service {
 public:
  explicit EchoImpl(const Authenticator* auth) : auth_(auth) {}

  grpc::Status Echo(grpc::ServerContext* ctx, const EchoRequest* request,
                    EchoResponse* response) override {
    return GuardedCall(ctx, "EchoService/Echo", [&]() -> grpc::Status {
      if (request->require_auth()) {
        absl::StatusOr<Principal> principal = auth_->Authenticate(*ctx);
        if (!principal.ok()) return ToGrpcStatus(principal.status());
        if (principal->user_id != CurrentUserId()) {
          return grpc::Status(grpc::StatusCode::INTERNAL,
                              "user id not recorded");
        }
        response->set_text(principal->token_id);
      }
      if (request->fail_with() == "validation") {
        throw ValidationError("text", "must not be empty");
      }
      if (request->fail_with() == "internal") {
        throw std::runtime_error("SELECT secret FROM internals failed");
      }
      response->set_request_id(CurrentRequestId());
      response->set_user_id(CurrentUserId());
      response->set_client_address(ClientAddress(*ctx));
      return grpc::Status::OK;
    });
  }

 private:
  const Authenticator* auth_;
};

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto signer = JwtSigner::FromPrivateKeyPem(*GenerateEcPrivateKeyPem());
    ASSERT_TRUE(signer.ok());
    signer_ = std::make_unique<JwtSigner>(*std::move(signer));
    auto verifier = JwtVerifier::FromPublicKeysPem(signer_->PublicKeyPem(),
                                                   kIssuer, kAudience);
    ASSERT_TRUE(verifier.ok());
    auth_ = std::make_unique<Authenticator>(
        std::make_shared<const JwtVerifier>(*std::move(verifier)));
    echo_ = std::make_unique<EchoImpl>(auth_.get());

    ServerOptions options;
    options.service_name = "auth-test";
    options.shutdown_grace = std::chrono::seconds(1);
    server_ = std::make_unique<GrpcServer>(
        options, std::vector<grpc::Service*>{echo_.get()});
    run_ = std::async(std::launch::async, [this] { server_->Run(); });
    ASSERT_TRUE(server_->WaitUntilServing(std::chrono::seconds(10)));
    stub_ = EchoService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->bound_port()),
        grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Stop();
    run_.get();
  }

  std::string Token(Clock::duration expires_in = std::chrono::minutes(15)) {
    JwtClaims claims;
    claims.subject = "user-77";
    claims.issuer = kIssuer;
    claims.audience = kAudience;
    claims.token_id = "token-5";
    claims.issued_at = Clock::now();
    claims.expires_at = Clock::now() + expires_in;
    return signer_->Sign(claims);
  }

  grpc::Status Call(const std::multimap<std::string, std::string>& metadata,
                    const EchoRequest& request, EchoResponse* response) {
    grpc::ClientContext ctx;
    for (const auto& [key, value] : metadata) ctx.AddMetadata(key, value);
    return stub_->Echo(&ctx, request, response);
  }

  grpc::Status CallAuthenticated(const std::string& authorization,
                                 EchoResponse* response) {
    EchoRequest request;
    request.set_require_auth(true);
    return Call({{"authorization", authorization}}, request, response);
  }

  std::unique_ptr<JwtSigner> signer_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<EchoImpl> echo_;
  std::unique_ptr<GrpcServer> server_;
  std::future<void> run_;
  std::unique_ptr<EchoService::Stub> stub_;
};

TEST_F(AuthTest, AcceptsValidBearerToken) {
  EchoResponse response;
  grpc::Status status = CallAuthenticated("Bearer " + Token(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.user_id(), "user-77");
  EXPECT_EQ(response.text(), "token-5");
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_TRUE(CallAuthenticated("bearer " + Token(), &response).ok());
  EXPECT_TRUE(CallAuthenticated("BEARER " + Token(), &response).ok());
}

TEST_F(AuthTest, RejectsMissingOrBadCredentialsWithGenericMessage) {
  const std::string valid = Token();
  std::string tampered = valid;
  tampered[tampered.size() / 2] =
      tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  const std::vector<std::string> bad = {
      "",                                         // empty value
      "Bearer",                                   // no token
      "Bearer ",                                  // blank token
      "Basic dXNlcjpwYXNz",                       // other scheme
      "Bearers " + valid,                         // other scheme
      valid,                                      // no scheme
      "Bearer not.a.jwt",                         // garbage
      "Bearer " + tampered,                       // bad signature
      "Bearer " + Token(-std::chrono::hours(1)),  // expired
  };
  for (const std::string& authorization : bad) {
    EchoResponse response;
    grpc::Status status = CallAuthenticated(authorization, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << authorization;
    EXPECT_EQ(status.error_message(), "authentication required")
        << authorization;
  }
  EchoRequest request;
  request.set_require_auth(true);
  EchoResponse response;
  grpc::Status status = Call({}, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "authentication required");
  // Two authorization values are ambiguous: refused.
  status = Call({{"authorization", "Bearer " + Token()},
                 {"authorization", "Bearer " + Token()}},
                request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, UserIdDoesNotLeakIntoTheNextCall) {
  EchoResponse response;
  ASSERT_TRUE(CallAuthenticated("Bearer " + Token(), &response).ok());
  for (int i = 0; i < 5; ++i) {
    EchoResponse anonymous;
    ASSERT_TRUE(Call({}, EchoRequest(), &anonymous).ok());
    EXPECT_EQ(anonymous.user_id(), "");
  }
}

TEST_F(AuthTest, RequestIdComesFromMetadataOrIsGenerated) {
  EchoResponse response;
  ASSERT_TRUE(
      Call({{"x-request-id", "gw-123.abc"}}, EchoRequest(), &response).ok());
  EXPECT_EQ(response.request_id(), "gw-123.abc");
  ASSERT_TRUE(Call({}, EchoRequest(), &response).ok());
  EXPECT_TRUE(
      std::regex_match(response.request_id(), std::regex("[0-9a-f]{32}")));
  // Hostile or oversized ids are replaced, not logged verbatim.
  ASSERT_TRUE(
      Call({{"x-request-id", "a\"b{}"}}, EchoRequest(), &response).ok());
  EXPECT_TRUE(
      std::regex_match(response.request_id(), std::regex("[0-9a-f]{32}")));
  ASSERT_TRUE(
      Call({{"x-request-id", std::string(200, 'a')}}, EchoRequest(), &response)
          .ok());
  EXPECT_EQ(response.request_id().size(), 32u);
}

TEST_F(AuthTest, ClientAddressPrefersValidXRealIp) {
  EchoResponse response;
  ASSERT_TRUE(Call({}, EchoRequest(), &response).ok());
  EXPECT_EQ(response.client_address(), "127.0.0.1");
  ASSERT_TRUE(
      Call({{"x-real-ip", "203.0.113.7"}}, EchoRequest(), &response).ok());
  EXPECT_EQ(response.client_address(), "203.0.113.7");
  ASSERT_TRUE(
      Call({{"x-real-ip", "2001:db8::1"}}, EchoRequest(), &response).ok());
  EXPECT_EQ(response.client_address(), "2001:db8::1");
  ASSERT_TRUE(
      Call({{"x-real-ip", "not-an-ip"}}, EchoRequest(), &response).ok());
  EXPECT_EQ(response.client_address(), "127.0.0.1");
}

TEST_F(AuthTest, GuardedCallMapsHandlerFailures) {
  EchoRequest request;
  EchoResponse response;
  request.set_fail_with("validation");
  grpc::Status status = Call({}, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "text: must not be empty");
  request.set_fail_with("internal");
  status = Call({{"x-request-id", "req-internal-1"}}, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(),
            "internal error (request id req-internal-1)");
  EXPECT_THAT(status.error_message(), Not(HasSubstr("secret")));
}

TEST(ToGrpcStatusTest, KeepsCodeAndMessage) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("no such portfolio"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such portfolio");
  EXPECT_EQ(ToGrpcStatus(absl::ResourceExhaustedError("x")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace cryptotracker::common
