#ifndef CRYPTOTRACKER_USER_DOMAIN_UTF8_H_
#define CRYPTOTRACKER_USER_DOMAIN_UTF8_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace cryptotracker::user::domain {

// Decodes strict UTF-8 (RFC 3629): rejects overlong forms, UTF-16 surrogates,
// code points above U+10FFFF and truncated sequences. Returns std::nullopt for
// any invalid input, so that lengths are always counted in code points of
// well-formed text and never in bytes.
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view text);

// True for C0 controls, DEL, C1 controls and the invisible bidirectional
// formatting characters (U+200E/F, U+202A..U+202E, U+2066..U+2069), which can
// make a displayed name differ from what is stored.
bool IsControlOrBidiFormat(char32_t code_point);

// True for the whitespace characters that trimming removes: ASCII whitespace,
// NO-BREAK SPACE, the U+2000..U+200A spaces, and IDEOGRAPHIC SPACE.
bool IsTrimmableSpace(char32_t code_point);

// Heuristic letter test without ICU: ASCII letters plus the letter blocks of
// the common scripts (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic,
// Thai, Georgian, Hangul, Kana, CJK ideographs). Digits, punctuation, symbols
// and emoji are not letters.
bool IsLetter(char32_t code_point);

// The number of bytes that encode `code_point` (a valid scalar value) in
// UTF-8: 1 to 4.
size_t Utf8Length(char32_t code_point);

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_UTF8_H_
