#include "services/pricing-service/ingest/tracked_assets.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/config_error.h"

namespace cryptotracker::pricing::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

storage::AssetRecord Asset(std::string symbol, int32_t rank) {
  storage::AssetRecord asset;
  asset.pair = symbol + "USDT";
  asset.symbol = std::move(symbol);
  asset.rank = rank;
  return asset;
}

std::vector<std::string> SymbolsOf(
    const std::vector<storage::AssetRecord>& assets) {
  std::vector<std::string> symbols;
  for (const storage::AssetRecord& asset : assets) {
    symbols.push_back(asset.symbol);
  }
  return symbols;
}

TEST(ParseSymbolListTest, SplitsOnCommasAndSpacesUpperCasesAndDropsEmpties) {
  EXPECT_THAT(ParseSymbolList("btc,eth"), ElementsAre("BTC", "ETH"));
  EXPECT_THAT(ParseSymbolList(" sol  xrp,,Ada , "),
              ElementsAre("SOL", "XRP", "ADA"));
  EXPECT_THAT(ParseSymbolList(""), IsEmpty());
  EXPECT_THAT(ParseSymbolList(" , ,"), IsEmpty());
  // Only ASCII letters change case; other characters stay as they are.
  EXPECT_THAT(ParseSymbolList("1inch;x"), ElementsAre("1INCH;X"));
}

TEST(TrackedAssetsTest, NoSymbolsKeepsTheWholeCatalogue) {
  EXPECT_THAT(SymbolsOf(TrackedAssets({Asset("BTC", 1), Asset("ETH", 2)}, {})),
              ElementsAre("BTC", "ETH"));
}

TEST(TrackedAssetsTest, NarrowsToSymbolsInRankOrderUnrankedLast) {
  const std::vector<storage::AssetRecord> catalogue = {
      Asset("BTC", 1), Asset("ETH", 2), Asset("NEW", 0), Asset("SOL", 5),
      Asset("XRP", 4)};
  EXPECT_THAT(SymbolsOf(TrackedAssets(catalogue, {"NEW", "SOL", "BTC", "XRP"})),
              ElementsAre("BTC", "XRP", "SOL", "NEW"));
}

TEST(TrackedAssetsTest, UnknownSymbolIsAConfigurationError) {
  try {
    TrackedAssets({Asset("BTC", 1)}, {"BTC", "DOGE"});
    FAIL() << "expected ConfigError";
  } catch (const common::ConfigError& error) {
    EXPECT_STREQ(error.what(), "SYMBOLS: DOGE is not in the asset catalogue");
  }
}

TEST(PairsOfTest, AddsTheMissingRatePairsAfterTheAssets) {
  const std::vector<storage::AssetRecord> assets = {Asset("ETH", 2),
                                                    Asset("BTC", 1)};
  EXPECT_THAT(PairsOf(assets, /*with_rates=*/false),
              ElementsAre("ETHUSDT", "BTCUSDT"));
  EXPECT_THAT(PairsOf(assets, /*with_rates=*/true),
              ElementsAre("ETHUSDT", "BTCUSDT", "EURUSDT"));
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
