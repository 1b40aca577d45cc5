#include "services/user-service/domain/refresh_token.h"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace cryptotracker::user::domain {

void EnsureSodiumInitialized() {
  // sodium_init() is thread-safe and idempotent; the static only saves the
  // call on hot paths.
  static const bool initialized = sodium_init() >= 0;
  if (!initialized) throw std::runtime_error("libsodium failed to initialise");
}

std::string GenerateRefreshToken() {
  EnsureSodiumInitialized();
  std::array<unsigned char, kRefreshTokenBytes> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string encoded(sodium_base64_ENCODED_LEN(kRefreshTokenBytes, kVariant),
                      '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), bytes.data(), bytes.size(),
                    kVariant);
  sodium_memzero(bytes.data(), bytes.size());
  encoded.resize(kRefreshTokenLength);  // Drops the terminating NUL.
  return encoded;
}

std::string GenerateTokenId() {
  EnsureSodiumInitialized();
  std::array<unsigned char, 16> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.resize(bytes.size() * 2);
  return hex;
}

bool IsWellFormedRefreshToken(std::string_view token) {
  if (token.size() != kRefreshTokenLength) return false;
  for (char c : token) {
    const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!base64url) return false;
  }
  return true;
}

std::string HashRefreshToken(std::string_view token) {
  return Sha256Hex(token);
}

std::string Sha256Hex(std::string_view data) {
  EnsureSodiumInitialized();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(),
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  std::string hex(crypto_hash_sha256_BYTES * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.resize(crypto_hash_sha256_BYTES * 2);
  return hex;
}

bool IsCanonicalUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace cryptotracker::user::domain
