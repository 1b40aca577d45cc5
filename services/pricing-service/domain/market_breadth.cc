#include "services/pricing-service/domain/market_breadth.h"

#include <cstdint>

#include "absl/status/statusor.h"

namespace cryptotracker::pricing::domain {

MarketBreadth MeasureBreadth(std::span<const AssetMove> moves) {
  MarketBreadth breadth;
  for (const AssetMove& move : moves) {
    const int sign = move.change_24h.has_value() ? move.change_24h->Sign() : 0;
    if (sign > 0) {
      ++breadth.advancing;
    } else if (sign < 0) {
      ++breadth.declining;
    } else {
      ++breadth.unchanged;
    }
    if (move.quote_volume_24h.has_value()) {
      if (absl::StatusOr<common::Decimal> sum =
              breadth.total_quote_volume.Add(*move.quote_volume_24h);
          sum.ok()) {
        breadth.total_quote_volume = *sum;
      }
    }
  }
  if (breadth.declining > 0) {
    absl::StatusOr<common::Decimal> ratio =
        common::Decimal::FromInteger(breadth.advancing)
            .Divide(common::Decimal::FromInteger(breadth.declining));
    if (ratio.ok()) breadth.advance_decline_ratio = *ratio;
  }
  if (!moves.empty()) {
    absl::StatusOr<common::Decimal> percent =
        common::Decimal::FromInteger(int64_t{breadth.advancing} * 100)
            .Divide(common::Decimal::FromInteger(
                static_cast<int64_t>(moves.size())));
    if (percent.ok()) breadth.advancing_percent = *percent;
  }
  return breadth;
}

}  // namespace cryptotracker::pricing::domain
