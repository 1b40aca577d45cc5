#ifndef CRYPTOTRACKER_USER_DOMAIN_REFRESH_TOKEN_H_
#define CRYPTOTRACKER_USER_DOMAIN_REFRESH_TOKEN_H_

#include <string>
#include <string_view>

namespace cryptotracker::user::domain {

// Refresh tokens are 32 random bytes, base64url without padding (43 chars).
// Only their SHA-256 is stored, so a leaked database cannot be replayed.
inline constexpr size_t kRefreshTokenBytes = 32;
inline constexpr size_t kRefreshTokenLength = 43;

// Calls sodium_init() once; throws std::runtime_error if libsodium cannot be
// initialised. Every libsodium user in this service calls it first.
void EnsureSodiumInitialized();

// A new random refresh token from libsodium's CSPRNG.
std::string GenerateRefreshToken();

// A random 128-bit identifier as 32 hex digits, for an access token's jti.
std::string GenerateTokenId();

// True when `token` has the shape of a token from GenerateRefreshToken (so
// malformed input can be told apart from an unknown token).
bool IsWellFormedRefreshToken(std::string_view token);

// Lower-case hex SHA-256 of the token: the value stored and looked up.
std::string HashRefreshToken(std::string_view token);

// True for a UUID in canonical text form (8-4-4-4-12 hex digits), as
// PostgreSQL prints them. Used to reject foreign ids before they reach SQL.
bool IsCanonicalUuid(std::string_view text);

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_REFRESH_TOKEN_H_
