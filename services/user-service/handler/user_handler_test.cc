// Integration test: the UserService over a real gRPC channel, backed by a real
// PostgreSQL database.
#include "services/user-service/handler/user_handler.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/blocking_executor.h"
#include "services/common/db.h"
#include "services/common/jwt.h"
#include "services/common/migrations.h"
#include "services/common/testing/pg_test_db.h"
#include "services/common/testing/test_server.h"
#include "services/user-service/migrations.h"

namespace cryptotracker::user::handler {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kPassword = "correct horse 9";

std::shared_ptr<const common::JwtSigner> NewSigner() {
  auto pem = common::GenerateEcPrivateKeyPem();
  EXPECT_TRUE(pem.ok());
  auto signer = common::JwtSigner::FromPrivateKeyPem(*pem);
  EXPECT_TRUE(signer.ok());
  return std::make_shared<const common::JwtSigner>(*std::move(signer));
}

class UserHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<common::testing::PgTestDb>("user_handler");
    pool_ =
        std::make_unique<common::ConnectionPool>(db_->connection_string(), 4);
    common::ApplyMigrations(*pool_, "user-service", migrations::Migrations());
    repository_ = std::make_unique<storage::UserRepository>(*pool_);
    // The cheapest Argon2id keeps the many sign-ins of these tests fast; the
    // production cost is covered by the domain tests.
    hasher_ = std::make_unique<domain::PasswordHasher>(
        domain::PasswordHasher::MinimumCostForTests());
    signer_ = NewSigner();
    executor_ = std::make_unique<common::BlockingExecutor>(
        4, common::kMaxQueuedBlockingCalls);
    handler_ = std::make_unique<UserHandler>(*repository_, *hasher_, signer_,
                                             UserServiceSettings{}, *executor_);

    server_ = std::make_unique<common::testing::TestServer>(
        "user-service-test", std::vector<grpc::Service*>{handler_.get()});
    ASSERT_TRUE(server_->WaitUntilServing());
    channel_ = server_->NewChannel();
    stub_ = v1::UserService::NewStub(channel_);
  }

  void TearDown() override {
    stub_.reset();
    server_.reset();
    handler_.reset();
    executor_.reset();
    repository_.reset();
    pool_.reset();
    db_.reset();
  }

  // A context from client address `address` (as the gateway forwards it),
  // optionally carrying an access token.
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& access_token = "",
      const std::string& address = "203.0.113.10") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    context->AddMetadata("x-real-ip", address);
    if (!access_token.empty()) {
      context->AddMetadata("authorization", "Bearer " + access_token);
    }
    return context;
  }

  grpc::Status Register(const std::string& email, const std::string& password,
                        const std::string& display_name = "",
                        v1::RegisterResponse* response = nullptr) {
    v1::RegisterRequest request;
    request.set_email(email);
    request.set_password(password);
    request.set_display_name(display_name);
    v1::RegisterResponse ignored;
    return stub_->Register(Context().get(), request,
                           response ? response : &ignored);
  }

  grpc::Status Login(const std::string& email, const std::string& password,
                     v1::TokenResponse* response = nullptr,
                     const std::string& address = "203.0.113.10") {
    v1::LoginRequest request;
    request.set_email(email);
    request.set_password(password);
    v1::TokenResponse ignored;
    return stub_->Login(Context("", address).get(), request,
                        response ? response : &ignored);
  }

  grpc::Status Refresh(const std::string& refresh_token,
                       v1::TokenResponse* response = nullptr) {
    v1::RefreshRequest request;
    request.set_refresh_token(refresh_token);
    v1::TokenResponse ignored;
    return stub_->Refresh(Context().get(), request,
                          response ? response : &ignored);
  }

  grpc::Status Logout(const std::string& refresh_token) {
    v1::LogoutRequest request;
    request.set_refresh_token(refresh_token);
    v1::LogoutResponse response;
    return stub_->Logout(Context().get(), request, &response);
  }

  grpc::Status GetMe(const std::string& access_token,
                     v1::User* user = nullptr) {
    v1::User ignored;
    return stub_->GetMe(Context(access_token).get(), v1::GetMeRequest(),
                        user ? user : &ignored);
  }

  grpc::Status ChangePassword(const std::string& access_token,
                              const std::string& current,
                              const std::string& next) {
    v1::ChangePasswordRequest request;
    request.set_current_password(current);
    request.set_new_password(next);
    v1::ChangePasswordResponse response;
    return stub_->ChangePassword(Context(access_token).get(), request,
                                 &response);
  }

  // Registers `email` and signs in.
  v1::TokenResponse SignedInUser(const std::string& email) {
    EXPECT_TRUE(Register(email, kPassword).ok());
    v1::TokenResponse tokens;
    EXPECT_TRUE(Login(email, kPassword, &tokens).ok());
    return tokens;
  }

  std::unique_ptr<common::testing::PgTestDb> db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  std::unique_ptr<storage::UserRepository> repository_;
  std::unique_ptr<domain::PasswordHasher> hasher_;
  std::shared_ptr<const common::JwtSigner> signer_;
  std::unique_ptr<common::BlockingExecutor> executor_;
  std::unique_ptr<UserHandler> handler_;
  std::unique_ptr<common::testing::TestServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::UserService::Stub> stub_;
};

TEST_F(UserHandlerTest, RegistersWithNormalisedEmailAndDefaultName) {
  v1::RegisterResponse response;
  ASSERT_TRUE(Register("  Alice@Example.COM ", kPassword, "", &response).ok());
  EXPECT_EQ(response.user().email(), "alice@example.com");
  EXPECT_EQ(response.user().display_name(), "alice");
  EXPECT_EQ(response.user().id().size(), 36u);
  EXPECT_GT(response.user().create_time().seconds(), 1700000000);
  EXPECT_EQ(response.user().update_time().seconds(),
            response.user().create_time().seconds());
}

TEST_F(UserHandlerTest, RegisterTrimsChosenDisplayName) {
  v1::RegisterResponse response;
  ASSERT_TRUE(Register("bob@example.com", kPassword, "  Bob \xF0\x9F\x9A\x80  ",
                       &response)
                  .ok());
  EXPECT_EQ(response.user().display_name(), "Bob \xF0\x9F\x9A\x80");
}

TEST_F(UserHandlerTest, DuplicateNormalisedEmailIsAlreadyExists) {
  ASSERT_TRUE(Register("carol@example.com", kPassword).ok());
  const grpc::Status duplicate = Register(" CAROL@example.com", kPassword);
  EXPECT_EQ(duplicate.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(UserHandlerTest, RegisterNamesTheInvalidField) {
  grpc::Status status = Register("not-an-email", kPassword);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("email"));

  status = Register("dave@example.com", "short1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("password"));

  status = Register("dave@example.com", "DAVE@example.com");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("password"));

  status = Register("dave@example.com", kPassword, std::string(65, 'd'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("display_name"));

  status = Register("dave@example.com", kPassword, "Dave\nAdmin");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("display_name"));

  status = Register("x'; DROP TABLE users;--@example.com", kPassword);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Nothing was created by the failed attempts.
  EXPECT_TRUE(Register("dave@example.com", kPassword).ok());
}

TEST_F(UserHandlerTest, LoginIssuesTokensThatAuthenticate) {
  ASSERT_TRUE(Register("erin@example.com", kPassword, "Erin").ok());
  v1::TokenResponse tokens;
  ASSERT_TRUE(Login(" ERIN@example.com", kPassword, &tokens).ok());
  EXPECT_EQ(tokens.token_type(), "Bearer");
  EXPECT_EQ(tokens.expires_in(), 900);
  EXPECT_EQ(tokens.refresh_expires_in(), 2592000);
  EXPECT_EQ(tokens.refresh_token().size(), 43u);
  EXPECT_EQ(std::count(tokens.access_token().begin(),
                       tokens.access_token().end(), '.'),
            2);

  // The access token verifies with the published key and names the user.
  auto verifier = common::JwtVerifier::FromPublicKeysPem(
      signer_->PublicKeyPem(), "cryptotracker-user-service", "cryptotracker");
  ASSERT_TRUE(verifier.ok());
  auto claims =
      verifier->Verify(tokens.access_token(), std::chrono::system_clock::now());
  ASSERT_TRUE(claims.ok()) << claims.status().message();
  EXPECT_EQ(claims->token_id.size(), 32u);

  v1::User me;
  ASSERT_TRUE(GetMe(tokens.access_token(), &me).ok());
  EXPECT_EQ(me.email(), "erin@example.com");
  EXPECT_EQ(me.display_name(), "Erin");
  EXPECT_EQ(me.id(), claims->subject);
}

TEST_F(UserHandlerTest, WrongPasswordAndUnknownEmailLookTheSame) {
  ASSERT_TRUE(Register("frank@example.com", kPassword).ok());
  const grpc::Status wrong = Login("frank@example.com", "wrong password 1");
  const grpc::Status unknown = Login("nobody@example.com", kPassword);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), "invalid email or password");
  EXPECT_EQ(unknown.error_message(), wrong.error_message());
}

TEST_F(UserHandlerTest, LoginValidatesPresence) {
  grpc::Status status = Login("", kPassword);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("email"));
  status = Login("grace@example.com", "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("password"));
  status = Login("grace@example.com", std::string(129, 'p'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UserHandlerTest, TwentyWrongPasswordsHitTheAccountThrottle) {
  ASSERT_TRUE(Register("heidi@example.com", kPassword).ok());
  int unauthenticated = 0;
  int exhausted = 0;
  for (int i = 0; i < 20; ++i) {
    const grpc::Status status =
        Login("heidi@example.com", "wrong password " + std::to_string(i));
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      ++unauthenticated;
    } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_THAT(status.error_message(), HasSubstr("retry later"));
    }
  }
  EXPECT_EQ(unauthenticated, 10);
  EXPECT_EQ(exhausted, 10);
  // Even the right password is refused while throttled, from any address.
  EXPECT_EQ(Login("heidi@example.com", kPassword, nullptr, "198.51.100.77")
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Other accounts from the same address still work.
  ASSERT_TRUE(Register("ivan@example.com", kPassword).ok());
  EXPECT_TRUE(Login("ivan@example.com", kPassword).ok());
}

TEST_F(UserHandlerTest, UnknownEmailsAreThrottledToo) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Login("ghost@example.com", kPassword).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(Login("ghost@example.com", kPassword).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(UserHandlerTest, ThrottlesPerClientAddress) {
  // 50 failures over different accounts from one address...
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Login("spray" + std::to_string(i) + "@example.com", kPassword,
                    nullptr, "192.0.2.66")
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // ...block that address for a fresh account, but not other addresses.
  ASSERT_TRUE(Register("judy@example.com", kPassword).ok());
  EXPECT_EQ(
      Login("judy@example.com", kPassword, nullptr, "192.0.2.66").error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Login("judy@example.com", kPassword, nullptr, "192.0.2.67").ok());
}

TEST_F(UserHandlerTest, SuccessfulLoginClearsAccountFailures) {
  ASSERT_TRUE(Register("kim@example.com", kPassword).ok());
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(Login("kim@example.com", "wrong password 1").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  ASSERT_TRUE(Login("kim@example.com", kPassword).ok());
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(Login("kim@example.com", "wrong password 1").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(UserHandlerTest, RefreshRotatesAndReuseRevokesTheFamily) {
  const v1::TokenResponse login = SignedInUser("lee@example.com");
  v1::TokenResponse rotated;
  ASSERT_TRUE(Refresh(login.refresh_token(), &rotated).ok());
  EXPECT_NE(rotated.refresh_token(), login.refresh_token());
  EXPECT_NE(rotated.access_token(), login.access_token());
  EXPECT_TRUE(GetMe(rotated.access_token()).ok());

  // Presenting the spent token again fails...
  const grpc::Status reuse = Refresh(login.refresh_token());
  EXPECT_EQ(reuse.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // ...and has revoked the live token of the same family.
  EXPECT_EQ(Refresh(rotated.refresh_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A separate sign-in is a separate family and still works.
  v1::TokenResponse second;
  ASSERT_TRUE(Login("lee@example.com", kPassword, &second).ok());
  EXPECT_TRUE(Refresh(second.refresh_token()).ok());
}

TEST_F(UserHandlerTest, RefreshRejectsMalformedUnknownAndExpiredTokens) {
  grpc::Status status = Refresh("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("refresh_token"));
  status = Refresh("not a token'; --");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Refresh(std::string(43, 'A')).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const v1::TokenResponse login = SignedInUser("mia@example.com");
  pool_->WithTransaction([](pqxx::work& tx) {
    tx.exec(
        "UPDATE refresh_tokens SET issued_at = now() - interval '2 days', "
        "expires_at = now() - interval '1 day'");
  });
  EXPECT_EQ(Refresh(login.refresh_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(UserHandlerTest, LogoutEndsTheSessionIdempotently) {
  const v1::TokenResponse login = SignedInUser("ned@example.com");
  EXPECT_TRUE(Logout(login.refresh_token()).ok());
  EXPECT_TRUE(Logout(login.refresh_token()).ok());
  EXPECT_EQ(Refresh(login.refresh_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Unknown but well-formed: OK, so as not to reveal which tokens exist.
  EXPECT_TRUE(Logout(std::string(42, 'Z') + "A").ok());
  const grpc::Status malformed = Logout("x");
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(malformed.error_message(), StartsWith("refresh_token"));
}

TEST_F(UserHandlerTest, ChangePasswordRevokesEveryRefreshToken) {
  const v1::TokenResponse first = SignedInUser("olga@example.com");
  v1::TokenResponse second;
  ASSERT_TRUE(Login("olga@example.com", kPassword, &second).ok());
  const std::string new_password = "battery staple 7";

  grpc::Status status =
      ChangePassword(first.access_token(), "wrong password 1", new_password);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("current_password"));
  status = ChangePassword(first.access_token(), kPassword, kPassword);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("new_password"));
  status = ChangePassword(first.access_token(), kPassword, "weak");
  EXPECT_THAT(status.error_message(), StartsWith("new_password"));
  EXPECT_EQ(ChangePassword("", kPassword, new_password).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  ASSERT_TRUE(
      ChangePassword(first.access_token(), kPassword, new_password).ok());
  EXPECT_EQ(Refresh(first.refresh_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Refresh(second.refresh_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Login("olga@example.com", kPassword).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Login("olga@example.com", new_password).ok());
}

TEST_F(UserHandlerTest, AuthenticatedCallsRejectBadTokens) {
  const v1::TokenResponse login = SignedInUser("pat@example.com");
  EXPECT_EQ(GetMe("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetMe("garbage").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The refresh token is not an access token.
  EXPECT_EQ(GetMe(login.refresh_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A well-formed token from another signer.
  auto other_signer = NewSigner();
  auto verifier = common::JwtVerifier::FromPublicKeysPem(
      signer_->PublicKeyPem(), "cryptotracker-user-service", "cryptotracker");
  ASSERT_TRUE(verifier.ok());
  auto claims =
      verifier->Verify(login.access_token(), std::chrono::system_clock::now());
  ASSERT_TRUE(claims.ok());
  const std::string forged = other_signer->Sign(*claims);
  EXPECT_EQ(GetMe(forged).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // An expired token of the right signer.
  common::JwtClaims expired = *claims;
  expired.issued_at -= std::chrono::hours(2);
  expired.not_before = expired.issued_at;
  expired.expires_at = std::chrono::system_clock::now() - std::chrono::hours(1);
  EXPECT_EQ(GetMe(signer_->Sign(expired)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A valid token of a user that no longer exists.
  pool_->WithTransaction([](pqxx::work& tx) { tx.exec("DELETE FROM users"); });
  EXPECT_EQ(GetMe(login.access_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(UserHandlerTest, UpdateMeChangesOnlySetFields) {
  const v1::TokenResponse login = SignedInUser("quinn@example.com");
  v1::UpdateMeRequest request;
  v1::User user;
  ASSERT_TRUE(
      stub_->UpdateMe(Context(login.access_token()).get(), request, &user)
          .ok());
  EXPECT_EQ(user.display_name(), "quinn");

  request.set_display_name("  Quinn Q.  ");
  ASSERT_TRUE(
      stub_->UpdateMe(Context(login.access_token()).get(), request, &user)
          .ok());
  EXPECT_EQ(user.display_name(), "Quinn Q.");
  v1::User me;
  ASSERT_TRUE(GetMe(login.access_token(), &me).ok());
  EXPECT_EQ(me.display_name(), "Quinn Q.");

  request.set_display_name("   ");
  const grpc::Status status =
      stub_->UpdateMe(Context(login.access_token()).get(), request, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("display_name"));
  EXPECT_EQ(stub_->UpdateMe(Context().get(), request, &user).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(UserHandlerTest, JwksPublishesTheSigningKey) {
  v1::Jwks jwks;
  ASSERT_TRUE(
      stub_->GetJwks(Context().get(), v1::GetJwksRequest(), &jwks).ok());
  ASSERT_EQ(jwks.keys_size(), 1);
  const v1::Jwk& key = jwks.keys(0);
  EXPECT_EQ(key.kty(), "EC");
  EXPECT_EQ(key.crv(), "P-256");
  EXPECT_EQ(key.alg(), "ES256");
  EXPECT_EQ(key.use(), "sig");
  EXPECT_EQ(key.kid(), signer_->key_id());
  EXPECT_EQ(key.x().size(), 43u);
  EXPECT_EQ(key.y().size(), 43u);
  EXPECT_EQ(key.x(), signer_->public_jwk().x);
  EXPECT_EQ(key.y(), signer_->public_jwk().y);
  // Built once, answered the same every time.
  v1::Jwks again;
  ASSERT_TRUE(
      stub_->GetJwks(Context().get(), v1::GetJwksRequest(), &again).ok());
  EXPECT_EQ(again.SerializeAsString(), jwks.SerializeAsString());
}

}  // namespace
}  // namespace cryptotracker::user::handler
