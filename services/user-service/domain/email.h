#ifndef CRYPTOTRACKER_USER_DOMAIN_EMAIL_H_
#define CRYPTOTRACKER_USER_DOMAIN_EMAIL_H_

#include <string>
#include <string_view>

#include "services/user-service/domain/validated.h"

namespace cryptotracker::user::domain {

// Longest email accepted (RFC 5321 path limit minus the angle brackets).
inline constexpr size_t kMaxEmailLength = 254;
// Longest local part accepted (RFC 5321).
inline constexpr size_t kMaxEmailLocalPartLength = 64;

// Trims surrounding whitespace and lower-cases ASCII letters. This is the form
// in which emails are stored, compared and made unique.
std::string NormalizeEmail(std::string_view raw);

// Normalises `raw` and checks that it is a plausible single address
// local@domain.tld. A violation's problem follows the field name
// ("email" + " must contain exactly one '@'").
//
// Only ASCII addresses are accepted: uniqueness is decided on the lower-cased
// form, and without full Unicode case folding two spellings of one
// internationalised address could become two accounts.
Validated<std::string> ValidateEmail(std::string_view raw);

// The part before the '@' of a normalised email (the whole string if there is
// no '@').
std::string_view EmailLocalPart(std::string_view normalized_email);

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_EMAIL_H_
