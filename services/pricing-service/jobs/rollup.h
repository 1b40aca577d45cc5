// The `rollup` job (a k8s CronJob): materialises candle roll-ups, creates
// the partitions ahead and applies retention. Idempotent upserts and
// deletes, safe beside a running service.
#ifndef CRYPTOTRACKER_PRICING_JOBS_ROLLUP_H_
#define CRYPTOTRACKER_PRICING_JOBS_ROLLUP_H_

#include <cstdint>

#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::jobs {

struct RollupSettings {
  // One-minute candles are kept this long; roll-ups (5m..1d) much longer.
  int candle_retention_days = 30;
  int rollup_retention_days = 1095;
  // Buckets are recomputed this far back, so that candles repaired late
  // (gap repair, backfill) reach their roll-ups.
  int rollup_lookback_hours = 48;
};

// One run at wall-clock time `now_ms`; throws what the repository throws.
void RunRollup(storage::PricingRepository& repository,
               const RollupSettings& settings, int64_t now_ms);

}  // namespace cryptotracker::pricing::jobs

#endif  // CRYPTOTRACKER_PRICING_JOBS_ROLLUP_H_
