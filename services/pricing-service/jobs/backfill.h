// The `backfill` job (a k8s CronJob): fetches the candles storage lacks,
// every interval to its depth (ingest/history_fill.h), from the exchange's
// REST history. Idempotent upserts, safe beside a running service.
#ifndef CRYPTOTRACKER_PRICING_JOBS_BACKFILL_H_
#define CRYPTOTRACKER_PRICING_JOBS_BACKFILL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/pricing-service/ingest/history_fill.h"
#include "services/pricing-service/ingest/kline_source.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::jobs {

// Fills the missing closed candles of each of `pairs` to `depth` before
// `now_ms`. A range that fails is logged and the next one runs; returns how
// many failed.
int RunBackfill(ingest::KlineSource& source,
                storage::PricingRepository& repository,
                const std::vector<std::string>& pairs,
                const ingest::HistoryDepth& depth, int64_t now_ms);

}  // namespace cryptotracker::pricing::jobs

#endif  // CRYPTOTRACKER_PRICING_JOBS_BACKFILL_H_
