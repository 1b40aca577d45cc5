#include "services/pricing-service/handler/page_token.h"

#include <string>

#include "gtest/gtest.h"
#include "services/common/errors.h"

namespace cryptotracker::pricing::handler {
namespace {

TEST(PageTokenTest, CarriesItsOffsetForItsQuery) {
  EXPECT_EQ(ParsePageToken(PageToken(0, ""), ""), 0u);
  EXPECT_EQ(ParsePageToken(PageToken(2, "sol"), "sol"), 2u);
  EXPECT_EQ(ParsePageToken(PageToken(123456, "bitcoin"), "bitcoin"), 123456u);
}

TEST(PageTokenTest, IsStableText) {
  // Tokens outlive the process that issued them (a client pages on after a
  // restart or through another replica).
  EXPECT_EQ(PageToken(2, ""), "a1.2.cbf29ce484222325");
  EXPECT_NE(PageToken(2, "a"), PageToken(2, "b"));
}

TEST(PageTokenTest, RejectsTokensOfOtherQueriesAndGarbage) {
  const std::string token = PageToken(2, "sol");
  EXPECT_THROW(ParsePageToken(token, "eth"), common::ValidationError);
  EXPECT_THROW(ParsePageToken(token, ""), common::ValidationError);
  for (const std::string& garbage :
       {std::string(), std::string("garbage"), token + "0", token + " ",
        std::string("a1.-1.cbf29ce484222325"), std::string(200, 'a')}) {
    EXPECT_THROW(ParsePageToken(garbage, "sol"), common::ValidationError)
        << garbage;
  }
}

TEST(PageTokenTest, TheErrorNamesTheField) {
  try {
    ParsePageToken("garbage", "");
    FAIL() << "no exception";
  } catch (const common::ValidationError& error) {
    EXPECT_EQ(error.field(), "page_token");
  }
}

}  // namespace
}  // namespace cryptotracker::pricing::handler
