#include "services/pricing-service/ingest/catalogue_update.h"

#include <climits>
#include <cstdint>

namespace cryptotracker::pricing::ingest {

storage::AssetMarketData ToAssetMarketData(const parsers::CoinMarket& coin) {
  storage::AssetMarketData update{.coingecko_id = coin.id,
                                  .logo_url = coin.image};
  if (coin.market_cap_rank.has_value() && *coin.market_cap_rank > 0 &&
      *coin.market_cap_rank <= INT32_MAX) {
    update.rank = static_cast<int32_t>(*coin.market_cap_rank);
  }
  if (coin.market_cap.has_value() && coin.market_cap->IsPositive()) {
    update.market_cap_usd = coin.market_cap->ToString();
  }
  if (coin.circulating_supply.has_value() &&
      coin.circulating_supply->IsPositive()) {
    update.circulating_supply = coin.circulating_supply->ToString();
  }
  return update;
}

}  // namespace cryptotracker::pricing::ingest
