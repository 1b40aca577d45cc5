#include "services/user-service/domain/display_name.h"

#include <vector>

#include "services/user-service/domain/email.h"
#include "services/user-service/domain/utf8.h"

namespace cryptotracker::user::domain {

Validated<std::string> ValidateDisplayName(std::string_view raw) {
  // Generous byte bound before decoding: surrounding spaces may be trimmed,
  // but nothing legitimate is this long.
  if (raw.size() > 4096) {
    return RuleViolation("must have at most 64 characters");
  }
  auto decoded = DecodeUtf8(raw);
  if (!decoded) return RuleViolation("must be valid UTF-8");
  std::vector<char32_t>& code_points = *decoded;
  size_t begin = 0;
  size_t end = code_points.size();
  while (begin < end && IsTrimmableSpace(code_points[begin])) ++begin;
  while (end > begin && IsTrimmableSpace(code_points[end - 1])) --end;
  if (begin == end) return RuleViolation("must not be empty");
  if (end - begin > kMaxDisplayNameCodePoints) {
    return RuleViolation("must have at most 64 characters");
  }
  std::vector<char32_t> trimmed(code_points.begin() + begin,
                                code_points.begin() + end);
  for (char32_t c : trimmed) {
    if (IsControlOrBidiFormat(c)) {
      return RuleViolation("must not contain control characters");
    }
  }
  return EncodeUtf8(trimmed);
}

std::string DefaultDisplayName(std::string_view normalized_email) {
  std::string_view local = EmailLocalPart(normalized_email);
  auto decoded = DecodeUtf8(local);
  if (!decoded) return std::string(local);  // Validated emails are ASCII.
  if (decoded->size() > kMaxDisplayNameCodePoints) {
    decoded->resize(kMaxDisplayNameCodePoints);
  }
  return EncodeUtf8(*decoded);
}

}  // namespace cryptotracker::user::domain
