#ifndef CRYPTOTRACKER_USER_DOMAIN_DISPLAY_NAME_H_
#define CRYPTOTRACKER_USER_DOMAIN_DISPLAY_NAME_H_

#include <string>
#include <string_view>

#include "services/user-service/domain/validated.h"

namespace cryptotracker::user::domain {

inline constexpr size_t kMaxDisplayNameCodePoints = 64;

// Trims surrounding whitespace (ASCII and Unicode spaces) and checks that the
// rest is valid UTF-8 of 1..64 code points without control or bidirectional
// formatting characters. On failure the violation's problem is meant
// to follow the field name.
Validated<std::string> ValidateDisplayName(std::string_view raw);

// The display name of a new account that did not choose one: the local part
// of its normalised email. For an email accepted by ValidateEmail this is
// always a valid display name (at most 64 printable ASCII characters).
std::string DefaultDisplayName(std::string_view normalized_email);

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_DISPLAY_NAME_H_
