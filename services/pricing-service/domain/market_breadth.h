// Market breadth: how many assets rose, fell or stayed put over 24 hours,
// their ratios, and the volume they traded (GetMarketSummary).
#ifndef CRYPTOTRACKER_PRICING_DOMAIN_MARKET_BREADTH_H_
#define CRYPTOTRACKER_PRICING_DOMAIN_MARKET_BREADTH_H_

#include <optional>
#include <span>

#include "services/common/decimal.h"

namespace cryptotracker::pricing::domain {

// One asset's 24-hour move as breadth counts it.
struct AssetMove {
  // Absent (not reported yet) counts as unchanged.
  std::optional<common::Decimal> change_24h;
  // Absent adds nothing to the total.
  std::optional<common::Decimal> quote_volume_24h;
};

struct MarketBreadth {
  int advancing = 0;
  int declining = 0;
  int unchanged = 0;
  // Sum of the reported quote volumes; a volume that would overflow the
  // sum is left out.
  common::Decimal total_quote_volume;
  // advancing / declining, unrounded; absent when nothing declined.
  std::optional<common::Decimal> advance_decline_ratio;
  // 100 * advancing / all assets, unrounded; absent without assets.
  std::optional<common::Decimal> advancing_percent;
};

MarketBreadth MeasureBreadth(std::span<const AssetMove> moves);

}  // namespace cryptotracker::pricing::domain

#endif  // CRYPTOTRACKER_PRICING_DOMAIN_MARKET_BREADTH_H_
