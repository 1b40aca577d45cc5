#include "services/pricing-service/ingest/catalogue_update.h"

#include <cstdint>

#include "gtest/gtest.h"
#include "services/common/decimal.h"

namespace cryptotracker::pricing::ingest {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

parsers::CoinMarket Bitcoin() {
  parsers::CoinMarket coin;
  coin.id = "bitcoin";
  coin.symbol = "btc";
  coin.image = "https://example.test/btc.png";
  coin.current_price = D("97000");
  coin.market_cap = D("1920000000000.5");
  coin.market_cap_rank = 1;
  coin.circulating_supply = D("19800000");
  return coin;
}

TEST(ToAssetMarketDataTest, CopiesKnownValuesAsExactText) {
  const storage::AssetMarketData update = ToAssetMarketData(Bitcoin());
  EXPECT_EQ(update.coingecko_id, "bitcoin");
  EXPECT_EQ(update.logo_url, "https://example.test/btc.png");
  EXPECT_EQ(update.rank, 1);
  EXPECT_EQ(update.market_cap_usd, "1920000000000.5");
  EXPECT_EQ(update.circulating_supply, "19800000");
}

TEST(ToAssetMarketDataTest, UnknownValuesStayEmptySoTheStoredOnesRemain) {
  parsers::CoinMarket coin = Bitcoin();
  coin.market_cap = D("0");
  coin.market_cap_rank.reset();
  coin.circulating_supply.reset();
  const storage::AssetMarketData update = ToAssetMarketData(coin);
  EXPECT_EQ(update.rank, 0);
  EXPECT_EQ(update.market_cap_usd, "");
  EXPECT_EQ(update.circulating_supply, "");

  coin.market_cap.reset();
  coin.circulating_supply = D("0");
  EXPECT_EQ(ToAssetMarketData(coin).market_cap_usd, "");
  EXPECT_EQ(ToAssetMarketData(coin).circulating_supply, "");
}

TEST(ToAssetMarketDataTest, RankOutsideInt32IsLeftUnset) {
  parsers::CoinMarket coin = Bitcoin();
  coin.market_cap_rank = int64_t{1} << 40;
  EXPECT_EQ(ToAssetMarketData(coin).rank, 0);
  coin.market_cap_rank = 0;
  EXPECT_EQ(ToAssetMarketData(coin).rank, 0);
  coin.market_cap_rank = 2147483647;
  EXPECT_EQ(ToAssetMarketData(coin).rank, 2147483647);
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
