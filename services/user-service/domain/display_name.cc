#include "services/user-service/domain/display_name.h"

#include "services/user-service/domain/email.h"
#include "services/user-service/domain/utf8.h"

namespace cryptotracker::user::domain {

Validated<std::string> ValidateDisplayName(std::string_view raw) {
  // Generous byte bound before decoding: surrounding spaces may be trimmed,
  // but nothing legitimate is this long.
  if (raw.size() > 4096) {
    return RuleViolation("must have at most 64 characters");
  }
  // Decoded only to check and count; the accepted name is a slice of `raw`.
  const auto code_points = DecodeUtf8(raw);
  if (!code_points) return RuleViolation("must be valid UTF-8");
  size_t begin = 0;
  size_t end = code_points->size();
  size_t begin_byte = 0;
  size_t end_byte = raw.size();
  while (begin < end && IsTrimmableSpace((*code_points)[begin])) {
    begin_byte += Utf8Length((*code_points)[begin++]);
  }
  while (end > begin && IsTrimmableSpace((*code_points)[end - 1])) {
    end_byte -= Utf8Length((*code_points)[--end]);
  }
  if (begin == end) return RuleViolation("must not be empty");
  if (end - begin > kMaxDisplayNameCodePoints) {
    return RuleViolation("must have at most 64 characters");
  }
  for (size_t i = begin; i < end; ++i) {
    if (IsControlOrBidiFormat((*code_points)[i])) {
      return RuleViolation("must not contain control characters");
    }
  }
  return std::string(raw.substr(begin_byte, end_byte - begin_byte));
}

// A validated email's local part is at most this many ASCII characters, each
// one code point, so it needs no cutting to fit a display name.
static_assert(kMaxEmailLocalPartLength <= kMaxDisplayNameCodePoints);

std::string DefaultDisplayName(std::string_view normalized_email) {
  return std::string(EmailLocalPart(normalized_email));
}

}  // namespace cryptotracker::user::domain
