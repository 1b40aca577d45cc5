#include "services/user-service/handler/user_handler.h"

#include <stdexcept>
#include <utility>

#include "services/common/digest.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/user-service/domain/display_name.h"
#include "services/user-service/domain/email.h"
#include "services/user-service/domain/password_policy.h"
#include "services/user-service/domain/refresh_token.h"

namespace cryptotracker::user::handler {
namespace {

using common::StatusException;
using common::ValidationError;

// One message for unknown email and wrong password, so that sign-in does not
// reveal which emails have accounts.
constexpr std::string_view kBadCredentials = "invalid email or password";
// One message for every unusable refresh token (unknown, expired, spent,
// revoked): the caller must sign in again in all cases.
constexpr std::string_view kBadRefreshToken =
    "invalid or expired refresh token";
// Longest client address stored (matches the column's CHECK); anything
// longer is a peer string, not an IP address.
constexpr size_t kMaxClientAddressLength = 256;

std::shared_ptr<const common::JwtVerifier> VerifierFor(
    const common::JwtSigner& signer, const UserServiceSettings& settings) {
  auto verifier = common::JwtVerifier::FromPublicKeysPem(
      signer.PublicKeyPem(), settings.issuer, settings.audience);
  if (!verifier.ok()) {
    throw std::runtime_error(
        "cannot build the access-token verifier from the signing key: " +
        std::string(verifier.status().message()));
  }
  return std::make_shared<const common::JwtVerifier>(*std::move(verifier));
}

std::string ClientAddressOf(const grpc::ServerContextBase& context) {
  std::string address = common::ClientAddress(context);
  if (address.empty()) address = "unknown";
  if (address.size() > kMaxClientAddressLength) {
    address.resize(kMaxClientAddressLength);
  }
  return address;
}

// The throttle key of an account: a digest of the normalised email, so that
// whatever was typed into the email field (sometimes a password) is not kept.
std::string AccountKey(const std::string& normalized_email) {
  return common::Sha256Hex(normalized_email);
}

void SetTimestamp(std::chrono::system_clock::time_point time,
                  google::protobuf::Timestamp* out) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  out->set_seconds(seconds.count());
  out->set_nanos(
      static_cast<int32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               since_epoch - seconds)
                               .count()));
}

void FillUser(const storage::UserRecord& record, v1::User* out) {
  out->set_id(record.id);
  out->set_email(record.email);
  out->set_display_name(record.display_name);
  SetTimestamp(record.created_at, out->mutable_create_time());
  SetTimestamp(record.updated_at, out->mutable_update_time());
}

// Checks a presented refresh token's shape; INVALID_ARGUMENT names the field.
void RequireWellFormedRefreshToken(const std::string& token) {
  if (token.empty()) throw ValidationError("refresh_token", "is required");
  if (!domain::IsWellFormedRefreshToken(token)) {
    throw ValidationError("refresh_token", "is malformed");
  }
}

// The signing key is fixed for the life of the handler, so is its JWKS.
v1::Jwks JwksOf(const common::JwtSigner& signer) {
  const common::PublicJwk& jwk = signer.public_jwk();
  v1::Jwks jwks;
  v1::Jwk* key = jwks.add_keys();
  key->set_kty(jwk.kty);
  key->set_kid(jwk.kid);
  key->set_use(jwk.use);
  key->set_alg(jwk.alg);
  key->set_crv(jwk.crv);
  key->set_x(jwk.x);
  key->set_y(jwk.y);
  return jwks;
}

grpc::Status BadCredentials() {
  return common::Unauthenticated(kBadCredentials);
}

}  // namespace

UserHandler::UserHandler(storage::UserRepository& repository,
                         const domain::PasswordHasher& hasher,
                         std::shared_ptr<const common::JwtSigner> signer,
                         UserServiceSettings settings,
                         common::BlockingExecutor& blocking)
    : repository_(repository),
      hasher_(hasher),
      signer_(std::move(signer)),
      authenticator_(VerifierFor(*signer_, settings)),
      jwks_(JwksOf(*signer_)),
      settings_(std::move(settings)),
      blocking_(blocking) {}

grpc::ServerUnaryReactor* UserHandler::Register(
    grpc::CallbackServerContext* context, const v1::RegisterRequest* request,
    v1::RegisterResponse* response) {
  return common::FinishOnExecutor(
      blocking_, context, "Register",
      [this, request, response]() -> grpc::Status {
        auto email = domain::ValidateEmail(request->email());
        if (!email.ok()) throw ValidationError("email", email.problem());
        if (auto violation =
                domain::CheckNewPassword(request->password(), *email)) {
          throw ValidationError("password", violation->problem);
        }
        std::string display_name;
        if (request->display_name().empty()) {
          display_name = domain::DefaultDisplayName(*email);
        } else {
          auto checked = domain::ValidateDisplayName(request->display_name());
          if (!checked.ok())
            throw ValidationError("display_name", checked.problem());
          display_name = *checked;
        }

        const std::string password_hash = hasher_.Hash(request->password());
        auto user = repository_.CreateUser(*email, display_name, password_hash);
        if (!user) {
          return common::AlreadyExists(
              "an account with this email already exists");
        }
        common::LogInfo("account registered", {{"user_id", user->id}});
        FillUser(*user, response->mutable_user());
        return grpc::Status::OK;
      });
}

void UserHandler::EnforceLoginThrottle(const std::string& account_key,
                                       const std::string& address_key) {
  // Count, verify, record is not atomic: concurrent guesses may overshoot a
  // limit by the number in flight, which the bounded hashing concurrency
  // keeps small. Exactness would need a lock per account on every sign-in.
  const storage::LoginFailureCounts failures =
      repository_.CountRecentLoginFailures(account_key, address_key,
                                           settings_.login_throttle.window);
  const domain::LoginThrottleDecision decision = domain::DecideLoginAttempt(
      settings_.login_throttle, failures.account, failures.address);
  if (decision == domain::LoginThrottleDecision::kAllow) return;
  common::LogWarn(
      "sign-in throttled",
      {{"limit",
        decision == domain::LoginThrottleDecision::kTooManyAddressFailures
            ? "address"
            : "account"}});
  throw StatusException(common::ResourceExhausted(
      "too many failed sign-in attempts; retry later"));
}

grpc::ServerUnaryReactor* UserHandler::Login(
    grpc::CallbackServerContext* context, const v1::LoginRequest* request,
    v1::TokenResponse* response) {
  return common::FinishOnExecutor(
      blocking_, context, "Login",
      [this, context, request, response]() -> grpc::Status {
        // Only presence and size are checked: the account decides the rest, and
        // a stricter rule would tell callers which inputs cannot be accounts.
        const std::string email = domain::NormalizeEmail(request->email());
        if (email.empty()) throw ValidationError("email", "is required");
        if (email.size() > domain::kMaxEmailLength) {
          throw ValidationError("email", "must have at most 254 characters");
        }
        if (auto violation =
                domain::CheckPresentedPassword(request->password())) {
          throw ValidationError("password", violation->problem);
        }

        const std::string account_key = AccountKey(email);
        const std::string address = ClientAddressOf(*context);
        EnforceLoginThrottle(account_key, address);

        const auto user = repository_.FindUserByEmail(email);
        bool password_matches = false;
        if (user) {
          password_matches =
              hasher_.Verify(user->password_hash, request->password());
        } else {
          hasher_.VerifyAgainstDummy(request->password());
        }
        if (!password_matches) {
          repository_.RecordLoginFailure(account_key, address,
                                         settings_.login_throttle.window);
          common::LogInfo(
              "sign-in failed",
              {{"reason", user ? "wrong password" : "unknown email"}});
          return BadCredentials();
        }

        repository_.ClearAccountLoginFailures(account_key);
        if (hasher_.NeedsRehash(user->password_hash)) {
          repository_.UpgradePasswordHash(user->id, user->password_hash,
                                          hasher_.Hash(request->password()));
        }
        const std::string refresh_token = domain::GenerateRefreshToken();
        const std::string family_id = repository_.StartTokenFamily(
            user->id, {domain::HashRefreshToken(refresh_token),
                       settings_.refresh_token_ttl, address});
        common::SetCurrentUserId(user->id);
        common::LogInfo("signed in", {{"token_family", family_id}});
        FillTokens(user->id, refresh_token, response);
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* UserHandler::Refresh(
    grpc::CallbackServerContext* context, const v1::RefreshRequest* request,
    v1::TokenResponse* response) {
  return common::FinishOnExecutor(
      blocking_, context, "Refresh",
      [this, context, request, response]() -> grpc::Status {
        RequireWellFormedRefreshToken(request->refresh_token());
        const std::string replacement = domain::GenerateRefreshToken();
        const storage::RotationResult rotation = repository_.RotateRefreshToken(
            domain::HashRefreshToken(request->refresh_token()),
            {domain::HashRefreshToken(replacement), settings_.refresh_token_ttl,
             ClientAddressOf(*context)});
        switch (rotation.outcome) {
          case storage::RotationOutcome::kRotated:
            common::SetCurrentUserId(rotation.user_id);
            FillTokens(rotation.user_id, replacement, response);
            return grpc::Status::OK;
          case storage::RotationOutcome::kFamilyRevoked:
            common::SetCurrentUserId(rotation.user_id);
            if (rotation.was_replayed) {
              common::LogWarn("refresh token reused; token family revoked",
                              {{"token_family", rotation.family_id}});
            }
            return common::Unauthenticated(kBadRefreshToken);
          case storage::RotationOutcome::kExpired:
          case storage::RotationOutcome::kUnknown:
            return common::Unauthenticated(kBadRefreshToken);
        }
        return common::Unauthenticated(kBadRefreshToken);
      });
}

grpc::ServerUnaryReactor* UserHandler::Logout(
    grpc::CallbackServerContext* context, const v1::LogoutRequest* request,
    v1::LogoutResponse* /*response*/) {
  return common::FinishOnExecutor(
      blocking_, context, "Logout", [this, request]() -> grpc::Status {
        RequireWellFormedRefreshToken(request->refresh_token());
        // An unknown token is still OK: the caller's session is over either
        // way, and a different answer would confirm which tokens exist.
        repository_.RevokeFamilyOfToken(
            domain::HashRefreshToken(request->refresh_token()));
        return grpc::Status::OK;
      });
}

storage::UserRecord UserHandler::AuthenticatedUser(
    const grpc::ServerContextBase& context) {
  auto principal = authenticator_.Authenticate(context);
  if (!principal.ok()) {
    throw StatusException(common::ToGrpcStatus(principal.status()));
  }
  // Tokens are ours, so sub is a UUID; checking keeps any surprise out of SQL.
  if (!domain::IsCanonicalUuid(principal->user_id)) {
    throw StatusException(common::Unauthenticated());
  }
  auto user = repository_.FindUserById(principal->user_id);
  if (!user) {
    // A valid token outliving its account.
    common::LogInfo("token of an unknown user");
    throw StatusException(common::Unauthenticated());
  }
  return *std::move(user);
}

grpc::ServerUnaryReactor* UserHandler::GetMe(
    grpc::CallbackServerContext* context, const v1::GetMeRequest* /*request*/,
    v1::User* response) {
  return common::FinishOnExecutor(
      blocking_, context, "GetMe", [this, context, response]() -> grpc::Status {
        FillUser(AuthenticatedUser(*context), response);
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* UserHandler::UpdateMe(
    grpc::CallbackServerContext* context, const v1::UpdateMeRequest* request,
    v1::User* response) {
  return common::FinishOnExecutor(
      blocking_, context, "UpdateMe",
      [this, context, request, response]() -> grpc::Status {
        storage::UserRecord user = AuthenticatedUser(*context);
        if (request->has_display_name()) {
          auto display_name =
              domain::ValidateDisplayName(request->display_name());
          if (!display_name.ok()) {
            throw ValidationError("display_name", display_name.problem());
          }
          auto updated = repository_.UpdateDisplayName(user.id, *display_name);
          if (!updated) throw StatusException(common::Unauthenticated());
          user = *std::move(updated);
        }
        FillUser(user, response);
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* UserHandler::ChangePassword(
    grpc::CallbackServerContext* context,
    const v1::ChangePasswordRequest* request,
    v1::ChangePasswordResponse* /*response*/) {
  return common::FinishOnExecutor(
      blocking_, context, "ChangePassword",
      [this, context, request]() -> grpc::Status {
        const storage::UserRecord user = AuthenticatedUser(*context);
        if (auto violation =
                domain::CheckPresentedPassword(request->current_password())) {
          throw ValidationError("current_password", violation->problem);
        }
        if (auto violation =
                domain::CheckNewPassword(request->new_password(), user.email)) {
          throw ValidationError("new_password", violation->problem);
        }
        if (request->new_password() == request->current_password()) {
          throw ValidationError("new_password",
                                "must differ from the current password");
        }

        // A stolen access token must not become a way around the sign-in
        // throttle, so wrong current passwords count as failed sign-ins.
        const std::string account_key = AccountKey(user.email);
        const std::string address = ClientAddressOf(*context);
        EnforceLoginThrottle(account_key, address);
        if (!hasher_.Verify(user.password_hash, request->current_password())) {
          repository_.RecordLoginFailure(account_key, address,
                                         settings_.login_throttle.window);
          throw ValidationError("current_password", "is incorrect");
        }

        const std::string new_hash = hasher_.Hash(request->new_password());
        if (!repository_.ChangePassword(user.id, user.password_hash,
                                        new_hash)) {
          return grpc::Status(grpc::StatusCode::ABORTED,
                              "the password was changed meanwhile; try again");
        }
        repository_.ClearAccountLoginFailures(account_key);
        // Access tokens already issued stay valid until they expire (at most
        // ACCESS_TOKEN_TTL_SECONDS); every refresh token is revoked.
        common::LogInfo("password changed; refresh tokens revoked");
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* UserHandler::GetJwks(
    grpc::CallbackServerContext* context, const v1::GetJwksRequest* /*request*/,
    v1::Jwks* response) {
  return common::FinishInline(context, "GetJwks",
                              [this, response] { *response = jwks_; });
}

void UserHandler::FillTokens(const std::string& user_id,
                             const std::string& refresh_token,
                             v1::TokenResponse* response) const {
  const auto now = std::chrono::system_clock::now();
  common::JwtClaims claims;
  claims.subject = user_id;
  claims.issuer = settings_.issuer;
  claims.audience = settings_.audience;
  claims.token_id = domain::GenerateTokenId();
  claims.issued_at = now;
  claims.not_before = now;
  claims.expires_at = now + settings_.access_token_ttl;
  response->set_access_token(signer_->Sign(claims));
  response->set_refresh_token(refresh_token);
  response->set_expires_in(
      static_cast<int32_t>(settings_.access_token_ttl.count()));
  response->set_token_type("Bearer");
  response->set_refresh_expires_in(
      static_cast<int32_t>(settings_.refresh_token_ttl.count()));
}

}  // namespace cryptotracker::user::handler
