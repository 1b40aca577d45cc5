// Which assets and pairs a process tracks: the asset catalogue narrowed to
// the SYMBOLS setting, and the exchange pairs they need.
#ifndef CRYPTOTRACKER_PRICING_INGEST_TRACKED_ASSETS_H_
#define CRYPTOTRACKER_PRICING_INGEST_TRACKED_ASSETS_H_

#include <string>
#include <string_view>
#include <vector>

#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::ingest {

// The SYMBOLS setting: symbols separated by commas and/or spaces,
// upper-cased, empty entries dropped ("btc, eth" -> {"BTC", "ETH"}).
std::vector<std::string> ParseSymbolList(std::string_view text);

// `catalogue` narrowed to `symbols` (all of it when `symbols` is empty), in
// catalogue rank order whatever order `symbols` has; unranked assets (rank
// 0) last. Throws common::ConfigError naming a symbol the catalogue does not
// have.
std::vector<storage::AssetRecord> TrackedAssets(
    std::vector<storage::AssetRecord> catalogue,
    const std::vector<std::string>& symbols);

// The exchange pairs of `assets` in their order, then, when `with_rates`,
// the conversion-rate pairs (market::kEurRatePair, market::kBtcRatePair)
// that are not among them.
std::vector<std::string> PairsOf(
    const std::vector<storage::AssetRecord>& assets, bool with_rates);

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_TRACKED_ASSETS_H_
