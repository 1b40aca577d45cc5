// Server-side authentication of gRPC calls with bearer access tokens.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_AUTH_H_
#define CRYPTOTRACKER_SERVICES_COMMON_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/jwt.h"

namespace cryptotracker::common {

struct Principal {
  std::string user_id;   // the token's sub
  std::string token_id;  // the token's jti ("" when absent)
};

// Takes grpc::ServerContextBase, so that sync and callback handlers share it.
class Authenticator {
 public:
  explicit Authenticator(std::shared_ptr<const JwtVerifier> verifier);

  // Reads metadata "authorization: Bearer <jwt>" (scheme case-insensitive).
  // Missing, malformed or invalid credentials give UNAUTHENTICATED with the
  // generic message "authentication required" (the reason is only logged at
  // debug level). On success the user id is recorded for the current call
  // (CurrentUserId(), and so in log lines) and the principal returned.
  absl::StatusOr<Principal> Authenticate(
      const grpc::ServerContextBase& ctx) const;

  // Same, with an explicit clock (tests).
  absl::StatusOr<Principal> Authenticate(
      const grpc::ServerContextBase& ctx,
      std::chrono::system_clock::time_point now) const;

 private:
  std::shared_ptr<const JwtVerifier> verifier_;
};

// The token of the call's one "authorization: Bearer <token>" value (scheme
// case-insensitive, surrounding whitespace dropped), or UNAUTHENTICATED with
// the reason there is none. The reason is for debug logs: callers answer with
// a generic message. The view points into the call's metadata.
absl::StatusOr<std::string_view> BearerToken(
    const grpc::ServerContextBase& ctx);

// The client's IP address: metadata `x-real-ip` (set by the ingress, forwarded
// by the gateway) when it is a valid IPv4/IPv6 address, else the address part
// of ctx.peer() ("ipv4:1.2.3.4:5" -> "1.2.3.4", "ipv6:[::1]:5" -> "::1"),
// else the peer string itself.
std::string ClientAddress(const grpc::ServerContextBase& ctx);

// Same code (absl and gRPC codes coincide) and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_AUTH_H_
