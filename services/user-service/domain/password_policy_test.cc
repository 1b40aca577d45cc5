#include "services/user-service/domain/password_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cryptotracker::user::domain {
namespace {

using ::testing::HasSubstr;

std::string Repeat(std::string_view unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

// The problem reported for a new password, or "" when it is accepted.
std::string NewPasswordProblem(std::string_view password,
                               std::string_view email = "") {
  auto violation = CheckNewPassword(password, email);
  return violation ? violation->problem : "";
}

bool NewPasswordAccepted(std::string_view password,
                         std::string_view email = "") {
  return !CheckNewPassword(password, email).has_value();
}

bool PresentedPasswordAccepted(std::string_view password) {
  return !CheckPresentedPassword(password).has_value();
}

TEST(CheckNewPasswordTest, AcceptsReasonablePasswords) {
  EXPECT_TRUE(NewPasswordAccepted("correct horse 9", "a@example.com"));
  EXPECT_TRUE(NewPasswordAccepted("abcdefghi1"));
  EXPECT_TRUE(NewPasswordAccepted("'; DROP TABLE users;--"));
}

TEST(CheckNewPasswordTest, RequiresPresence) {
  EXPECT_THAT(NewPasswordProblem(""), HasSubstr("required"));
}

TEST(CheckNewPasswordTest, CountsCodePointsNotBytes) {
  // Nine 2-byte letters and one digit: 10 code points, 19 bytes.
  EXPECT_TRUE(NewPasswordAccepted(Repeat("\xC3\xA9", 9) + "1"));
  // Eight 3-byte CJK letters and one digit: 9 code points, 25 bytes.
  EXPECT_THAT(NewPasswordProblem(Repeat("\xE5\xAF\x86", 8) + "1"),
              HasSubstr("at least 10"));
  // 127 four-byte emoji (non-letters) and one letter: 128 code points in
  // 509 bytes.
  const std::string longest = Repeat("\xF0\x9F\x94\x91", 127) + "k";
  EXPECT_TRUE(NewPasswordAccepted(longest));
  EXPECT_THAT(NewPasswordProblem(longest + "k"), HasSubstr("at most 128"));
}

TEST(CheckNewPasswordTest, EnforcesLengthBoundsInAscii) {
  EXPECT_THAT(NewPasswordProblem("abcdefgh1"), HasSubstr("at least 10"));
  EXPECT_TRUE(NewPasswordAccepted(std::string(127, 'a') + "1"));
  EXPECT_THAT(NewPasswordProblem(std::string(128, 'a') + "1"),
              HasSubstr("at most 128"));
  EXPECT_THAT(NewPasswordProblem(std::string(1 << 20, 'a')),
              HasSubstr("at most 128"));
}

TEST(CheckNewPasswordTest, RequiresLetterAndNonLetter) {
  EXPECT_THAT(NewPasswordProblem("abcdefghijkl"), HasSubstr("letter"));
  EXPECT_THAT(NewPasswordProblem("1234567890123"), HasSubstr("letter"));
  EXPECT_THAT(NewPasswordProblem("!@#$%^&*()_+"), HasSubstr("letter"));
  // Cyrillic letters only, then with a digit.
  const std::string cyrillic = Repeat("\xD0\xB6", 10);
  EXPECT_THAT(NewPasswordProblem(cyrillic), HasSubstr("digit or symbol"));
  EXPECT_TRUE(NewPasswordAccepted(cyrillic + "7"));
  // A space counts as a non-letter.
  EXPECT_TRUE(NewPasswordAccepted("correct horse"));
}

TEST(CheckNewPasswordTest, RejectsInvalidUtf8) {
  EXPECT_THAT(NewPasswordProblem("abcdefghij\xFF"
                                 "1"),
              HasSubstr("UTF-8"));
  // Overlong encoding of '/'.
  EXPECT_THAT(NewPasswordProblem("abcdefghij\xC0\xAF"), HasSubstr("UTF-8"));
  // Encoded UTF-16 surrogate.
  EXPECT_THAT(NewPasswordProblem("abcdefghij\xED\xA0\x80"), HasSubstr("UTF-8"));
  // Truncated sequence at the end.
  EXPECT_THAT(NewPasswordProblem("abcdefghij1\xE2\x82"), HasSubstr("UTF-8"));
  // Beyond U+10FFFF.
  EXPECT_THAT(NewPasswordProblem("abcdefghij1\xF4\x90\x80\x80"),
              HasSubstr("UTF-8"));
}

TEST(CheckNewPasswordTest, RejectsControlCharacters) {
  EXPECT_THAT(NewPasswordProblem(std::string("abcdefghij\0"
                                             "1",
                                             12)),
              HasSubstr("control"));
  EXPECT_THAT(NewPasswordProblem("abcdefghij\n1"), HasSubstr("control"));
  EXPECT_THAT(NewPasswordProblem("abcdefghij\xE2\x80\xAE"
                                 "1"),
              HasSubstr("control"));
}

TEST(CheckNewPasswordTest, RejectsTheEmailInAnyCase) {
  EXPECT_THAT(NewPasswordProblem("Alice1@Example.com", "alice1@example.com"),
              HasSubstr("email"));
  EXPECT_THAT(NewPasswordProblem(" ALICE1@EXAMPLE.COM ", "alice1@example.com"),
              HasSubstr("email"));
  EXPECT_TRUE(NewPasswordAccepted("Alice1@Example.com!", "alice1@example.com"));
}

TEST(CheckPresentedPasswordTest, OnlyChecksPresenceEncodingAndLength) {
  EXPECT_TRUE(PresentedPasswordAccepted("short"));
  EXPECT_FALSE(PresentedPasswordAccepted(""));
  EXPECT_FALSE(PresentedPasswordAccepted("bad\xC3"));
  EXPECT_TRUE(PresentedPasswordAccepted(std::string(128, 'x')));
  EXPECT_FALSE(PresentedPasswordAccepted(std::string(129, 'x')));
  EXPECT_TRUE(PresentedPasswordAccepted(Repeat("\xE5\xAF\x86", 128)));
  EXPECT_FALSE(PresentedPasswordAccepted(Repeat("\xE5\xAF\x86", 129)));
}

}  // namespace
}  // namespace cryptotracker::user::domain
