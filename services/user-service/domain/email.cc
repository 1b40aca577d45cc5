#include "services/user-service/domain/email.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace cryptotracker::user::domain {
namespace {

std::vector<std::string_view> SplitOnDots(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
}

// RFC 5322 "atext" (besides letters and digits) that may appear in an
// unquoted local part. Quoted local parts are not accepted.
constexpr std::string_view kLocalPartSymbols = "!#$%&'*+/=?^_`{|}~-";

bool IsLocalPartChar(char c) {
  return absl::ascii_isalnum(c) ||
         kLocalPartSymbols.find(c) != std::string_view::npos;
}

std::optional<RuleViolation> CheckLocalPart(std::string_view local) {
  if (local.empty()) {
    return RuleViolation("must have a part before the '@'");
  }
  if (local.size() > kMaxEmailLocalPartLength) {
    return RuleViolation("must have at most 64 characters before the '@'");
  }
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return RuleViolation(
        "must not start or end its local part with a dot or contain two dots "
        "in a row");
  }
  for (char c : local) {
    if (c != '.' && !IsLocalPartChar(c)) {
      return RuleViolation(
          "contains a character that is not allowed before the '@'");
    }
  }
  return std::nullopt;
}

std::optional<RuleViolation> CheckDomain(std::string_view domain) {
  if (domain.empty()) {
    return RuleViolation("must have a domain after the '@'");
  }
  const std::vector<std::string_view> labels = SplitOnDots(domain);
  if (labels.size() < 2) {
    return RuleViolation("must have a domain with a dot, such as example.com");
  }
  for (std::string_view label : labels) {
    if (label.empty() || label.size() > 63) {
      return RuleViolation(
          "must have a domain made of dot-separated labels of 1 to 63 "
          "characters");
    }
    if (label.front() == '-' || label.back() == '-') {
      return RuleViolation(
          "must not have a domain label that starts or ends with '-'");
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return RuleViolation(
            "must have a domain of letters, digits, '-' and '.' only");
      }
    }
  }
  const std::string_view top_level = labels.back();
  if (top_level.size() < 2 ||
      std::all_of(top_level.begin(), top_level.end(),
                  [](char c) { return absl::ascii_isdigit(c); })) {
    return RuleViolation(
        "must end in a top-level domain of at least two characters, not all "
        "digits");
  }
  return std::nullopt;
}

}  // namespace

std::string NormalizeEmail(std::string_view raw) {
  // Debian's abseil has its own string_view type, not std::string_view.
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(raw.data(), raw.size())));
}

Validated<std::string> ValidateEmail(std::string_view raw) {
  std::string email = NormalizeEmail(raw);
  if (email.empty()) return RuleViolation("is required");
  if (email.size() > kMaxEmailLength) {
    return RuleViolation("must have at most 254 characters");
  }
  for (char c : email) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      return RuleViolation("must contain only ASCII characters");
    }
    if (byte <= 0x20 || byte == 0x7F) {
      return RuleViolation("must not contain spaces or control characters");
    }
  }
  const size_t at = email.find('@');
  if (at == std::string::npos || email.find('@', at + 1) != std::string::npos) {
    return RuleViolation("must contain exactly one '@'");
  }
  const std::string_view view = email;
  if (auto violation = CheckLocalPart(view.substr(0, at))) return *violation;
  if (auto violation = CheckDomain(view.substr(at + 1))) return *violation;
  return email;
}

std::string_view EmailLocalPart(std::string_view normalized_email) {
  return normalized_email.substr(0, normalized_email.find('@'));
}

}  // namespace cryptotracker::user::domain
