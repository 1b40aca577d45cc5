#include "services/user-service/domain/email.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cryptotracker::user::domain {
namespace {

using ::testing::HasSubstr;

TEST(NormalizeEmailTest, TrimsAndLowerCases) {
  EXPECT_EQ(NormalizeEmail("  Alice.Smith@Example.COM \t\n"),
            "alice.smith@example.com");
}

TEST(ValidateEmailTest, AcceptsPlainAddressesInNormalisedForm) {
  auto email = ValidateEmail(" Bob+Crypto@Mail.Example.org ");
  ASSERT_TRUE(email.ok()) << email.problem();
  EXPECT_EQ(*email, "bob+crypto@mail.example.org");
}

TEST(ValidateEmailTest, AcceptsQuoteInLocalPartAsPlainData) {
  // An apostrophe is legal atext; storage must treat it as data.
  auto email = ValidateEmail("o'brien@example.ie");
  ASSERT_TRUE(email.ok()) << email.problem();
  EXPECT_EQ(*email, "o'brien@example.ie");
}

TEST(ValidateEmailTest, RejectsEmpty) {
  EXPECT_THAT(ValidateEmail("").problem(), HasSubstr("required"));
  EXPECT_THAT(ValidateEmail("   ").problem(), HasSubstr("required"));
}

TEST(ValidateEmailTest, RejectsMissingOrRepeatedAt) {
  EXPECT_THAT(ValidateEmail("alice.example.com").problem(),
              HasSubstr("exactly one '@'"));
  EXPECT_THAT(ValidateEmail("a@b@example.com").problem(),
              HasSubstr("exactly one '@'"));
}

TEST(ValidateEmailTest, RejectsEmptyParts) {
  EXPECT_FALSE(ValidateEmail("@example.com").ok());
  EXPECT_FALSE(ValidateEmail("alice@").ok());
}

TEST(ValidateEmailTest, RequiresDomainWithDot) {
  EXPECT_THAT(ValidateEmail("alice@localhost").problem(), HasSubstr("dot"));
  EXPECT_FALSE(ValidateEmail("alice@example.").ok());
  EXPECT_FALSE(ValidateEmail("alice@.example.com").ok());
  EXPECT_FALSE(ValidateEmail("alice@example..com").ok());
  EXPECT_FALSE(ValidateEmail("alice@-example.com").ok());
  EXPECT_FALSE(ValidateEmail("alice@example-.com").ok());
  EXPECT_FALSE(ValidateEmail("alice@example.c").ok());
  EXPECT_FALSE(ValidateEmail("alice@10.0.0.1").ok());
  EXPECT_FALSE(ValidateEmail("alice@exa_mple.com").ok());
}

TEST(ValidateEmailTest, RejectsInnerSpacesAndControlCharacters) {
  EXPECT_THAT(ValidateEmail("ali ce@example.com").problem(),
              HasSubstr("spaces"));
  EXPECT_FALSE(ValidateEmail(std::string("ali\0ce@example.com", 18)).ok());
  EXPECT_FALSE(ValidateEmail("ali\x7f"
                             "ce@example.com")
                   .ok());
  EXPECT_FALSE(ValidateEmail("alice@exa\tmple.com").ok());
}

TEST(ValidateEmailTest, RejectsSqlMetacharactersOutsideAtext) {
  EXPECT_FALSE(ValidateEmail("x'; DROP TABLE users;--@example.com").ok());
  EXPECT_FALSE(ValidateEmail("a\"b@example.com").ok());
  EXPECT_FALSE(ValidateEmail("a;b@example.com").ok());
  EXPECT_FALSE(ValidateEmail("a(b)@example.com").ok());
  EXPECT_FALSE(ValidateEmail("alice@example.com;DROP").ok());
}

TEST(ValidateEmailTest, RejectsBadDotsInLocalPart) {
  EXPECT_FALSE(ValidateEmail(".alice@example.com").ok());
  EXPECT_FALSE(ValidateEmail("alice.@example.com").ok());
  EXPECT_FALSE(ValidateEmail("al..ice@example.com").ok());
}

TEST(ValidateEmailTest, RejectsNonAscii) {
  EXPECT_THAT(ValidateEmail("j\xC3\xBCrgen@example.de").problem(),
              HasSubstr("ASCII"));
  EXPECT_FALSE(ValidateEmail("alice@b\xC3\xBC"
                             "cher.de")
                   .ok());
  EXPECT_FALSE(ValidateEmail("\xFF\xFE@example.com").ok());
}

TEST(ValidateEmailTest, EnforcesLengthLimits) {
  const std::string local64(64, 'a');
  EXPECT_TRUE(ValidateEmail(local64 + "@example.com").ok());
  EXPECT_FALSE(ValidateEmail(local64 + "a@example.com").ok());

  // 254 characters exactly: 64 + 1 + 189 (labels of 63 joined by dots).
  const std::string domain = std::string(63, 'b') + "." + std::string(63, 'c') +
                             "." + std::string(57, 'd') + ".com";
  const std::string longest = local64 + "@" + domain;
  ASSERT_EQ(longest.size(), 254u);
  EXPECT_TRUE(ValidateEmail(longest).ok());
  EXPECT_THAT(ValidateEmail(local64 + "@e" + domain).problem(),
              HasSubstr("254"));
  EXPECT_FALSE(ValidateEmail(std::string(100000, 'a') + "@example.com").ok());
  EXPECT_FALSE(
      ValidateEmail("alice@" + std::string(64, 'x') + ".example.com").ok());
}

TEST(EmailLocalPartTest, ReturnsPartBeforeAt) {
  EXPECT_EQ(EmailLocalPart("alice@example.com"), "alice");
  EXPECT_EQ(EmailLocalPart("no-at-sign"), "no-at-sign");
}

}  // namespace
}  // namespace cryptotracker::user::domain
