#include "services/user-service/domain/refresh_token.h"

#include <sodium.h>

#include <array>
#include <stdexcept>

#include "services/common/digest.h"
#include "services/common/jwt.h"

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
  std::string encoded = common::Base64UrlEncode(std::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  sodium_memzero(bytes.data(), bytes.size());
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
  // The decoder also refuses non-canonical final characters.
  return token.size() == kRefreshTokenLength &&
         common::Base64UrlDecode(token).ok();
}

std::string HashRefreshToken(std::string_view token) {
  return common::Sha256Hex(token);
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
