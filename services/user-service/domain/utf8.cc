#include "services/user-service/domain/utf8.h"

#include <cstdint>

namespace cryptotracker::user::domain {

std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view text) {
  std::vector<char32_t> code_points;
  code_points.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<uint8_t>(text[i]);
    if (lead < 0x80) {
      code_points.push_back(lead);
      ++i;
      continue;
    }
    int continuation_bytes = 0;
    char32_t code_point = 0;
    char32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {  // 0xC0/0xC1 would be overlong.
      continuation_bytes = 1;
      code_point = lead & 0x1F;
      minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation_bytes = 2;
      code_point = lead & 0x0F;
      minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation_bytes = 3;
      code_point = lead & 0x07;
      minimum = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + continuation_bytes >= text.size()) {
      return std::nullopt;  // Truncated sequence.
    }
    for (int k = 1; k <= continuation_bytes; ++k) {
      const auto byte = static_cast<uint8_t>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return std::nullopt;
    }
    code_points.push_back(code_point);
    i += continuation_bytes + 1;
  }
  return code_points;
}

bool IsControlOrBidiFormat(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x200E || c == 0x200F ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

bool IsTrimmableSpace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f' || c == 0xA0 || (c >= 0x2000 && c <= 0x200A) || c == 0x3000;
}

bool IsLetter(char32_t c) {
  struct Range {
    char32_t first;
    char32_t last;
  };
  // Sorted, non-overlapping. Coarse on purpose: it only has to tell a
  // password's letters from its digits and symbols.
  static constexpr Range kLetterRanges[] = {
      {'A', 'Z'},       {'a', 'z'},       {0x00AA, 0x00AA}, {0x00B5, 0x00B5},
      {0x00BA, 0x00BA}, {0x00C0, 0x00D6}, {0x00D8, 0x00F6}, {0x00F8, 0x02AF},
      {0x0370, 0x0373}, {0x0376, 0x0377}, {0x037B, 0x037D}, {0x0386, 0x0386},
      {0x0388, 0x03FF}, {0x0400, 0x0481}, {0x048A, 0x052F}, {0x0531, 0x0556},
      {0x0561, 0x0587}, {0x05D0, 0x05EA}, {0x0620, 0x064A}, {0x0671, 0x06D3},
      {0x0904, 0x0939}, {0x0958, 0x0961}, {0x0985, 0x09B9}, {0x0E01, 0x0E30},
      {0x10A0, 0x10FF}, {0x1E00, 0x1FBC}, {0x1FC2, 0x1FCC}, {0x1FD0, 0x1FDB},
      {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FFC}, {0x3041, 0x3096}, {0x30A1, 0x30FA},
      {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
      {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
  };
  for (const Range& range : kLetterRanges) {
    if (c < range.first) return false;
    if (c <= range.last) return true;
  }
  return false;
}

size_t Utf8Length(char32_t code_point) {
  if (code_point < 0x80) return 1;
  if (code_point < 0x800) return 2;
  if (code_point < 0x10000) return 3;
  return 4;
}

}  // namespace cryptotracker::user::domain
