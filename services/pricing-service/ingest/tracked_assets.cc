#include "services/pricing-service/ingest/tracked_assets.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "services/common/config_error.h"
#include "services/pricing-service/market/market_state.h"

namespace cryptotracker::pricing::ingest {

std::vector<std::string> ParseSymbolList(std::string_view text) {
  // Debian's Abseil has its own string_view, which std::string_view does
  // not convert to implicitly.
  std::vector<std::string> symbols =
      absl::StrSplit(absl::string_view(text.data(), text.size()),
                     absl::ByAnyChar(", "), absl::SkipEmpty());
  for (std::string& symbol : symbols) absl::AsciiStrToUpper(&symbol);
  return symbols;
}

std::vector<storage::AssetRecord> TrackedAssets(
    std::vector<storage::AssetRecord> catalogue,
    const std::vector<std::string>& symbols) {
  if (symbols.empty()) return catalogue;
  std::vector<storage::AssetRecord> tracked;
  for (const std::string& symbol : symbols) {
    auto it = std::find_if(catalogue.begin(), catalogue.end(),
                           [&](const storage::AssetRecord& asset) {
                             return asset.symbol == symbol;
                           });
    if (it == catalogue.end()) {
      throw common::ConfigError("SYMBOLS: " + symbol +
                                " is not in the asset catalogue");
    }
    tracked.push_back(*it);
  }
  std::stable_sort(
      tracked.begin(), tracked.end(),
      [](const storage::AssetRecord& a, const storage::AssetRecord& b) {
        const int ra = a.rank == 0 ? INT32_MAX : a.rank;
        const int rb = b.rank == 0 ? INT32_MAX : b.rank;
        return ra < rb;
      });
  return tracked;
}

std::vector<std::string> PairsOf(
    const std::vector<storage::AssetRecord>& assets, bool with_rates) {
  std::vector<std::string> pairs;
  for (const storage::AssetRecord& asset : assets) pairs.push_back(asset.pair);
  if (with_rates) {
    for (std::string_view rate : {market::kEurRatePair, market::kBtcRatePair}) {
      if (std::find(pairs.begin(), pairs.end(), rate) == pairs.end()) {
        pairs.emplace_back(rate);
      }
    }
  }
  return pairs;
}

}  // namespace cryptotracker::pricing::ingest
