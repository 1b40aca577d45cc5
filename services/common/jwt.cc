#include "services/common/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "services/common/digest.h"

namespace cryptotracker::common {
namespace internal {
void PkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
}  // namespace internal

namespace {

using internal::PkeyPtr;
using Json = nlohmann::json;

constexpr std::size_t kCoordinateBytes = 32;  // P-256
constexpr std::size_t kRawSignatureBytes = 2 * kCoordinateBytes;
constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

PkeyPtr Own(EVP_PKEY* key) { return PkeyPtr(key, internal::PkeyDeleter()); }

// Never prompts on a terminal for an encrypted key's passphrase.
int NoPassphrase(char*, int, int, void*) { return -1; }

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

bool IsP256(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return false;
  char group[64] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof(group), &length) != 1) {
    return false;
  }
  const std::string_view name(group, length);
  return name == "prime256v1" || name == "P-256" || name == "secp256r1";
}

std::optional<std::string> Coordinate(EVP_PKEY* key, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return std::nullopt;
  BnPtr bn(raw);
  std::string bytes(kCoordinateBytes, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()),
                   kCoordinateBytes) != static_cast<int>(kCoordinateBytes)) {
    return std::nullopt;
  }
  return bytes;
}

// The public half of a P-256 key as a JWK; its kid is the RFC 7638
// thumbprint: SHA-256 over the required members in lexical order.
std::optional<PublicJwk> JwkOf(EVP_PKEY* key) {
  auto x = Coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
  auto y = Coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (!x || !y) return std::nullopt;
  PublicJwk jwk;
  jwk.kty = "EC";
  jwk.crv = "P-256";
  jwk.x = Base64UrlEncode(*x);
  jwk.y = Base64UrlEncode(*y);
  const std::string canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" +
                                jwk.x + "\",\"y\":\"" + jwk.y + "\"}";
  jwk.kid = Base64UrlEncode(Sha256(canonical));
  jwk.alg = "ES256";
  jwk.use = "sig";
  return jwk;
}

int64_t ToUnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch())
      .count();
}

absl::Status Reject(std::string_view reason) {
  return absl::UnauthenticatedError(std::string("invalid token: ") +
                                    std::string(reason));
}

// NumericDate (RFC 7519): seconds since the epoch, possibly fractional.
std::optional<std::chrono::system_clock::time_point> NumericDate(
    const Json& value) {
  // Up to year 9999; also keeps the conversion below free of overflow.
  constexpr double kMax = 253402300799.0;
  double seconds;
  if (value.is_number_integer() || value.is_number_unsigned()) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > kMax) {
      return std::nullopt;
    }
    seconds = static_cast<double>(value.get<int64_t>());
  } else if (value.is_number_float()) {
    seconds = value.get<double>();
    if (!std::isfinite(seconds)) return std::nullopt;
    seconds = std::floor(seconds);
  } else {
    return std::nullopt;
  }
  if (seconds < 0 || seconds > kMax) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::seconds(static_cast<int64_t>(seconds)));
}

std::optional<Json> DecodeJsonObject(std::string_view segment) {
  absl::StatusOr<std::string> text = Base64UrlDecode(segment);
  if (!text.ok()) return std::nullopt;
  Json parsed = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

bool VerifySignature(EVP_PKEY* key, std::string_view signing_input,
                     std::string_view raw_signature) {
  if (raw_signature.size() != kRawSignatureBytes) return false;
  const auto* bytes =
      reinterpret_cast<const unsigned char*>(raw_signature.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr);
  if (!sig || r == nullptr || s == nullptr) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  ECDSA_SIG_set0(sig.get(), r, s);  // takes ownership of r and s
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_length <= 0) return false;
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                                   key) != 1) {
    return false;
  }
  const int result = EVP_DigestVerify(
      ctx.get(), der, static_cast<std::size_t>(der_length),
      reinterpret_cast<const unsigned char*>(signing_input.data()),
      signing_input.size());
  ERR_clear_error();  // a bad signature leaves errors on the thread's queue
  return result == 1;
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) {
    return static_cast<unsigned char>(data[k]);
  };
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t n = byte(i) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  static const std::array<int8_t, 256> kValues = [] {
    std::array<int8_t, 256> values;
    values.fill(-1);
    for (int k = 0; k < 64; ++k) {
      values[static_cast<unsigned char>(kAlphabet[k])] = static_cast<int8_t>(k);
    }
    return values;
  }();
  if (text.size() % 4 == 1) {
    return absl::InvalidArgumentError("base64url: impossible length");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int8_t value = kValues[static_cast<unsigned char>(c)];
    if (value < 0) {
      return absl::InvalidArgumentError("base64url: invalid character");
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero: each byte string has exactly one encoding,
  // so a token cannot be altered without changing its signed bytes.
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("base64url: non-canonical encoding");
  }
  return out;
}

absl::StatusOr<std::string> GenerateEcPrivateKeyPem() {
  PkeyPtr key = Own(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError("EC key generation failed");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr,
                                       0, nullptr, nullptr) != 1) {
    return absl::InternalError("cannot encode private key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<JwtSigner> JwtSigner::FromPrivateKeyPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key = Own(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr)
          : nullptr);
  ERR_clear_error();
  if (!key) {
    return absl::InvalidArgumentError(
        "not a PEM private key (unencrypted PKCS#8 or SEC1 expected)");
  }
  if (!IsP256(key.get())) {
    return absl::InvalidArgumentError("ES256 needs an EC P-256 private key");
  }
  std::optional<PublicJwk> jwk = JwkOf(key.get());
  if (!jwk) return absl::InternalError("cannot read the public key");
  return JwtSigner(std::move(key), std::move(*jwk));
}

JwtSigner::JwtSigner(internal::PkeyPtr key, PublicJwk jwk)
    : key_(std::move(key)), jwk_(std::move(jwk)) {
  const Json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", jwk_.kid}};
  encoded_header_ = Base64UrlEncode(header.dump()) + ".";
}

std::string JwtSigner::Sign(const JwtClaims& claims) const {
  Json payload = Json::object();
  // Extra claims first, so registered claims always win over same-named ones.
  for (const auto& [name, value] : claims.extra) payload[name] = value;
  const auto put_string = [&](const char* name, const std::string& value) {
    if (value.empty()) {
      payload.erase(name);
    } else {
      payload[name] = value;
    }
  };
  put_string("sub", claims.subject);
  put_string("iss", claims.issuer);
  put_string("aud", claims.audience);
  put_string("jti", claims.token_id);
  const auto put_time = [&](const char* name,
                            std::chrono::system_clock::time_point t) {
    if (t.time_since_epoch().count() == 0) {
      payload.erase(name);
    } else {
      payload[name] = ToUnixSeconds(t);
    }
  };
  put_time("iat", claims.issued_at);
  put_time("nbf", claims.not_before);
  payload["exp"] = ToUnixSeconds(claims.expires_at);

  const std::string signing_input =
      encoded_header_ + Base64UrlEncode(payload.dump(
                            -1, ' ', false, Json::error_handler_t::replace));

  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t der_length = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         key_.get()) != 1 ||
      EVP_DigestSign(
          ctx.get(), nullptr, &der_length,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    throw std::runtime_error("ES256 signing failed");
  }
  std::vector<unsigned char> der(der_length);
  if (EVP_DigestSign(
          ctx.get(), der.data(), &der_length,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    throw std::runtime_error("ES256 signing failed");
  }
  // JWS wants the fixed-size r || s form, OpenSSL produces DER.
  const unsigned char* cursor = der.data();
  EcdsaSigPtr sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_length)));
  if (!sig) throw std::runtime_error("ES256 signing produced bad DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(kRawSignatureBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kCoordinateBytes) != kCoordinateBytes ||
      BN_bn2binpad(s, out + kCoordinateBytes, kCoordinateBytes) !=
          kCoordinateBytes) {
    throw std::runtime_error("ES256 signature does not fit");
  }
  return signing_input + "." + Base64UrlEncode(raw);
}

std::string JwtSigner::PublicKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    throw std::runtime_error("cannot encode public key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<JwtVerifier> JwtVerifier::FromPublicKeysPem(
    std::string_view pems, std::string issuer, std::string audience) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kPublicBegin = "-----BEGIN PUBLIC KEY-----";
  static constexpr std::string_view kPublicEnd = "-----END PUBLIC KEY-----";
  if (issuer.empty() || audience.empty()) {
    return absl::InvalidArgumentError("issuer and audience are required");
  }
  std::map<std::string, PkeyPtr> keys;
  std::size_t position = 0;
  while ((position = pems.find(kBegin, position)) != std::string_view::npos) {
    if (pems.substr(position, kPublicBegin.size()) != kPublicBegin) {
      return absl::InvalidArgumentError(
          "only '-----BEGIN PUBLIC KEY-----' blocks are accepted");
    }
    const std::size_t end = pems.find(kPublicEnd, position);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError("unterminated PEM block");
    }
    const std::string_view block =
        pems.substr(position, end + kPublicEnd.size() - position);
    position = end + kPublicEnd.size();
    BioPtr bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
    PkeyPtr key =
        Own(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr)
                : nullptr);
    ERR_clear_error();
    if (!key) return absl::InvalidArgumentError("unreadable PEM public key");
    if (!IsP256(key.get())) {
      return absl::InvalidArgumentError("public key is not EC P-256");
    }
    std::optional<PublicJwk> jwk = JwkOf(key.get());
    if (!jwk) return absl::InternalError("cannot read public key");
    keys[jwk->kid] = std::move(key);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError("no PEM public key found");
  }
  return JwtVerifier(std::move(keys), std::move(issuer), std::move(audience));
}

absl::StatusOr<JwtClaims> JwtVerifier::Verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  try {
    return VerifyOrThrow(token, now);
  } catch (const std::exception&) {
    // Defence in depth: nothing above should throw (JSON is parsed without
    // exceptions), but a verifier must fail closed, never crash a call.
    return Reject("unexpected verification failure");
  }
}

absl::StatusOr<JwtClaims> JwtVerifier::VerifyOrThrow(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  if (token.empty()) return Reject("empty");
  if (token.size() > kMaxTokenBytes) return Reject("too large");
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 =
      dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos ||
      token.find('.', dot2 + 1) != std::string_view::npos) {
    return Reject("not three segments");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty()) {
    return Reject("empty segment");
  }

  std::optional<Json> header = DecodeJsonObject(header_b64);
  if (!header) return Reject("malformed header");
  // The algorithm is fixed by us, never chosen by the token: anything but
  // ES256 (none, HS256 keyed with our public key, RS256...) is refused.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() ||
      alg->get<std::string>() != "ES256") {
    return Reject("unsupported alg");
  }
  if (auto typ = header->find("typ"); typ != header->end()) {
    if (!typ->is_string() ||
        !absl::EqualsIgnoreCase(typ->get<std::string>(), "JWT")) {
      return Reject("unsupported typ");
    }
  }
  if (header->contains("crit")) return Reject("unsupported crit header");
  auto kid = header->find("kid");
  if (kid == header->end() || !kid->is_string()) return Reject("missing kid");
  auto key = keys_.find(kid->get<std::string>());
  if (key == keys_.end()) return Reject("unknown kid");

  absl::StatusOr<std::string> signature = Base64UrlDecode(signature_b64);
  if (!signature.ok()) return Reject("malformed signature");
  const std::string_view signing_input = token.substr(0, dot2);
  if (!VerifySignature(key->second.get(), signing_input, *signature)) {
    return Reject("bad signature");
  }

  std::optional<Json> payload = DecodeJsonObject(payload_b64);
  if (!payload) return Reject("malformed payload");
  JwtClaims claims;

  auto exp = payload->find("exp");
  if (exp == payload->end()) return Reject("missing exp");
  auto expires_at = NumericDate(*exp);
  if (!expires_at) return Reject("malformed exp");
  if (now >= *expires_at + kLeeway) return Reject("expired");
  claims.expires_at = *expires_at;

  if (auto nbf = payload->find("nbf"); nbf != payload->end()) {
    auto not_before = NumericDate(*nbf);
    if (!not_before) return Reject("malformed nbf");
    if (now + kLeeway < *not_before) return Reject("not yet valid");
    claims.not_before = *not_before;
  }
  if (auto iat = payload->find("iat"); iat != payload->end()) {
    auto issued_at = NumericDate(*iat);
    if (!issued_at) return Reject("malformed iat");
    if (*issued_at > now + kLeeway) return Reject("issued in the future");
    if (*issued_at > *expires_at) return Reject("iat after exp");
    claims.issued_at = *issued_at;
  }

  auto iss = payload->find("iss");
  if (iss == payload->end() || !iss->is_string() ||
      iss->get<std::string>() != issuer_) {
    return Reject("wrong issuer");
  }
  claims.issuer = iss->get<std::string>();

  auto aud = payload->find("aud");
  bool audience_ok = false;
  if (aud != payload->end() && aud->is_string()) {
    audience_ok = aud->get<std::string>() == audience_;
  } else if (aud != payload->end() && aud->is_array()) {
    for (const Json& entry : *aud) {
      audience_ok = audience_ok || (entry.is_string() &&
                                    entry.get<std::string>() == audience_);
    }
  }
  if (!audience_ok) return Reject("wrong audience");
  claims.audience = audience_;

  auto sub = payload->find("sub");
  if (sub == payload->end() || !sub->is_string() ||
      sub->get<std::string>().empty()) {
    return Reject("missing sub");
  }
  claims.subject = sub->get<std::string>();

  if (auto jti = payload->find("jti"); jti != payload->end()) {
    if (!jti->is_string()) return Reject("malformed jti");
    claims.token_id = jti->get<std::string>();
  }

  static const std::array<std::string_view, 7> kRegistered = {
      "exp", "nbf", "iat", "iss", "aud", "sub", "jti"};
  for (const auto& [name, value] : payload->items()) {
    if (!value.is_string()) continue;
    bool registered = false;
    for (std::string_view r : kRegistered) registered = registered || name == r;
    if (!registered) claims.extra[name] = value.get<std::string>();
  }
  return claims;
}

}  // namespace cryptotracker::common
