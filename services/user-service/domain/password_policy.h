#ifndef CRYPTOTRACKER_USER_DOMAIN_PASSWORD_POLICY_H_
#define CRYPTOTRACKER_USER_DOMAIN_PASSWORD_POLICY_H_

#include <optional>
#include <string>
#include <string_view>

#include "services/user-service/domain/validated.h"

namespace cryptotracker::user::domain {

inline constexpr size_t kMinPasswordCodePoints = 10;
inline constexpr size_t kMaxPasswordCodePoints = 128;

// Checks a new password (Register, ChangePassword): valid UTF-8, 10..128
// code points, no control characters, at least one letter and at least one
// character that is not a letter (digit, symbol, space...), and not the
// account's email in any letter case. `normalized_email` may be empty when
// there is no email to compare with. On failure the
// violation's problem is meant to follow the field name.
//
// The password itself is never trimmed or altered: spaces are significant.
std::optional<RuleViolation> CheckNewPassword(
    std::string_view password, std::string_view normalized_email);

// Checks a password presented to sign in: present, valid UTF-8 and at most
// 128 code points. The full policy is deliberately not applied here, so that
// a change of policy cannot lock anyone out.
std::optional<RuleViolation> CheckPresentedPassword(std::string_view password);

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_PASSWORD_POLICY_H_
