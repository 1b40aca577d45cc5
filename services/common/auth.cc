#include "services/common/auth.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "services/common/logging.h"

namespace cryptotracker::common {
namespace {

constexpr std::string_view kGenericMessage = "authentication required";

absl::Status Denied(std::string_view reason) {
  // The reason stays server-side: telling callers why a token failed helps
  // attackers more than it helps honest clients.
  LogDebug("authentication failed", {{"reason", reason}});
  return absl::UnauthenticatedError(std::string(kGenericMessage));
}

bool IsIpAddress(const std::string& text) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace

Authenticator::Authenticator(std::shared_ptr<const JwtVerifier> verifier)
    : verifier_(std::move(verifier)) {}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& ctx) const {
  return Authenticate(ctx, std::chrono::system_clock::now());
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& ctx,
    std::chrono::system_clock::time_point now) const {
  if (verifier_ == nullptr) return Denied("no verifier configured");
  absl::StatusOr<std::string_view> token = BearerToken(ctx);
  if (!token.ok()) return Denied(std::string(token.status().message()));
  absl::StatusOr<JwtClaims> claims = verifier_->Verify(*token, now);
  if (!claims.ok()) return Denied(std::string(claims.status().message()));
  Principal principal{claims->subject, claims->token_id};
  SetCurrentUserId(principal.user_id);
  return principal;
}

absl::StatusOr<std::string_view> BearerToken(
    const grpc::ServerContextBase& ctx) {
  const auto& metadata = ctx.client_metadata();
  const auto [first, last] = metadata.equal_range("authorization");
  if (first == last) {
    return absl::UnauthenticatedError("missing authorization metadata");
  }
  if (std::next(first) != last) {
    return absl::UnauthenticatedError("several authorization values");
  }
  // Debian's abseil has its own string_view type, not std::string_view.
  const absl::string_view value(first->second.data(), first->second.size());
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(value, kScheme)) {
    return absl::UnauthenticatedError("not a bearer credential");
  }
  const absl::string_view token =
      absl::StripAsciiWhitespace(value.substr(kScheme.size()));
  if (token.empty()) return absl::UnauthenticatedError("empty bearer token");
  return std::string_view(token.data(), token.size());
}

std::string ClientAddress(const grpc::ServerContextBase& ctx) {
  const auto& metadata = ctx.client_metadata();
  auto it = metadata.find("x-real-ip");
  if (it != metadata.end()) {
    std::string value(it->second.data(), it->second.size());
    if (IsIpAddress(value)) return value;
  }
  const std::string peer = ctx.peer();
  if (peer.rfind("ipv4:", 0) == 0) {
    const std::string rest = peer.substr(5);
    const std::size_t colon = rest.rfind(':');
    return colon == std::string::npos ? rest : rest.substr(0, colon);
  }
  if (peer.rfind("ipv6:", 0) == 0) {
    std::string rest = peer.substr(5);
    if (!rest.empty() && rest.front() == '[') {
      const std::size_t close = rest.find(']');
      if (close != std::string::npos) rest = rest.substr(1, close - 1);
    }
    // gRPC percent-encodes a zone id ("fe80::1%25eth0").
    const std::size_t zone = rest.find('%');
    return zone == std::string::npos ? rest : rest.substr(0, zone);
  }
  return peer;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace cryptotracker::common
