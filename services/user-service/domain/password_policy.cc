#include "services/user-service/domain/password_policy.h"

#include "services/user-service/domain/email.h"
#include "services/user-service/domain/utf8.h"

namespace cryptotracker::user::domain {

std::optional<RuleViolation> CheckNewPassword(
    std::string_view password, std::string_view normalized_email) {
  if (password.empty()) return RuleViolation("is required");
  // Cheap byte bound first: 128 code points are at most 512 bytes, so a huge
  // input is rejected before it is decoded.
  if (password.size() > kMaxPasswordCodePoints * 4) {
    return RuleViolation("must have at most 128 characters");
  }
  const auto code_points = DecodeUtf8(password);
  if (!code_points) return RuleViolation("must be valid UTF-8");
  if (code_points->size() < kMinPasswordCodePoints) {
    return RuleViolation("must have at least 10 characters");
  }
  if (code_points->size() > kMaxPasswordCodePoints) {
    return RuleViolation("must have at most 128 characters");
  }
  bool has_letter = false;
  bool has_non_letter = false;
  for (char32_t c : *code_points) {
    if (IsControlOrBidiFormat(c)) {
      return RuleViolation("must not contain control characters");
    }
    if (IsLetter(c)) {
      has_letter = true;
    } else {
      has_non_letter = true;
    }
  }
  if (!has_letter || !has_non_letter) {
    return RuleViolation(
        "must contain at least one letter and at least one digit or symbol");
  }
  if (!normalized_email.empty() &&
      NormalizeEmail(password) == normalized_email) {
    return RuleViolation("must not be the email address");
  }
  return std::nullopt;
}

std::optional<RuleViolation> CheckPresentedPassword(std::string_view password) {
  if (password.empty()) return RuleViolation("is required");
  if (password.size() > kMaxPasswordCodePoints * 4) {
    return RuleViolation("must have at most 128 characters");
  }
  const auto code_points = DecodeUtf8(password);
  if (!code_points) return RuleViolation("must be valid UTF-8");
  if (code_points->size() > kMaxPasswordCodePoints) {
    return RuleViolation("must have at most 128 characters");
  }
  return std::nullopt;
}

}  // namespace cryptotracker::user::domain
