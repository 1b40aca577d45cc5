// ES256 (ECDSA P-256 + SHA-256) JSON Web Tokens on the OpenSSL 3 EVP API.
//
// Only user-service signs (JwtSigner); every service verifies (JwtVerifier)
// with the public key(s) from JWT_PUBLIC_KEY_FILE. The verifier accepts ES256
// only, whatever the token header says, so algorithm-confusion attacks (none,
// HS256 keyed with the public key, RS256) fail.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_JWT_H_
#define CRYPTOTRACKER_SERVICES_COMMON_JWT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

// OpenSSL's key type, kept out of this header.
typedef struct evp_pkey_st EVP_PKEY;

namespace cryptotracker::common {

struct JwtClaims {
  std::string subject;   // sub (required on verify)
  std::string issuer;    // iss
  std::string audience;  // aud (verify accepts a string or an array)
  std::string token_id;  // jti
  std::chrono::system_clock::time_point issued_at;   // iat
  std::chrono::system_clock::time_point not_before;  // nbf
  std::chrono::system_clock::time_point expires_at;  // exp (required)
  // Additional string claims (on verify: string-valued claims other than the
  // registered ones).
  std::map<std::string, std::string> extra;
};

// A public key as a JSON Web Key (RFC 7517), for a JWKS endpoint.
struct PublicJwk {
  std::string kty;  // "EC"
  std::string crv;  // "P-256"
  std::string x;    // base64url, 32 bytes
  std::string y;    // base64url, 32 bytes
  std::string kid;  // RFC 7638 thumbprint
  std::string alg;  // "ES256"
  std::string use;  // "sig"
};

namespace internal {
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using PkeyPtr = std::shared_ptr<EVP_PKEY>;
}  // namespace internal

// base64url without padding (RFC 7515 section 2).
std::string Base64UrlEncode(std::string_view data);
// Strict decoding: no padding, no whitespace, only [A-Za-z0-9_-].
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

// A new EC P-256 private key as PKCS#8 PEM.
absl::StatusOr<std::string> GenerateEcPrivateKeyPem();

class JwtSigner {
 public:
  // Accepts an EC P-256 private key (PKCS#8 or SEC1 PEM).
  static absl::StatusOr<JwtSigner> FromPrivateKeyPem(std::string_view pem);

  // Header {"alg":"ES256","typ":"JWT","kid":key_id()}. Times are written as
  // whole seconds; empty string claims are omitted.
  std::string Sign(const JwtClaims& claims) const;
  const std::string& key_id() const { return jwk_.kid; }
  std::string PublicKeyPem() const;
  // Computed once from the key, when the signer is made.
  const PublicJwk& public_jwk() const { return jwk_; }

 private:
  JwtSigner(internal::PkeyPtr key, PublicJwk jwk);

  internal::PkeyPtr key_;
  PublicJwk jwk_;
  // base64url of the header plus the '.': the same for every token, so it
  // is encoded once rather than on every Sign.
  std::string encoded_header_;
};

class JwtVerifier {
 public:
  static constexpr std::size_t kMaxTokenBytes = 8192;
  // Clock skew tolerated for exp, nbf and iat.
  static constexpr std::chrono::seconds kLeeway{30};

  // `pems`: one or more concatenated PEM public keys (SubjectPublicKeyInfo,
  // EC P-256); each is known by its RFC 7638 thumbprint as kid. Several keys
  // allow rotation.
  static absl::StatusOr<JwtVerifier> FromPublicKeysPem(std::string_view pems,
                                                       std::string issuer,
                                                       std::string audience);

  // Checks structure, alg == ES256, known kid, signature, exp (required), nbf,
  // iat, iss, aud and sub (required). Returns UNAUTHENTICATED with a reason
  // meant for logs (not for callers); never throws.
  absl::StatusOr<JwtClaims> Verify(
      std::string_view token, std::chrono::system_clock::time_point now) const;

  std::size_t key_count() const { return keys_.size(); }

 private:
  JwtVerifier(std::map<std::string, internal::PkeyPtr> keys, std::string issuer,
              std::string audience)
      : keys_(std::move(keys)),
        issuer_(std::move(issuer)),
        audience_(std::move(audience)) {}
  absl::StatusOr<JwtClaims> VerifyOrThrow(
      std::string_view token, std::chrono::system_clock::time_point now) const;

  std::map<std::string, internal::PkeyPtr> keys_;  // by kid
  std::string issuer_;
  std::string audience_;
};

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_JWT_H_
