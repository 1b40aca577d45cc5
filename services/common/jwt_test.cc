#include "services/common/jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

namespace cryptotracker::common {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

constexpr char kIssuer[] = "cryptotracker-user-service";
constexpr char kAudience[] = "cryptotracker";

// A fixed "now" so that tests never depend on the wall clock.
const Clock::time_point kNow = Clock::time_point(seconds(1'900'000'000));

std::string PemOf(EVP_PKEY* key, bool private_key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (private_key) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, length);
  BIO_free(bio);
  return pem;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::vector<std::string> Split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string Segment(const Json& json) { return Base64UrlEncode(json.dump()); }

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pem = GenerateEcPrivateKeyPem();
    ASSERT_TRUE(pem.ok()) << pem.status();
    auto signer = JwtSigner::FromPrivateKeyPem(*pem);
    ASSERT_TRUE(signer.ok()) << signer.status();
    signer_ = std::make_unique<JwtSigner>(*std::move(signer));
    auto verifier = JwtVerifier::FromPublicKeysPem(signer_->PublicKeyPem(),
                                                   kIssuer, kAudience);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = std::make_unique<JwtVerifier>(*std::move(verifier));
  }

  JwtClaims Claims() const {
    JwtClaims claims;
    claims.subject = "user-123";
    claims.issuer = kIssuer;
    claims.audience = kAudience;
    claims.token_id = "jti-1";
    claims.issued_at = kNow - seconds(10);
    claims.not_before = kNow - seconds(10);
    claims.expires_at = kNow + seconds(900);
    return claims;
  }

  Json Header() const {
    return {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", signer_->key_id()}};
  }
  Json Payload() const {
    return {{"sub", "user-123"},
            {"iss", kIssuer},
            {"aud", kAudience},
            {"iat", 1'900'000'000 - 10},
            {"exp", 1'900'000'000 + 900}};
  }
  // Builds and signs a token by hand from arbitrary header/payload JSON
  // (needs private_key_, see CraftedJwtTest).
  std::string SignRaw(const Json& header, const Json& payload) const {
    const std::string input = Segment(header) + "." + Segment(payload);
    return input + "." + RawSignature(input);
  }
  std::string RawSignature(const std::string& input) const {
    // Sign with OpenSSL directly and convert DER -> r||s independently of
    // the production code.
    EVP_PKEY* pem_key = private_key_;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pem_key);
    EVP_DigestSign(ctx, nullptr, &length,
                   reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::vector<unsigned char> der(length);
    EVP_DigestSign(ctx, der.data(), &length,
                   reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length));
    const BIGNUM* r;
    const BIGNUM* s;
    ECDSA_SIG_get0(sig, &r, &s);
    std::string raw(64, '\0');
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return Base64UrlEncode(raw);
  }
  void ExpectRejected(const std::string& token, std::string_view why) const {
    auto result = verifier_->Verify(token, kNow);
    EXPECT_FALSE(result.ok()) << why;
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated)
          << why;
    }
  }

  std::unique_ptr<JwtSigner> signer_;
  std::unique_ptr<JwtVerifier> verifier_;
  EVP_PKEY* private_key_ = nullptr;  // set by CraftedJwtTest only
};

// A fixture whose private key is also available to the test, for crafting
// validly signed tokens with unusual headers and claims.
class CraftedJwtTest : public JwtTest {
 protected:
  void SetUp() override {
    private_key_ = EVP_EC_gen("P-256");
    ASSERT_NE(private_key_, nullptr);
    auto signer = JwtSigner::FromPrivateKeyPem(PemOf(private_key_, true));
    ASSERT_TRUE(signer.ok()) << signer.status();
    signer_ = std::make_unique<JwtSigner>(*std::move(signer));
    auto verifier = JwtVerifier::FromPublicKeysPem(signer_->PublicKeyPem(),
                                                   kIssuer, kAudience);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = std::make_unique<JwtVerifier>(*std::move(verifier));
  }
  void TearDown() override { EVP_PKEY_free(private_key_); }
};

TEST(Base64UrlTest, RoundTripsAndIsStrict) {
  for (const std::string& data :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                std::string("\xff\xfe\x00\x01", 4)}) {
    auto decoded = Base64UrlDecode(Base64UrlEncode(data));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, data);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zm9v=").ok());  // padding
  EXPECT_FALSE(Base64UrlDecode("+/8").ok());    // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm 9v").ok());  // whitespace
  EXPECT_FALSE(Base64UrlDecode("Z").ok());      // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());     // non-zero leftover bits
  EXPECT_TRUE(Base64UrlDecode("Zg").ok());
}

TEST_F(JwtTest, SignsAndVerifiesValidToken) {
  JwtClaims claims = Claims();
  claims.extra["role"] = "user";
  const std::string token = signer_->Sign(claims);
  const auto parts = Split(token);
  ASSERT_EQ(parts.size(), 3u);
  const Json header = Json::parse(*Base64UrlDecode(parts[0]));
  EXPECT_EQ(
      header,
      Json({{"alg", "ES256"}, {"typ", "JWT"}, {"kid", signer_->key_id()}}));
  EXPECT_EQ(Base64UrlDecode(parts[2])->size(), 64u);  // raw r||s, not DER

  auto verified = verifier_->Verify(token, kNow);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->subject, "user-123");
  EXPECT_EQ(verified->issuer, kIssuer);
  EXPECT_EQ(verified->audience, kAudience);
  EXPECT_EQ(verified->token_id, "jti-1");
  EXPECT_EQ(verified->expires_at, claims.expires_at);
  EXPECT_EQ(verified->issued_at, claims.issued_at);
  EXPECT_EQ(verified->not_before, claims.not_before);
  EXPECT_EQ(verified->extra.at("role"), "user");
}

TEST_F(JwtTest, KeyIdIsRfc7638Thumbprint) {
  const PublicJwk jwk = signer_->public_jwk();
  EXPECT_EQ(jwk.kty, "EC");
  EXPECT_EQ(jwk.crv, "P-256");
  EXPECT_EQ(jwk.alg, "ES256");
  EXPECT_EQ(jwk.use, "sig");
  EXPECT_EQ(Base64UrlDecode(jwk.x)->size(), 32u);
  EXPECT_EQ(Base64UrlDecode(jwk.y)->size(), 32u);
  // Members in lexicographic order, no whitespace (nlohmann sorts keys).
  const std::string canonical =
      Json({{"kty", "EC"}, {"crv", "P-256"}, {"x", jwk.x}, {"y", jwk.y}})
          .dump();
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(),
             nullptr);
  EXPECT_EQ(signer_->key_id(), Base64UrlEncode(std::string(
                                   reinterpret_cast<char*>(digest), length)));
  EXPECT_EQ(jwk.kid, signer_->key_id());
}

TEST_F(JwtTest, EveryTokenAndCopyCarriesTheSameHeader) {
  // The header is encoded once per signer; it must still name this key in
  // every token, also from a copy of the signer.
  JwtClaims other = Claims();
  other.subject = "user-456";
  const JwtSigner copy = *signer_;
  for (const std::string& token :
       {signer_->Sign(Claims()), signer_->Sign(other), copy.Sign(other)}) {
    const auto parts = Split(token);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(Json::parse(*Base64UrlDecode(parts[0])), Header());
    EXPECT_TRUE(verifier_->Verify(token, kNow).ok()) << token;
  }
  EXPECT_EQ(copy.public_jwk().kid, signer_->key_id());
}

TEST_F(JwtTest, RejectsExpiredTokenBeyondLeeway) {
  JwtClaims claims = Claims();
  claims.issued_at = kNow - seconds(1000);
  claims.not_before = kNow - seconds(1000);
  claims.expires_at = kNow - seconds(10);  // within leeway: still fine
  EXPECT_TRUE(verifier_->Verify(signer_->Sign(claims), kNow).ok());
  claims.expires_at = kNow - JwtVerifier::kLeeway;
  ExpectRejected(signer_->Sign(claims), "expired");
  claims.expires_at = kNow - seconds(3600);
  auto result = verifier_->Verify(signer_->Sign(claims), kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              ::testing::HasSubstr("expired"));
}

TEST_F(JwtTest, RejectsNotYetValidAndFutureIssued) {
  JwtClaims claims = Claims();
  claims.not_before = kNow + seconds(120);
  ExpectRejected(signer_->Sign(claims), "nbf in the future");
  claims = Claims();
  claims.issued_at = kNow + seconds(120);
  ExpectRejected(signer_->Sign(claims), "iat in the future");
}

TEST_F(JwtTest, RejectsWrongIssuerAudienceAndMissingSubject) {
  JwtClaims claims = Claims();
  claims.issuer = "someone-else";
  ExpectRejected(signer_->Sign(claims), "issuer");
  claims = Claims();
  claims.audience = "other-app";
  ExpectRejected(signer_->Sign(claims), "audience");
  claims = Claims();
  claims.subject = "";
  ExpectRejected(signer_->Sign(claims), "subject");
}

TEST_F(JwtTest, RejectsTokenFromAnotherKey) {
  auto other = JwtSigner::FromPrivateKeyPem(*GenerateEcPrivateKeyPem());
  ASSERT_TRUE(other.ok());
  ExpectRejected(other->Sign(Claims()), "unknown kid");
  // Same but claiming our kid: the signature check must catch it.
  auto parts = Split(other->Sign(Claims()));
  Json header = Json::parse(*Base64UrlDecode(parts[0]));
  header["kid"] = signer_->key_id();
  const std::string forged_input = Segment(header) + "." + parts[1];
  ExpectRejected(forged_input + "." + parts[2], "other key, forged kid");
}

TEST_F(JwtTest, AcceptsAnyOfSeveralKeys) {
  auto other = JwtSigner::FromPrivateKeyPem(*GenerateEcPrivateKeyPem());
  ASSERT_TRUE(other.ok());
  auto both = JwtVerifier::FromPublicKeysPem(
      signer_->PublicKeyPem() + other->PublicKeyPem(), kIssuer, kAudience);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->key_count(), 2u);
  EXPECT_TRUE(both->Verify(signer_->Sign(Claims()), kNow).ok());
  EXPECT_TRUE(both->Verify(other->Sign(Claims()), kNow).ok());
}

TEST_F(JwtTest, RejectsTamperedPayload) {
  auto parts = Split(signer_->Sign(Claims()));
  Json payload = Json::parse(*Base64UrlDecode(parts[1]));
  payload["sub"] = "admin";
  ExpectRejected(parts[0] + "." + Segment(payload) + "." + parts[2],
                 "tampered payload");
  // Flipping a signature byte breaks it too.
  std::string raw = *Base64UrlDecode(parts[2]);
  raw[10] ^= 0x01;
  ExpectRejected(parts[0] + "." + parts[1] + "." + Base64UrlEncode(raw),
                 "tampered signature");
}

TEST_F(JwtTest, RejectsAlgNone) {
  auto parts = Split(signer_->Sign(Claims()));
  Json header = Header();
  header["alg"] = "none";
  const std::string input = Segment(header) + "." + parts[1];
  ExpectRejected(input + ".", "alg none, empty signature");
  ExpectRejected(input, "alg none, two segments");
  ExpectRejected(input + "." + parts[2], "alg none with a signature");
  header["alg"] = "None";
  ExpectRejected(Segment(header) + "." + parts[1] + ".", "alg None");
}

TEST_F(JwtTest, RejectsHs256KeyedWithPublicKey) {
  Json header = Header();
  header["alg"] = "HS256";
  const std::string input = Segment(header) + "." + Segment(Payload());
  const std::string public_pem = signer_->PublicKeyPem();
  ExpectRejected(input + "." + Base64UrlEncode(HmacSha256(public_pem, input)),
                 "HS256 with PEM bytes");
  // Also keyed with the raw DER / JWK-ish forms an attacker might try.
  const PublicJwk jwk = signer_->public_jwk();
  ExpectRejected(
      input + "." + Base64UrlEncode(HmacSha256(jwk.x + jwk.y, input)),
      "HS256 with coordinates");
  header.erase("kid");
  const std::string no_kid = Segment(header) + "." + Segment(Payload());
  ExpectRejected(no_kid + "." + Base64UrlEncode(HmacSha256(public_pem, no_kid)),
                 "HS256 without kid");
}

TEST_F(JwtTest, RejectsRs256AndMissingAlg) {
  auto parts = Split(signer_->Sign(Claims()));
  Json header = Header();
  header["alg"] = "RS256";
  ExpectRejected(Segment(header) + "." + parts[1] + "." + parts[2], "RS256");
  header.erase("alg");
  ExpectRejected(Segment(header) + "." + parts[1] + "." + parts[2], "no alg");
  header["alg"] = Json::array({"ES256"});
  ExpectRejected(Segment(header) + "." + parts[1] + "." + parts[2],
                 "alg array");
}

TEST_F(JwtTest, RejectsMalformedTokens) {
  const std::string token = signer_->Sign(Claims());
  auto parts = Split(token);
  ExpectRejected("", "empty");
  ExpectRejected("abc", "one segment");
  ExpectRejected(token + ".x", "four segments");
  ExpectRejected(parts[0] + ".." + parts[2], "empty payload");
  ExpectRejected("!!!." + parts[1] + "." + parts[2], "bad base64 header");
  ExpectRejected(parts[0] + "." + parts[1] + "=." + parts[2], "padding");
  ExpectRejected(Base64UrlEncode("{not json") + "." + parts[1] + "." + parts[2],
                 "bad json header");
  ExpectRejected(Base64UrlEncode("[1,2]") + "." + parts[1] + "." + parts[2],
                 "header not an object");
  std::string with_padding_sig =
      parts[0] + "." + parts[1] + "." + parts[2] + "AA";
  ExpectRejected(with_padding_sig, "signature of wrong length");
  ExpectRejected(token + std::string(9000, 'A'), "oversized");
  ExpectRejected(std::string(9000, 'a') + "." + parts[1] + "." + parts[2],
                 "oversized header");
}

TEST_F(JwtTest, VerifierOnlyAcceptsP256PublicKeys) {
  EXPECT_FALSE(JwtVerifier::FromPublicKeysPem("", kIssuer, kAudience).ok());
  EXPECT_FALSE(
      JwtVerifier::FromPublicKeysPem("garbage", kIssuer, kAudience).ok());
  EXPECT_FALSE(JwtVerifier::FromPublicKeysPem(*GenerateEcPrivateKeyPem(),
                                              kIssuer, kAudience)
                   .ok());
  EVP_PKEY* p384 = EVP_EC_gen("P-384");
  EXPECT_FALSE(
      JwtVerifier::FromPublicKeysPem(PemOf(p384, false), kIssuer, kAudience)
          .ok());
  EXPECT_FALSE(JwtSigner::FromPrivateKeyPem(PemOf(p384, true)).ok());
  EVP_PKEY_free(p384);
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  EXPECT_FALSE(
      JwtVerifier::FromPublicKeysPem(PemOf(rsa, false), kIssuer, kAudience)
          .ok());
  EXPECT_FALSE(JwtSigner::FromPrivateKeyPem(PemOf(rsa, true)).ok());
  EVP_PKEY_free(rsa);
  EXPECT_FALSE(JwtSigner::FromPrivateKeyPem("not a key").ok());
  EXPECT_FALSE(
      JwtVerifier::FromPublicKeysPem(signer_->PublicKeyPem(), "", kAudience)
          .ok());
}

TEST_F(CraftedJwtTest, HandSignedTokenMatchesProductionFormat) {
  EXPECT_TRUE(verifier_->Verify(SignRaw(Header(), Payload()), kNow).ok());
}

TEST_F(CraftedJwtTest, AudienceMayBeAnArray) {
  Json payload = Payload();
  payload["aud"] = Json::array({"other", kAudience});
  EXPECT_TRUE(verifier_->Verify(SignRaw(Header(), payload), kNow).ok());
  payload["aud"] = Json::array({"other", "another"});
  ExpectRejected(SignRaw(Header(), payload), "aud array without us");
  payload["aud"] = 5;
  ExpectRejected(SignRaw(Header(), payload), "aud number");
  payload.erase("aud");
  ExpectRejected(SignRaw(Header(), payload), "no aud");
}

TEST_F(CraftedJwtTest, RequiresWellFormedTimes) {
  Json payload = Payload();
  payload.erase("exp");
  ExpectRejected(SignRaw(Header(), payload), "missing exp");
  payload["exp"] = "1900000900";
  ExpectRejected(SignRaw(Header(), payload), "exp as string");
  payload["exp"] = 1e300;
  ExpectRejected(SignRaw(Header(), payload), "exp absurd");
  payload["exp"] = 1'900'000'900.5;
  EXPECT_TRUE(verifier_->Verify(SignRaw(Header(), payload), kNow).ok());
  payload["exp"] = 1'900'000'900;
  payload["nbf"] = true;
  ExpectRejected(SignRaw(Header(), payload), "nbf bool");
}

TEST_F(CraftedJwtTest, RejectsUnknownCritAndTyp) {
  Json header = Header();
  header["crit"] = Json::array({"b64"});
  ExpectRejected(SignRaw(header, Payload()), "crit");
  header = Header();
  header["typ"] = "at+jwt+other";
  ExpectRejected(SignRaw(header, Payload()), "typ");
  header = Header();
  header.erase("kid");
  ExpectRejected(SignRaw(header, Payload()), "no kid");
}

TEST_F(CraftedJwtTest, TypIsCaseInsensitive) {
  Json header = Header();
  header["typ"] = "jwt";
  EXPECT_TRUE(verifier_->Verify(SignRaw(header, Payload()), kNow).ok());
  header["typ"] = "Jwt";
  EXPECT_TRUE(verifier_->Verify(SignRaw(header, Payload()), kNow).ok());
  header["typ"] = "JWS";
  ExpectRejected(SignRaw(header, Payload()), "typ JWS");
  header["typ"] = "JWT ";
  ExpectRejected(SignRaw(header, Payload()), "typ with a space");
}

TEST_F(CraftedJwtTest, JwkHoldsTheKeysCoordinates) {
  // Read independently of the production code.
  const auto coordinate = [&](const char* name) {
    BIGNUM* bn = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(private_key_, name, &bn), 1);
    std::string bytes(32, '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), 32);
    BN_free(bn);
    return Base64UrlEncode(bytes);
  };
  const PublicJwk& jwk = signer_->public_jwk();
  EXPECT_EQ(jwk.x, coordinate(OSSL_PKEY_PARAM_EC_PUB_X));
  EXPECT_EQ(jwk.y, coordinate(OSSL_PKEY_PARAM_EC_PUB_Y));
  // The same key in SEC1 form gives the same JWK.
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(bio, private_key_, nullptr, nullptr, 0,
                                       nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  const std::string sec1_pem(data, length);
  BIO_free(bio);
  ASSERT_THAT(sec1_pem, ::testing::HasSubstr("BEGIN EC PRIVATE KEY"));
  auto sec1 = JwtSigner::FromPrivateKeyPem(sec1_pem);
  ASSERT_TRUE(sec1.ok()) << sec1.status();
  EXPECT_EQ(sec1->public_jwk().x, jwk.x);
  EXPECT_EQ(sec1->public_jwk().y, jwk.y);
  EXPECT_EQ(sec1->key_id(), signer_->key_id());
}

TEST_F(CraftedJwtTest, RejectsDerEncodedSignature) {
  const std::string input = Segment(Header()) + "." + Segment(Payload());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, private_key_);
  EVP_DigestSign(ctx, nullptr, &length,
                 reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string der(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  EVP_MD_CTX_free(ctx);
  der.resize(length);
  ExpectRejected(input + "." + Base64UrlEncode(der), "DER signature");
}

}  // namespace
}  // namespace cryptotracker::common
