#include "services/common/service_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "echo.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/logging.h"
#include "services/common/testing/test_server.h"

namespace cryptotracker::common {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::system_clock;
using EchoService = cryptotracker::common::testing::v1::EchoService;
using cryptotracker::common::testing::v1::EchoRequest;
using cryptotracker::common::testing::v1::EchoResponse;

constexpr char kValuesMethod[] =
    "cryptotracker.portfolio.v1.PortfolioInternalService/GetPortfolioValues";
constexpr char kWatchMethod[] =
    "cryptotracker.portfolio.v1.PortfolioInternalService/WatchPortfolioChanges";
constexpr char kEchoMethod[] =
    "cryptotracker.common.testing.v1.EchoService/Echo";

std::string NewKeyPem() { return *GenerateEcPrivateKeyPem(); }

std::string PublicPemOf(const std::string& private_pem) {
  return JwtSigner::FromPrivateKeyPem(private_pem)->PublicKeyPem();
}

// A JWT with arbitrary header and payload and a signature that is not one.
std::string UnsignedToken(const nlohmann::json& header,
                          const nlohmann::json& payload,
                          const std::string& signature) {
  return Base64UrlEncode(header.dump()) + "." +
         Base64UrlEncode(payload.dump()) + "." + signature;
}

class ServiceAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alert_key_ = NewKeyPem();
    user_service_key_ = NewKeyPem();
    now_ = std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());
    auto authenticator = ServiceAuthenticator::Create(
        "portfolio", {{"alert", PublicPemOf(alert_key_)}},
        {{"alert", {kValuesMethod}}});
    ASSERT_TRUE(authenticator.ok()) << authenticator.status();
    portfolio_ =
        std::make_unique<ServiceAuthenticator>(*std::move(authenticator));
  }

  // A token source of the alert-service for `callee`, on the test's clock.
  std::shared_ptr<ServiceTokenSource> AlertSource(
      const std::string& callee = "portfolio") {
    auto source = ServiceTokenSource::Create(alert_key_, "alert", callee,
                                             [this] { return now_; });
    EXPECT_TRUE(source.ok()) << source.status();
    return *source;
  }

  absl::StatusOr<ServiceIdentity> Check(
      const std::string& token, const std::string& method = kValuesMethod) {
    return portfolio_->AuthorizeToken(token, method, now_);
  }

  static void ExpectUnauthenticated(
      const absl::StatusOr<ServiceIdentity>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    // The reason never reaches the caller.
    EXPECT_EQ(result.status().message(), "service authentication required");
  }

  // Claims as the user-service puts them in an access token.
  JwtClaims UserClaims() const {
    JwtClaims claims;
    claims.subject = "7d0c6f8e-1b7a-4c55-9a43-7f8a1d2e3b4c";
    claims.issuer = "cryptotracker-user-service";
    claims.audience = "cryptotracker";
    claims.token_id = "user-token-1";
    claims.issued_at = now_;
    claims.expires_at = now_ + std::chrono::minutes(15);
    return claims;
  }

  std::string alert_key_;
  std::string user_service_key_;
  Clock::time_point now_;
  std::unique_ptr<ServiceAuthenticator> portfolio_;
};

TEST_F(ServiceAuthTest, MintedTokenAuthenticatesTheCaller) {
  auto source = AlertSource();
  auto identity = Check(source->Token());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->service, "alert");
  EXPECT_THAT(identity->token_id, ::testing::MatchesRegex("[0-9a-f]{32}"));
  // A leading '/' as gRPC writes full method names is the same method.
  EXPECT_TRUE(Check(source->Token(), std::string("/") + kValuesMethod).ok());
}

TEST_F(ServiceAuthTest, TokenCarriesServicePrincipalsAndShortLife) {
  const std::string token = AlertSource()->Token();
  const std::string payload_b64 =
      token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  const auto payload = nlohmann::json::parse(*Base64UrlDecode(payload_b64));
  EXPECT_EQ(payload["iss"], "service:alert");
  EXPECT_EQ(payload["sub"], "service:alert");
  EXPECT_EQ(payload["aud"], "service:portfolio");
  EXPECT_EQ(payload["exp"].get<int64_t>() - payload["iat"].get<int64_t>(),
            ServiceTokenSource::kLifetime.count());
}

TEST_F(ServiceAuthTest, SourceReusesTokenUntilCloseToExpiryThenRefreshes) {
  auto source = AlertSource();
  const std::string first = source->Token();
  now_ += ServiceTokenSource::kLifetime - ServiceTokenSource::kRefreshMargin -
          std::chrono::seconds(1);
  EXPECT_EQ(source->Token(), first);
  now_ += std::chrono::seconds(1);
  const std::string second = source->Token();
  EXPECT_NE(second, first);
  // The refreshed token is valid at least for the margin.
  now_ += ServiceTokenSource::kRefreshMargin - std::chrono::seconds(1);
  EXPECT_TRUE(Check(second).ok());
}

TEST_F(ServiceAuthTest, RefusesExpiredToken) {
  auto source = AlertSource();
  const std::string token = source->Token();
  now_ += ServiceTokenSource::kLifetime + JwtVerifier::kLeeway;
  ExpectUnauthenticated(Check(token));
}

TEST_F(ServiceAuthTest, RefusesTokenForAnotherService) {
  ExpectUnauthenticated(Check(AlertSource("user")->Token()));
}

TEST_F(ServiceAuthTest, RefusesUserTokenAsServiceToken) {
  // The user-service's own key is not a service key.
  ExpectUnauthenticated(Check(
      JwtSigner::FromPrivateKeyPem(user_service_key_)->Sign(UserClaims())));
  // Even signed with a trusted service key, user claims are no service's.
  auto alert_signer = JwtSigner::FromPrivateKeyPem(alert_key_);
  ExpectUnauthenticated(Check(alert_signer->Sign(UserClaims())));
  // Nor does a service's key make its holder a user of its choice.
  JwtClaims claims = UserClaims();
  claims.issuer = "service:alert";
  claims.audience = "service:portfolio";
  ExpectUnauthenticated(Check(alert_signer->Sign(claims)));
}

TEST_F(ServiceAuthTest, UserAuthenticatorRefusesServiceToken) {
  // Worst case: the service key is (wrongly) also trusted for user tokens.
  // The issuer and audience still keep a service token out.
  auto verifier = JwtVerifier::FromPublicKeysPem(
      PublicPemOf(user_service_key_) + PublicPemOf(alert_key_),
      "cryptotracker-user-service", "cryptotracker");
  ASSERT_TRUE(verifier.ok());
  const std::string token = AlertSource()->Token();
  EXPECT_FALSE(verifier->Verify(token, now_).ok());
  // A service token with the user audience does not pass either.
  auto for_cryptotracker = ServiceTokenSource::Create(
      alert_key_, "alert", "cryptotracker", [this] { return now_; });
  ASSERT_TRUE(for_cryptotracker.ok());
  EXPECT_FALSE(verifier->Verify((*for_cryptotracker)->Token(), now_).ok());
}

TEST_F(ServiceAuthTest, RefusesTokenSignedByUnknownKey) {
  auto impostor = ServiceTokenSource::Create(NewKeyPem(), "alert", "portfolio",
                                             [this] { return now_; });
  ASSERT_TRUE(impostor.ok());
  ExpectUnauthenticated(Check((*impostor)->Token()));
}

TEST_F(ServiceAuthTest, RefusesAlgNoneAndOtherAlgorithms) {
  auto source = AlertSource();
  const std::string kid = source->key_id();
  const nlohmann::json payload = {{"iss", "service:alert"},
                                  {"sub", "service:alert"},
                                  {"aud", "service:portfolio"},
                                  {"iat", Clock::to_time_t(now_)},
                                  {"exp", Clock::to_time_t(now_) + 60}};
  for (const char* alg : {"none", "None", "HS256", "RS256", "ES384"}) {
    const nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}, {"kid", kid}};
    ExpectUnauthenticated(Check(UnsignedToken(header, payload, "")));
    ExpectUnauthenticated(Check(UnsignedToken(header, payload, "c2ln")));
  }
}

TEST_F(ServiceAuthTest, RefusesTamperedToken) {
  const std::string token = AlertSource()->Token();
  const std::size_t first_dot = token.find('.');
  const std::size_t last_dot = token.rfind('.');
  // Same signature, payload claiming another caller.
  auto payload = nlohmann::json::parse(
      *Base64UrlDecode(token.substr(first_dot + 1, last_dot - first_dot - 1)));
  payload["sub"] = "service:user";
  payload["iss"] = "service:user";
  ExpectUnauthenticated(Check(token.substr(0, first_dot + 1) +
                              Base64UrlEncode(payload.dump()) +
                              token.substr(last_dot)));
  // A flipped signature character.
  std::string flipped = token;
  flipped[last_dot + 5] = flipped[last_dot + 5] == 'A' ? 'B' : 'A';
  ExpectUnauthenticated(Check(flipped));
  ExpectUnauthenticated(Check(""));
  ExpectUnauthenticated(Check("not.a.token"));
}

TEST_F(ServiceAuthTest, RefusesLongLivedTokenEvenFromATrustedKey) {
  JwtClaims claims;
  claims.subject = claims.issuer = "service:alert";
  claims.audience = "service:portfolio";
  claims.issued_at = now_;
  claims.expires_at = now_ + std::chrono::hours(24);
  auto signer = JwtSigner::FromPrivateKeyPem(alert_key_);
  ExpectUnauthenticated(Check(signer->Sign(claims)));
  // No iat: the lifetime cannot be checked.
  claims.issued_at = {};
  claims.expires_at = now_ + std::chrono::minutes(1);
  ExpectUnauthenticated(Check(signer->Sign(claims)));
}

TEST_F(ServiceAuthTest, PolicyDeniesMethodsNotAllowed) {
  auto result = Check(AlertSource()->Token(), kWatchMethod);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(result.status().message(), HasSubstr("alert"));
  EXPECT_THAT(result.status().message(), HasSubstr("WatchPortfolioChanges"));
}

TEST_F(ServiceAuthTest, PolicyWildcardCoversOneServiceOnly) {
  auto authenticator = ServiceAuthenticator::Create(
      "portfolio", {{"alert", PublicPemOf(alert_key_)}},
      {{"alert", {"cryptotracker.portfolio.v1.PortfolioInternalService/*"}}});
  ASSERT_TRUE(authenticator.ok());
  const std::string token = AlertSource()->Token();
  EXPECT_TRUE(authenticator->AuthorizeToken(token, kValuesMethod, now_).ok());
  EXPECT_TRUE(authenticator->AuthorizeToken(token, kWatchMethod, now_).ok());
  EXPECT_EQ(
      authenticator
          ->AuthorizeToken(
              token,
              "cryptotracker.portfolio.v1.PortfolioService/ListPortfolios",
              now_)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(ServiceAuthTest, TrustedKeysBelongToOneCallerEach) {
  const std::string other_key = NewKeyPem();
  auto two = ServiceAuthenticator::Create(
      "portfolio",
      {{"alert", PublicPemOf(alert_key_)}, {"user", PublicPemOf(other_key)}},
      {{"alert", {kValuesMethod}}, {"user", {kValuesMethod}}});
  ASSERT_TRUE(two.ok()) << two.status();
  // The alert key cannot speak for the user-service, nor the other way round.
  auto alert_as_user = ServiceTokenSource::Create(
      alert_key_, "user", "portfolio", [this] { return now_; });
  EXPECT_FALSE(
      two->AuthorizeToken((*alert_as_user)->Token(), kValuesMethod, now_).ok());
  auto user = ServiceTokenSource::Create(other_key, "user", "portfolio",
                                         [this] { return now_; });
  auto identity = two->AuthorizeToken((*user)->Token(), kValuesMethod, now_);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->service, "user");

  // One key under two names is refused at start-up.
  auto shared = ServiceAuthenticator::Create(
      "portfolio",
      {{"alert", PublicPemOf(alert_key_)}, {"user", PublicPemOf(alert_key_)}},
      {});
  EXPECT_EQ(shared.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServiceAuthTest, CreateRefusesBadConfiguration) {
  const std::string pem = PublicPemOf(alert_key_);
  EXPECT_FALSE(ServiceAuthenticator::Create("Portfolio", {}, {}).ok());
  EXPECT_FALSE(
      ServiceAuthenticator::Create("portfolio", {{"../alert", pem}}, {}).ok());
  EXPECT_FALSE(
      ServiceAuthenticator::Create("portfolio", {{"alert", "no pem"}}, {})
          .ok());
  // The policy names a caller without a key.
  EXPECT_FALSE(ServiceAuthenticator::Create("portfolio", {{"alert", pem}},
                                            {{"user", {kValuesMethod}}})
                   .ok());
  EXPECT_FALSE(ServiceAuthenticator::Create("portfolio", {{"alert", pem}},
                                            {{"alert", {"GetPortfolioValues"}}})
                   .ok());
  EXPECT_FALSE(ServiceTokenSource::Create(alert_key_, "alert", "").ok());
  EXPECT_FALSE(ServiceTokenSource::Create("no key", "alert", "portfolio").ok());
  // An authenticator with no trusted keys refuses everything.
  auto none = ServiceAuthenticator::Create("portfolio", {}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->AuthorizeToken(AlertSource()->Token(), kValuesMethod, now_)
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("service_auth_test_" + NewRequestId());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void Write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name) << contents;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST_F(ServiceAuthTest, FromDirectoryReadsOneFilePerCaller) {
  TempDir dir;
  dir.Write("alert.pem", PublicPemOf(alert_key_));
  dir.Write("README", "not a key");
  dir.Write(".hidden.pem", "ignored");
  dir.Write("alert-private.key", alert_key_);
  auto authenticator = ServiceAuthenticator::FromDirectory(
      "portfolio", dir.path(), {{"alert", {kValuesMethod}}});
  ASSERT_TRUE(authenticator.ok()) << authenticator.status();
  EXPECT_TRUE(
      authenticator->AuthorizeToken(AlertSource()->Token(), kValuesMethod, now_)
          .ok());
}

TEST_F(ServiceAuthTest, FromDirectoryRefusesBadKeysAndMissingDirectories) {
  TempDir dir;
  dir.Write("alert.pem", "garbage");
  auto garbage =
      ServiceAuthenticator::FromDirectory("portfolio", dir.path(), {});
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("alert"));
  auto missing =
      ServiceAuthenticator::FromDirectory("portfolio", "/nonexistent/keys", {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/keys"));
  // An empty directory trusts nobody; a policy naming a caller then fails.
  TempDir empty;
  EXPECT_TRUE(
      ServiceAuthenticator::FromDirectory("portfolio", empty.path(), {}).ok());
  EXPECT_FALSE(ServiceAuthenticator::FromDirectory("portfolio", empty.path(),
                                                   {{"alert", {kValuesMethod}}})
                   .ok());
}

// Through a real channel: the call credentials put the token on a plaintext
// call and the handler authorizes it from the metadata.
class EchoWithServiceAuth final : public EchoService::Service {
 public:
  explicit EchoWithServiceAuth(const ServiceAuthenticator* auth)
      : auth_(auth) {}

  grpc::Status Echo(grpc::ServerContext* ctx, const EchoRequest*,
                    EchoResponse* response) override {
    absl::StatusOr<ServiceIdentity> caller =
        auth_->Authorize(*ctx, kEchoMethod);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    response->set_text(caller->service);
    return grpc::Status::OK;
  }

 private:
  const ServiceAuthenticator* auth_;
};

TEST_F(ServiceAuthTest, CallCredentialsAuthenticateRealCalls) {
  auto authenticator = ServiceAuthenticator::Create(
      "portfolio", {{"alert", PublicPemOf(alert_key_)}},
      {{"alert", {kEchoMethod}}});
  ASSERT_TRUE(authenticator.ok());
  EchoWithServiceAuth service(&*authenticator);
  testing::TestServer server("service-auth-test", {&service});
  ASSERT_TRUE(server.WaitUntilServing());
  auto stub = EchoService::NewStub(server.NewChannel());
  auto source = ServiceTokenSource::Create(alert_key_, "alert", "portfolio");
  ASSERT_TRUE(source.ok());

  {
    grpc::ClientContext ctx;
    ctx.set_credentials((*source)->CallCredentials());
    EchoResponse response;
    grpc::Status status = stub->Echo(&ctx, EchoRequest(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.text(), "alert");
  }
  {
    grpc::ClientContext ctx;
    (*source)->Attach(ctx);
    EchoResponse response;
    ASSERT_TRUE(stub->Echo(&ctx, EchoRequest(), &response).ok());
    EXPECT_EQ(response.text(), "alert");
  }
  {
    // A user's bearer token on the internal method.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization",
                    "Bearer " + JwtSigner::FromPrivateKeyPem(user_service_key_)
                                    ->Sign(UserClaims()));
    EchoResponse response;
    grpc::Status status = stub->Echo(&ctx, EchoRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "service authentication required");
  }
  {
    grpc::ClientContext ctx;
    EchoResponse response;
    EXPECT_EQ(stub->Echo(&ctx, EchoRequest(), &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
}

}  // namespace
}  // namespace cryptotracker::common
