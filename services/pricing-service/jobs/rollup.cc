#include "services/pricing-service/jobs/rollup.h"

#include <string>

#include "services/common/logging.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::jobs {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

}  // namespace

void RunRollup(storage::PricingRepository& repository,
               const RollupSettings& settings, int64_t now_ms) {
  // Next month's partition exists before the first candle needs it.
  repository.EnsurePartitions(now_ms, now_ms + 40 * kDayMs);
  // Buckets whose minutes may still sit in a service's flush buffer are left
  // for the next run.
  const int64_t to = now_ms - 5 * kMinuteMs;
  const int64_t from =
      to - int64_t{settings.rollup_lookback_hours} * 60 * kMinuteMs;
  for (domain::Interval interval : domain::kAllIntervals) {
    if (interval == domain::Interval::k1m) continue;
    const int64_t rows = repository.MaterializeRollups(interval, from, to);
    common::LogInfo("roll-up materialised",
                    {{"interval", std::string(domain::IntervalName(interval))},
                     {"rows", rows}});
  }
  const storage::RetentionResult retention = repository.ApplyRetention(
      now_ms - int64_t{settings.candle_retention_days} * kDayMs,
      now_ms - int64_t{settings.rollup_retention_days} * kDayMs);
  common::LogInfo(
      "retention applied",
      {{"one_minute_deleted", retention.one_minute_deleted},
       {"partitions_dropped",
        static_cast<int64_t>(retention.partitions_dropped.size())}});
}

}  // namespace cryptotracker::pricing::jobs
