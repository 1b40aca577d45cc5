#include "services/user-service/domain/utf8.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::user::domain {
namespace {

TEST(DecodeUtf8Test, DecodesEveryEncodingLength) {
  auto decoded = DecodeUtf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600}));
}

TEST(Utf8LengthTest, MatchesTheEncodedLength) {
  EXPECT_EQ(Utf8Length(U'a'), 1u);
  EXPECT_EQ(Utf8Length(0x7F), 1u);
  EXPECT_EQ(Utf8Length(0x80), 2u);
  EXPECT_EQ(Utf8Length(0x7FF), 2u);
  EXPECT_EQ(Utf8Length(0x800), 3u);
  EXPECT_EQ(Utf8Length(0xFFFF), 3u);
  EXPECT_EQ(Utf8Length(0x10000), 4u);
  EXPECT_EQ(Utf8Length(0x10FFFF), 4u);
  // Summed over decoded text, the lengths give back its size in bytes.
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 \xE3\x80\x80";
  const auto decoded = DecodeUtf8(text);
  ASSERT_TRUE(decoded.has_value());
  size_t bytes = 0;
  for (char32_t c : *decoded) bytes += Utf8Length(c);
  EXPECT_EQ(bytes, text.size());
}

TEST(DecodeUtf8Test, AcceptsBoundaryCodePoints) {
  EXPECT_TRUE(DecodeUtf8("\x7F").has_value());
  EXPECT_TRUE(DecodeUtf8("\xC2\x80").has_value());
  EXPECT_TRUE(DecodeUtf8("\xEF\xBF\xBF").has_value());
  EXPECT_TRUE(DecodeUtf8("\xF4\x8F\xBF\xBF").has_value());
  EXPECT_TRUE(DecodeUtf8(std::string("\0", 1)).has_value());
}

TEST(DecodeUtf8Test, RejectsMalformedInput) {
  EXPECT_FALSE(DecodeUtf8("\x80").has_value());          // Lone continuation.
  EXPECT_FALSE(DecodeUtf8("\xC0\x80").has_value());      // Overlong NUL.
  EXPECT_FALSE(DecodeUtf8("\xE0\x80\xAF").has_value());  // Overlong '/'.
  EXPECT_FALSE(DecodeUtf8("\xF0\x80\x80\xAF").has_value());  // Overlong '/'.
  EXPECT_FALSE(DecodeUtf8("\xED\xBF\xBF").has_value());      // Surrogate.
  EXPECT_FALSE(DecodeUtf8("\xF4\x90\x80\x80").has_value());  // > U+10FFFF.
  EXPECT_FALSE(DecodeUtf8("\xF8\x88\x80\x80\x80").has_value());
  EXPECT_FALSE(DecodeUtf8("abc\xE2\x82").has_value());  // Truncated.
  EXPECT_FALSE(DecodeUtf8("\xC3").has_value());
  EXPECT_FALSE(DecodeUtf8("\xC3"
                          "a")
                   .has_value());
}

TEST(IsLetterTest, SeparatesLettersFromOtherCharacters) {
  for (char32_t c : {U'a', U'Z', char32_t{0xE9}, char32_t{0x0416},
                     char32_t{0x05D0}, char32_t{0x4E2D}, char32_t{0xAC00}}) {
    EXPECT_TRUE(IsLetter(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'0', U'9', U' ', U'!', U'_', char32_t{0xD7},
                     char32_t{0xF7}, char32_t{0x20AC}, char32_t{0x1F511}}) {
    EXPECT_FALSE(IsLetter(c)) << static_cast<uint32_t>(c);
  }
}

TEST(IsControlOrBidiFormatTest, FlagsInvisibleCharacters) {
  EXPECT_TRUE(IsControlOrBidiFormat(0x00));
  EXPECT_TRUE(IsControlOrBidiFormat(0x1B));
  EXPECT_TRUE(IsControlOrBidiFormat(0x7F));
  EXPECT_TRUE(IsControlOrBidiFormat(0x85));
  EXPECT_TRUE(IsControlOrBidiFormat(0x202E));
  EXPECT_FALSE(IsControlOrBidiFormat(U' '));
  EXPECT_FALSE(IsControlOrBidiFormat(U'a'));
  EXPECT_FALSE(IsControlOrBidiFormat(0xA0));
}

}  // namespace
}  // namespace cryptotracker::user::domain
