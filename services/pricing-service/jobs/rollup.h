// The `rollup` job (a k8s CronJob): materialises candle roll-ups, creates
// the partitions ahead and applies retention. Idempotent upserts and
// deletes, safe beside a running service.
#ifndef CRYPTOTRACKER_PRICING_JOBS_ROLLUP_H_
#define CRYPTOTRACKER_PRICING_JOBS_ROLLUP_H_

#include <cstdint>

#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::jobs {

// How long candles of each interval are kept, in days (0: for good). The
// exchange-fetched intervals match the history depths (history_fill.h):
// one-minute 90 days (alert backtests replay up to 90 days of minutes),
// hourly and 4-hour 2 years, daily for good. 5m and 15m are roll-ups of the
// one-minute candles, so they only exist where minutes did; they are kept
// longer (180 and 365 days) because they are small and otherwise deeper
// charts of those intervals would end with the minutes.
struct CandleRetention {
  int one_minute_days = 90;
  int five_minute_days = 180;
  int fifteen_minute_days = 365;
  int hourly_days = 730;
  int four_hour_days = 730;
  int daily_days = 0;

  int DaysOf(domain::Interval interval) const;
};

struct RollupSettings {
  CandleRetention retention;
  // Buckets are recomputed this far back, so that candles repaired late
  // (gap repair, backfill) reach their roll-ups.
  int rollup_lookback_hours = 48;
};

// One run at wall-clock time `now_ms`; throws what the repository throws.
void RunRollup(storage::PricingRepository& repository,
               const RollupSettings& settings, int64_t now_ms);

}  // namespace cryptotracker::pricing::jobs

#endif  // CRYPTOTRACKER_PRICING_JOBS_ROLLUP_H_
