#include "services/user-service/domain/refresh_token.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace cryptotracker::user::domain {
namespace {

TEST(RefreshTokenTest, GeneratesWellFormedDistinctTokens) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string token = GenerateRefreshToken();
    EXPECT_EQ(token.size(), kRefreshTokenLength);
    EXPECT_TRUE(IsWellFormedRefreshToken(token)) << token;
    EXPECT_EQ(token.find('='), std::string::npos);
    seen.insert(std::move(token));
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(RefreshTokenTest, RejectsMalformedTokens) {
  const std::string good = GenerateRefreshToken();
  EXPECT_FALSE(IsWellFormedRefreshToken(""));
  EXPECT_FALSE(IsWellFormedRefreshToken(good.substr(1)));
  EXPECT_FALSE(IsWellFormedRefreshToken(good + "A"));
  EXPECT_FALSE(IsWellFormedRefreshToken(std::string(42, 'A') + "="));
  EXPECT_FALSE(IsWellFormedRefreshToken(std::string(42, 'A') + "+"));
  EXPECT_FALSE(IsWellFormedRefreshToken(std::string(42, 'A') + "'"));
  EXPECT_FALSE(IsWellFormedRefreshToken(std::string(42, 'A') + "\xC3"));
  // 43 characters carry 258 bits; a token of 32 bytes leaves the last two
  // zero, so "Z" (25) can end no token the service ever issued.
  EXPECT_FALSE(IsWellFormedRefreshToken(std::string(42, 'A') + "Z"));
  EXPECT_TRUE(IsWellFormedRefreshToken(std::string(42, 'A') + "Y"));
}

TEST(RefreshTokenTest, HashIsSha256Hex) {
  // SHA-256("abc") from FIPS 180-2.
  EXPECT_EQ(HashRefreshToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashRefreshToken(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RefreshTokenTest, HashIsDeterministicAndDoesNotContainToken) {
  const std::string token = GenerateRefreshToken();
  const std::string hash = HashRefreshToken(token);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash, HashRefreshToken(token));
  EXPECT_NE(hash, HashRefreshToken(GenerateRefreshToken()));
  EXPECT_EQ(hash.find(token), std::string::npos);
}

TEST(GenerateTokenIdTest, IsRandomHex) {
  const std::string first = GenerateTokenId();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(first, GenerateTokenId());
}

TEST(IsCanonicalUuidTest, AcceptsOnlyCanonicalForm) {
  EXPECT_TRUE(IsCanonicalUuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(IsCanonicalUuid("123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_FALSE(IsCanonicalUuid(""));
  EXPECT_FALSE(IsCanonicalUuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(IsCanonicalUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsCanonicalUuid("123e4567-e89b-12d3-a456-4266141740000"));
  EXPECT_FALSE(IsCanonicalUuid("'; DROP TABLE users;--"));
}

}  // namespace
}  // namespace cryptotracker::user::domain
