// What the periodic CoinGecko refresh writes into the asset catalogue.
#ifndef CRYPTOTRACKER_PRICING_INGEST_CATALOGUE_UPDATE_H_
#define CRYPTOTRACKER_PRICING_INGEST_CATALOGUE_UPDATE_H_

#include "services/pricing-service/parsers/coingecko_parse.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::ingest {

// The catalogue fields of one /coins/markets entry. Values CoinGecko does
// not know are left empty (0 for the rank) so that the stored ones stay:
// a rank outside 1..INT32_MAX, a market capitalisation or circulating
// supply that is absent or not positive.
storage::AssetMarketData ToAssetMarketData(const parsers::CoinMarket& coin);

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_CATALOGUE_UPDATE_H_
