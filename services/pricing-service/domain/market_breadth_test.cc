#include "services/pricing-service/domain/market_breadth.h"

#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::domain {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

TEST(MarketBreadthTest, CountsMovesAndSumsVolumes) {
  const std::vector<AssetMove> moves = {
      {D("5"), D("1000")},     {D("-0.5"), D("250.5")}, {D("0"), std::nullopt},
      {std::nullopt, D("10")}, {D("0.01"), D("0.25")},
  };
  const MarketBreadth breadth = MeasureBreadth(moves);
  EXPECT_EQ(breadth.advancing, 2);
  EXPECT_EQ(breadth.declining, 1);
  EXPECT_EQ(breadth.unchanged, 2);  // zero and not reported
  EXPECT_EQ(breadth.total_quote_volume, D("1260.75"));
  ASSERT_TRUE(breadth.advance_decline_ratio.has_value());
  EXPECT_EQ(*breadth.advance_decline_ratio, D("2"));
  ASSERT_TRUE(breadth.advancing_percent.has_value());
  EXPECT_EQ(*breadth.advancing_percent, D("40"));
}

TEST(MarketBreadthTest, RatiosAreUnroundedQuotients) {
  const std::vector<AssetMove> moves = {{D("1"), std::nullopt},
                                        {D("-1"), std::nullopt},
                                        {D("-1"), std::nullopt},
                                        {D("-2"), std::nullopt}};
  const MarketBreadth breadth = MeasureBreadth(moves);
  ASSERT_TRUE(breadth.advance_decline_ratio.has_value());
  EXPECT_EQ(*breadth.advance_decline_ratio->Round(2), D("0.33"));
  EXPECT_NE(*breadth.advance_decline_ratio, D("0.33"));
  EXPECT_EQ(*breadth.advancing_percent, D("25"));
}

TEST(MarketBreadthTest, NoRatioWithoutDecliners) {
  const std::vector<AssetMove> moves = {{D("3"), std::nullopt}};
  const MarketBreadth breadth = MeasureBreadth(moves);
  EXPECT_FALSE(breadth.advance_decline_ratio.has_value());
  EXPECT_EQ(*breadth.advancing_percent, D("100"));
}

TEST(MarketBreadthTest, NoPercentWithoutAssets) {
  const MarketBreadth breadth = MeasureBreadth({});
  EXPECT_EQ(breadth.advancing + breadth.declining + breadth.unchanged, 0);
  EXPECT_FALSE(breadth.advance_decline_ratio.has_value());
  EXPECT_FALSE(breadth.advancing_percent.has_value());
  EXPECT_EQ(breadth.total_quote_volume, common::Decimal());
}

TEST(MarketBreadthTest, AVolumeThatWouldOverflowIsLeftOut) {
  const std::vector<AssetMove> moves = {{D("1"), common::Decimal::Max()},
                                        {D("1"), D("1")},
                                        {D("1"), common::Decimal::Max()}};
  const MarketBreadth breadth = MeasureBreadth(moves);
  EXPECT_EQ(breadth.advancing, 3);
  // Max + 1 overflows, so the 1 is dropped; the second Max too.
  EXPECT_EQ(breadth.total_quote_volume, common::Decimal::Max());
}

}  // namespace
}  // namespace cryptotracker::pricing::domain
