// The gRPC UserService: request validation, sign-in policy and token issuing
// on top of the domain rules and the repository.
#ifndef CRYPTOTRACKER_USER_HANDLER_USER_HANDLER_H_
#define CRYPTOTRACKER_USER_HANDLER_USER_HANDLER_H_

#include <chrono>
#include <memory>
#include <string>

#include "cryptotracker/user/v1/user_service.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/blocking_executor.h"
#include "services/common/jwt.h"
#include "services/user-service/domain/login_throttle.h"
#include "services/user-service/domain/password_hasher.h"
#include "services/user-service/storage/user_repository.h"

namespace cryptotracker::user::handler {

struct UserServiceSettings {
  // iss and aud of issued access tokens (JWT_ISSUER, JWT_AUDIENCE).
  std::string issuer = "cryptotracker-user-service";
  std::string audience = "cryptotracker";
  std::chrono::seconds access_token_ttl{900};
  std::chrono::seconds refresh_token_ttl{2592000};
  domain::LoginThrottlePolicy login_throttle;
};

// gRPC's callback API: every method that hashes a password or queries the
// database runs on `blocking` (common::FinishOnExecutor), so gRPC's own
// threads never wait; GetJwks answers from memory on the gRPC thread.
class UserHandler final : public v1::UserService::CallbackService {
 public:
  // Builds the access-token verifier from the signer's own public key, so
  // GetMe & co. accept exactly the tokens this instance issues. Throws
  // std::runtime_error if that key cannot be loaded (a start-up failure).
  // `blocking` must outlive the server's drain.
  UserHandler(storage::UserRepository& repository,
              const domain::PasswordHasher& hasher,
              std::shared_ptr<const common::JwtSigner> signer,
              UserServiceSettings settings, common::BlockingExecutor& blocking);

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::RegisterResponse* response) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* context,
                                  const v1::LoginRequest* request,
                                  v1::TokenResponse* response) override;
  grpc::ServerUnaryReactor* Refresh(grpc::CallbackServerContext* context,
                                    const v1::RefreshRequest* request,
                                    v1::TokenResponse* response) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* context,
                                   const v1::LogoutRequest* request,
                                   v1::LogoutResponse* response) override;
  grpc::ServerUnaryReactor* GetMe(grpc::CallbackServerContext* context,
                                  const v1::GetMeRequest* request,
                                  v1::User* response) override;
  grpc::ServerUnaryReactor* UpdateMe(grpc::CallbackServerContext* context,
                                     const v1::UpdateMeRequest* request,
                                     v1::User* response) override;
  grpc::ServerUnaryReactor* ChangePassword(
      grpc::CallbackServerContext* context,
      const v1::ChangePasswordRequest* request,
      v1::ChangePasswordResponse* response) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* context,
                                    const v1::GetJwksRequest* request,
                                    v1::Jwks* response) override;

 private:
  // The signed-in user of the call; throws common::StatusException
  // (UNAUTHENTICATED) for a missing or bad token, or a token whose user no
  // longer exists.
  storage::UserRecord AuthenticatedUser(const grpc::ServerContextBase& context);

  // Throws RESOURCE_EXHAUSTED when the account or the address has too many
  // recent failures.
  void EnforceLoginThrottle(const std::string& account_key,
                            const std::string& address_key);

  // Signs an access token for `user_id` and fills the response with it and
  // with `refresh_token` (whose hash the caller has already stored).
  void FillTokens(const std::string& user_id, const std::string& refresh_token,
                  v1::TokenResponse* response) const;

  storage::UserRepository& repository_;
  const domain::PasswordHasher& hasher_;
  std::shared_ptr<const common::JwtSigner> signer_;
  common::Authenticator authenticator_;
  const v1::Jwks jwks_;  // GetJwks' answer, built once from signer_
  UserServiceSettings settings_;
  common::BlockingExecutor& blocking_;
};

}  // namespace cryptotracker::user::handler

#endif  // CRYPTOTRACKER_USER_HANDLER_USER_HANDLER_H_
