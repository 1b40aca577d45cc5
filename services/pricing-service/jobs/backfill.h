// The `backfill` job (a k8s CronJob): fetches the one-minute candles storage
// lacks from the exchange's REST history. Idempotent upserts, safe beside a
// running service.
#ifndef CRYPTOTRACKER_PRICING_JOBS_BACKFILL_H_
#define CRYPTOTRACKER_PRICING_JOBS_BACKFILL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/pricing-service/market/history_source.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::jobs {

// Fills the missing closed minutes of each of `pairs` in the `days` before
// `now_ms`. A pair that fails is logged and the next one runs; returns how
// many failed.
int RunBackfill(market::HistorySource& source,
                storage::PricingRepository& repository,
                const std::vector<std::string>& pairs, int days,
                int64_t now_ms);

}  // namespace cryptotracker::pricing::jobs

#endif  // CRYPTOTRACKER_PRICING_JOBS_BACKFILL_H_
