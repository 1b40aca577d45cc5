#include "services/user-service/domain/display_name.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/user-service/domain/email.h"

namespace cryptotracker::user::domain {
namespace {

using ::testing::HasSubstr;

std::string Repeat(std::string_view unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

TEST(ValidateDisplayNameTest, TrimsSurroundingSpaces) {
  auto name = ValidateDisplayName("  Satoshi N. \t");
  ASSERT_TRUE(name.ok()) << name.problem();
  EXPECT_EQ(*name, "Satoshi N.");
  // NO-BREAK SPACE and IDEOGRAPHIC SPACE are trimmed too.
  name = ValidateDisplayName("\xC2\xA0\xE3\x80\x80Zo\xC3\xAB\xE3\x80\x80");
  ASSERT_TRUE(name.ok()) << name.problem();
  EXPECT_EQ(*name, "Zo\xC3\xAB");
}

TEST(ValidateDisplayNameTest, TrimsMultiByteSpacesNextToMultiByteText) {
  const std::string en_quad = "\xE2\x80\x80";     // 3 bytes
  const std::string no_break = "\xC2\xA0";        // 2 bytes
  const std::string rocket = "\xF0\x9F\x9A\x80";  // 4 bytes
  const std::string e_diaeresis = "\xC3\xAB";     // 2 bytes
  // Inner spaces of any width stay.
  const std::string inner = rocket + no_break + e_diaeresis;
  auto name =
      ValidateDisplayName(en_quad + no_break + inner + no_break + en_quad);
  ASSERT_TRUE(name.ok()) << name.problem();
  EXPECT_EQ(*name, inner);
}

TEST(ValidateDisplayNameTest, KeepsInnerSpacesAndUnicode) {
  auto name =
      ValidateDisplayName("\xE4\xB8\xAD\xE6\x96\x87 name \xF0\x9F\x9A\x80");
  ASSERT_TRUE(name.ok()) << name.problem();
  EXPECT_EQ(*name, "\xE4\xB8\xAD\xE6\x96\x87 name \xF0\x9F\x9A\x80");
}

TEST(ValidateDisplayNameTest, RejectsEmptyAfterTrimming) {
  EXPECT_THAT(ValidateDisplayName("").problem(), HasSubstr("empty"));
  EXPECT_FALSE(ValidateDisplayName(" \t ").ok());
}

TEST(ValidateDisplayNameTest, CountsCodePoints) {
  EXPECT_TRUE(ValidateDisplayName(Repeat("\xE5\x90\x8D", 64)).ok());
  EXPECT_THAT(ValidateDisplayName(Repeat("\xE5\x90\x8D", 65)).problem(),
              HasSubstr("at most 64"));
  EXPECT_TRUE(ValidateDisplayName("  " + std::string(64, 'n') + "  ").ok());
  EXPECT_FALSE(ValidateDisplayName(std::string(65, 'n')).ok());
  EXPECT_FALSE(ValidateDisplayName(std::string(1 << 20, 'n')).ok());
}

TEST(ValidateDisplayNameTest, RejectsControlAndBidiCharacters) {
  EXPECT_THAT(ValidateDisplayName("Eve\nAdmin").problem(),
              HasSubstr("control"));
  EXPECT_FALSE(ValidateDisplayName(std::string("Eve\0", 4) + "x").ok());
  EXPECT_FALSE(ValidateDisplayName("Eve\x7f").ok());
  EXPECT_FALSE(ValidateDisplayName("Eve\xC2\x85").ok());           // NEL (C1)
  EXPECT_FALSE(ValidateDisplayName("Eve\xE2\x80\xAEnimda").ok());  // RLO
}

TEST(ValidateDisplayNameTest, RejectsInvalidUtf8) {
  EXPECT_THAT(ValidateDisplayName("Bad\xC3(").problem(), HasSubstr("UTF-8"));
}

TEST(ValidateDisplayNameTest, StoresSqlMetacharactersVerbatim) {
  auto name = ValidateDisplayName("Robert'); DROP TABLE users;--");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "Robert'); DROP TABLE users;--");
}

TEST(DefaultDisplayNameTest, IsTheLocalPart) {
  EXPECT_EQ(DefaultDisplayName("satoshi@example.com"), "satoshi");
}

TEST(DefaultDisplayNameTest, OfAnyValidEmailIsAValidDisplayName) {
  // The longest local part ValidateEmail accepts, with every symbol it allows.
  std::string local = "a.b!#$%&'*+/=?^_`{|}~-";
  local += std::string(kMaxEmailLocalPartLength - local.size(), 'z');
  const auto email = ValidateEmail(" " + local + "@Example.COM ");
  ASSERT_TRUE(email.ok()) << email.problem();
  const std::string name = DefaultDisplayName(*email);
  EXPECT_EQ(name, local);
  const auto validated = ValidateDisplayName(name);
  ASSERT_TRUE(validated.ok()) << validated.problem();
  EXPECT_EQ(*validated, name);
}

}  // namespace
}  // namespace cryptotracker::user::domain
