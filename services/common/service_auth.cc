#include "services/common/service_auth.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "services/common/auth.h"
#include "services/common/logging.h"

namespace cryptotracker::common {
namespace {

constexpr std::string_view kPrincipalPrefix = "service:";
constexpr std::string_view kUnauthenticatedMessage =
    "service authentication required";
// JwtVerifier's reason for a token signed by a key it does not hold.
constexpr absl::string_view kUnknownKidReason = "invalid token: unknown kid";

absl::Status Unauthenticated(std::string_view reason) {
  // As for user tokens: the reason helps an attacker more than a caller.
  LogDebug("service authentication failed", {{"reason", reason}});
  return absl::UnauthenticatedError(std::string(kUnauthenticatedMessage));
}

class ServiceTokenPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit ServiceTokenPlugin(std::shared_ptr<ServiceTokenSource> source)
      : source_(std::move(source)) {}

  // Signing takes well under a millisecond and happens once per refresh, so
  // it may run on the call's own thread.
  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "cryptotracker.service"; }

  grpc::Status GetMetadata(
      grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
      std::multimap<grpc::string, grpc::string>* metadata) override {
    try {
      metadata->emplace("authorization", source_->AuthorizationValue());
      return grpc::Status::OK;
    } catch (const std::exception& error) {
      // gRPC fails the call with this status instead of sending it bare.
      return grpc::Status(
          grpc::StatusCode::INTERNAL,
          std::string("cannot mint a service token: ") + error.what());
    }
  }

 private:
  std::shared_ptr<ServiceTokenSource> source_;
};

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("cannot read " + path.string());
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

std::string ServicePrincipalName(std::string_view service_name) {
  return std::string(kPrincipalPrefix) + std::string(service_name);
}

bool IsValidServiceName(std::string_view name) {
  if (name.empty() || name.size() > 40 || name.front() < 'a' ||
      name.front() > 'z') {
    return false;
  }
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// ---- ServiceTokenSource
// ------------------------------------------------------

absl::StatusOr<std::shared_ptr<ServiceTokenSource>> ServiceTokenSource::Create(
    std::string_view private_key_pem, std::string caller, std::string callee,
    Clock clock) {
  if (!IsValidServiceName(caller) || !IsValidServiceName(callee)) {
    return absl::InvalidArgumentError(
        "service names are 1 to 40 characters of a-z, 0-9 and '-'");
  }
  absl::StatusOr<JwtSigner> signer =
      JwtSigner::FromPrivateKeyPem(private_key_pem);
  if (!signer.ok()) return signer.status();
  return std::shared_ptr<ServiceTokenSource>(
      new ServiceTokenSource(*std::move(signer), std::move(caller),
                             std::move(callee), std::move(clock)));
}

std::string ServiceTokenSource::Token() {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  if (token_.empty() || now + kRefreshMargin >= expires_at_) {
    JwtClaims claims;
    claims.subject = ServicePrincipalName(caller_);
    claims.issuer = claims.subject;
    claims.audience = ServicePrincipalName(callee_);
    claims.token_id = NewRequestId();
    claims.issued_at = std::chrono::time_point_cast<std::chrono::seconds>(now);
    claims.expires_at = claims.issued_at + kLifetime;
    token_ = signer_.Sign(claims);
    expires_at_ = claims.expires_at;
  }
  return token_;
}

std::shared_ptr<grpc::CallCredentials> ServiceTokenSource::CallCredentials() {
  // GRPC_SECURITY_NONE: see the header on plaintext channels.
  return grpc::experimental::MetadataCredentialsFromPlugin(
      std::make_unique<ServiceTokenPlugin>(shared_from_this()),
      GRPC_SECURITY_NONE);
}

// ---- ServiceAuthenticator
// ----------------------------------------------------

absl::StatusOr<ServiceAuthenticator> ServiceAuthenticator::Create(
    std::string self, const std::map<std::string, std::string>& trusted_keys,
    ServiceAccessPolicy policy) {
  if (!IsValidServiceName(self)) {
    return absl::InvalidArgumentError("invalid service name '" + self + "'");
  }
  Verifiers verifiers;
  std::string all_pems;
  std::size_t key_count = 0;
  for (const auto& [caller, pems] : trusted_keys) {
    if (!IsValidServiceName(caller)) {
      return absl::InvalidArgumentError("invalid caller name '" + caller + "'");
    }
    auto verifier = JwtVerifier::FromPublicKeysPem(
        pems, ServicePrincipalName(caller), ServicePrincipalName(self));
    if (!verifier.ok()) {
      return absl::InvalidArgumentError(
          "keys of service " + caller + ": " +
          std::string(verifier.status().message()));
    }
    key_count += verifier->key_count();
    all_pems += pems + "\n";
    verifiers[caller] =
        std::make_shared<const JwtVerifier>(*std::move(verifier));
  }
  // The same key under two names would let one service speak as the other.
  // One verifier over every key holds each distinct key once.
  if (!trusted_keys.empty()) {
    auto combined = JwtVerifier::FromPublicKeysPem(all_pems, "-", "-");
    if (!combined.ok()) return combined.status();
    if (combined->key_count() != key_count) {
      return absl::InvalidArgumentError(
          "one public key is trusted for more than one service");
    }
  }
  for (const auto& [caller, methods] : policy) {
    if (!verifiers.contains(caller)) {
      return absl::InvalidArgumentError("the access policy names service " +
                                        caller + ", whose key is not trusted");
    }
    for (const std::string& method : methods) {
      if (method.find('/') == std::string::npos || method.front() == '/') {
        return absl::InvalidArgumentError(
            "policy method '" + method +
            "' is not <package>.<Service>/<Method> or <package>.<Service>/*");
      }
    }
  }
  return ServiceAuthenticator(std::move(self), std::move(verifiers),
                              std::move(policy));
}

absl::StatusOr<ServiceAuthenticator> ServiceAuthenticator::FromDirectory(
    std::string self, const std::string& directory,
    ServiceAccessPolicy policy) {
  std::map<std::string, std::string> trusted_keys;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(directory, error)) {
    const std::filesystem::path& path = entry.path();
    // Kubernetes mounts a ConfigMap as symbolic links into a hidden
    // "..data" directory: files reached through links count, hidden
    // entries do not.
    if (path.extension() != ".pem" || path.filename().string().front() == '.' ||
        !std::filesystem::is_regular_file(path)) {
      continue;
    }
    absl::StatusOr<std::string> pems = ReadFile(path);
    if (!pems.ok()) return pems.status();
    trusted_keys[path.stem().string()] = *std::move(pems);
  }
  if (error) {
    return absl::InvalidArgumentError("cannot list trusted service keys in " +
                                      directory + ": " + error.message());
  }
  return Create(std::move(self), trusted_keys, std::move(policy));
}

absl::StatusOr<ServiceIdentity> ServiceAuthenticator::Authorize(
    const grpc::ServerContextBase& ctx, std::string_view method) const {
  return Authorize(ctx, method, std::chrono::system_clock::now());
}

absl::StatusOr<ServiceIdentity> ServiceAuthenticator::Authorize(
    const grpc::ServerContextBase& ctx, std::string_view method,
    std::chrono::system_clock::time_point now) const {
  absl::StatusOr<std::string_view> token = BearerToken(ctx);
  if (!token.ok())
    return Unauthenticated(std::string(token.status().message()));
  return AuthorizeToken(*token, method, now);
}

absl::StatusOr<ServiceIdentity> ServiceAuthenticator::AuthorizeToken(
    std::string_view token, std::string_view method,
    std::chrono::system_clock::time_point now) const {
  // Each caller's verifier holds only that caller's keys and expects its
  // issuer, so a token verifies under at most one of them; a verifier that
  // does not know the token's kid refuses before checking any signature.
  std::string reason = "signed by no trusted service key";
  for (const auto& [caller, verifier] : verifiers_) {
    absl::StatusOr<JwtClaims> claims = verifier->Verify(token, now);
    if (!claims.ok()) {
      if (claims.status().message() != kUnknownKidReason) {
        reason =
            std::string(claims.status().message()) + " (key of " + caller + ")";
      }
      continue;
    }
    if (claims->subject != claims->issuer) {
      return Unauthenticated("sub is not the issuing service");
    }
    if (claims->issued_at.time_since_epoch().count() == 0 ||
        claims->expires_at - claims->issued_at > kMaxLifetime) {
      return Unauthenticated("no iat, or a lifetime above the maximum");
    }
    if (!Allowed(caller, method)) {
      LogWarn("service call refused by the access policy",
              {{"caller", caller}, {"method", method}});
      return absl::PermissionDeniedError(
          "service " + caller + " may not call " + std::string(method));
    }
    return ServiceIdentity{caller, claims->token_id};
  }
  return Unauthenticated(reason);
}

bool ServiceAuthenticator::Allowed(const std::string& caller,
                                   std::string_view method) const {
  // gRPC spells full names with a leading '/' ("/pkg.Service/Method").
  if (!method.empty() && method.front() == '/') method.remove_prefix(1);
  const auto entry = policy_.find(caller);
  if (entry == policy_.end()) return false;
  if (entry->second.contains(std::string(method))) return true;
  const std::size_t slash = method.rfind('/');
  if (slash == std::string_view::npos) return false;
  return entry->second.contains(std::string(method.substr(0, slash + 1)) + "*");
}

}  // namespace cryptotracker::common
