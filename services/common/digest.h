// SHA-256, the one digest the services use: JWK thumbprints, migration
// checksums, and the stored hashes of refresh tokens and throttle keys.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_DIGEST_H_
#define CRYPTOTRACKER_SERVICES_COMMON_DIGEST_H_

#include <string>
#include <string_view>

namespace cryptotracker::common {

// The 32-byte digest.
std::string Sha256(std::string_view data);

// The digest as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_DIGEST_H_
