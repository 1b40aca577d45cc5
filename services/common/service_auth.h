// Service-to-service authentication for internal gRPC calls (for example the
// alert-service calling the portfolio-service's PortfolioInternalService),
// where no user's token exists.
//
// Design: every calling service holds its own EC P-256 private key and signs
// short-lived ES256 tokens about itself; every called service trusts a set of
// public keys, each bound to ONE calling service by the file it comes from,
// and an allow-list (in code, reviewed with the handlers) of which caller may
// call which method. No token server and no shared secret: a leaked public
// key file grants nothing, and a service's key can be rotated by adding the
// new public key beside the old one before the caller switches.
//
// A service token is a JWT with
//   header  {"alg":"ES256","typ":"JWT","kid":<RFC 7638 thumbprint>}
//   iss = sub = "service:<caller>", aud = "service:<callee>",
//   iat, exp = iat + at most 10 minutes, a random jti,
// sent as "authorization: Bearer <token>" like a user's access token. The two
// kinds can never stand in for each other, each for three reasons:
//   - a user token is signed by the user-service's key, which is no trusted
//     service key (unknown kid); its iss is the user-service's and its aud
//     "cryptotracker", never "service:<callee>"; its sub is a user id, never
//     "service:...";
//   - a service token is signed by a key that JWT_PUBLIC_KEY_FILE does not
//     hold; its iss is "service:<caller>", not JWT_ISSUER; its aud is
//     "service:<callee>", not JWT_AUDIENCE.
//
// Configuration (environment). The service's main.cpp reads the variables
// itself, with literal names, so that k8s/validate sees which container
// needs which (it follows EnvReader calls in a service's own sources):
//   SERVICE_AUTH_PRIVATE_KEY_FILE  caller: PEM EC P-256 private key of this
//                                  service (jwt_keygen writes one)
//   SERVICE_AUTH_TRUSTED_KEYS_DIR  callee: a directory of <caller>.pem files,
//                                  each one or more PEM public keys of that
//                                  calling service (e.g. alert.pem)
//
//   // alert-service, calling the portfolio-service:
//   auto tokens = ServiceTokenSource::Create(
//       env.FileContents("SERVICE_AUTH_PRIVATE_KEY_FILE"), "alert",
//       "portfolio");
//   ctx.set_credentials((*tokens)->CallCredentials());
//   // portfolio-service, in its PortfolioInternalService handlers:
//   constexpr char kInternal[] =
//       "cryptotracker.portfolio.v1.PortfolioInternalService/*";
//   auto internal_auth = ServiceAuthenticator::FromDirectory(
//       "portfolio", env.RequiredString("SERVICE_AUTH_TRUSTED_KEYS_DIR"),
//       {{"alert", {kInternal}}});
//   absl::StatusOr<ServiceIdentity> caller = internal_auth->Authorize(
//       *ctx, "cryptotracker.portfolio.v1.PortfolioInternalService/"
//             "GetPortfolioValues");
#ifndef CRYPTOTRACKER_SERVICES_COMMON_SERVICE_AUTH_H_
#define CRYPTOTRACKER_SERVICES_COMMON_SERVICE_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/jwt.h"

namespace cryptotracker::common {

// "service:<name>": the iss and sub of a token minted by <name>, and the aud
// of a token meant for <name>.
std::string ServicePrincipalName(std::string_view service_name);

// Service names are what file names and principals are made of: 1 to 40
// characters of a-z, 0-9 and '-', starting with a letter.
bool IsValidServiceName(std::string_view name);

// ---- Calling side ----------------------------------------------------------

// Mints this service's tokens for one callee and keeps the current one until
// it is close to expiry, so a call costs one signature every few minutes,
// not one per call. Thread-safe.
class ServiceTokenSource
    : public std::enable_shared_from_this<ServiceTokenSource> {
 public:
  // How long a minted token is valid.
  static constexpr std::chrono::seconds kLifetime{300};
  // A token with less than this left is replaced before it is used: enough
  // for a slow call to reach the callee and be checked there (whose clock
  // may be behind by up to JwtVerifier::kLeeway).
  static constexpr std::chrono::seconds kRefreshMargin{60};

  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // `private_key_pem`: this service's EC P-256 key. `caller` and `callee`
  // are service names (IsValidServiceName). `clock` is for tests.
  static absl::StatusOr<std::shared_ptr<ServiceTokenSource>> Create(
      std::string_view private_key_pem, std::string caller, std::string callee,
      Clock clock = std::chrono::system_clock::now);

  // A token valid for at least kRefreshMargin from now.
  std::string Token();
  // "Bearer <token>", the value of the authorization metadata.
  std::string AuthorizationValue() { return "Bearer " + Token(); }

  // Adds the authorization metadata to one call (for callers that set up
  // each ClientContext themselves).
  void Attach(grpc::ClientContext& ctx) {
    ctx.AddMetadata("authorization", AuthorizationValue());
  }

  // Call credentials that attach a current token to every call they are set
  // on (ClientContext::set_credentials, or composed into channel
  // credentials). They are sent on plaintext channels too, because calls
  // between services inside the cluster run without TLS today; the token's
  // short life and fixed audience limit what a captured one is worth.
  std::shared_ptr<grpc::CallCredentials> CallCredentials();

  const std::string& caller() const { return caller_; }
  const std::string& callee() const { return callee_; }
  const std::string& key_id() const { return signer_.key_id(); }

 private:
  ServiceTokenSource(JwtSigner signer, std::string caller, std::string callee,
                     Clock clock)
      : signer_(std::move(signer)),
        caller_(std::move(caller)),
        callee_(std::move(callee)),
        clock_(std::move(clock)) {}

  const JwtSigner signer_;
  const std::string caller_;
  const std::string callee_;
  const Clock clock_;
  std::mutex mutex_;
  std::string token_;                                 // guarded by mutex_
  std::chrono::system_clock::time_point expires_at_;  // guarded by mutex_
};

// ---- Called side -----------------------------------------------------------

// Which caller may call which methods of this service. Methods are full gRPC
// method names as the handler states them,
// "cryptotracker.portfolio.v1.PortfolioInternalService/GetPortfolioValues",
// or a whole service as
// "cryptotracker.portfolio.v1.PortfolioInternalService/*". Kept in code, not in
// configuration: what another service may do is a decision about the code,
// reviewed with it.
using ServiceAccessPolicy = std::map<std::string, std::set<std::string>>;

// The authenticated calling service.
struct ServiceIdentity {
  std::string service;   // the caller's name, e.g. "alert"
  std::string token_id;  // the token's jti, for logs
};

class ServiceAuthenticator {
 public:
  // Tokens whose exp is further than this after their iat are refused, so a
  // token cannot be minted to live long even by a caller's own key.
  static constexpr std::chrono::seconds kMaxLifetime{600};

  // `self`: this service's name (the audience it accepts). `trusted_keys`:
  // caller name -> one or more concatenated PEM public keys of that caller.
  // One key may belong to one caller only. `policy` names callers that
  // have keys.
  static absl::StatusOr<ServiceAuthenticator> Create(
      std::string self, const std::map<std::string, std::string>& trusted_keys,
      ServiceAccessPolicy policy);

  // Create with the keys of every <caller>.pem file in `directory` (other
  // names, and hidden files such as a ConfigMap mount's "..data", are
  // ignored). INVALID_ARGUMENT naming the file or the problem.
  static absl::StatusOr<ServiceAuthenticator> FromDirectory(
      std::string self, const std::string& directory,
      ServiceAccessPolicy policy);

  // Checks the call's "authorization: Bearer <service token>" and that the
  // policy lets that caller call `method`. UNAUTHENTICATED ("service
  // authentication required") for a missing, malformed, expired, foreign or
  // user token; PERMISSION_DENIED ("service <caller> may not call
  // <method>") for an authenticated caller outside the allow-list. The
  // detailed reason of an UNAUTHENTICATED answer is only logged (debug).
  absl::StatusOr<ServiceIdentity> Authorize(const grpc::ServerContextBase& ctx,
                                            std::string_view method) const;
  absl::StatusOr<ServiceIdentity> Authorize(
      const grpc::ServerContextBase& ctx, std::string_view method,
      std::chrono::system_clock::time_point now) const;

  // The same checks on a bare token (what Authorize does after reading the
  // metadata).
  absl::StatusOr<ServiceIdentity> AuthorizeToken(
      std::string_view token, std::string_view method,
      std::chrono::system_clock::time_point now) const;

  const std::string& self() const { return self_; }

 private:
  // Caller name -> a verifier of that caller's keys only, with iss
  // "service:<caller>" and aud "service:<self>".
  using Verifiers = std::map<std::string, std::shared_ptr<const JwtVerifier>>;

  ServiceAuthenticator(std::string self, Verifiers verifiers,
                       ServiceAccessPolicy policy)
      : self_(std::move(self)),
        verifiers_(std::move(verifiers)),
        policy_(std::move(policy)) {}

  bool Allowed(const std::string& caller, std::string_view method) const;

  std::string self_;
  Verifiers verifiers_;
  ServiceAccessPolicy policy_;
};

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_SERVICE_AUTH_H_
