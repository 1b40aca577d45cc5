#include "services/pricing-service/jobs/rollup.h"

#include <algorithm>
#include <string>

#include "services/common/logging.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::jobs {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

}  // namespace

int CandleRetention::DaysOf(domain::Interval interval) const {
  switch (interval) {
    case domain::Interval::k1m:
      return one_minute_days;
    case domain::Interval::k5m:
      return five_minute_days;
    case domain::Interval::k15m:
      return fifteen_minute_days;
    case domain::Interval::k1h:
      return hourly_days;
    case domain::Interval::k4h:
      return four_hour_days;
    case domain::Interval::k1d:
      return daily_days;
  }
  return 0;
}

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
  // Retention per interval; whole months go only once every interval in
  // them has expired, which never happens while daily candles are kept for
  // good.
  bool every_interval_expires = true;
  int64_t oldest_cutoff = now_ms;
  for (domain::Interval interval : domain::kAllIntervals) {
    const int days = settings.retention.DaysOf(interval);
    if (days <= 0) {
      every_interval_expires = false;
      continue;
    }
    const int64_t cutoff = now_ms - int64_t{days} * kDayMs;
    oldest_cutoff = std::min(oldest_cutoff, cutoff);
    const int64_t deleted = repository.DeleteCandlesBefore(interval, cutoff);
    common::LogInfo("retention applied",
                    {{"interval", std::string(domain::IntervalName(interval))},
                     {"days", int64_t{days}},
                     {"deleted", deleted}});
  }
  if (every_interval_expires) {
    const storage::RetentionResult dropped = repository.ApplyRetention(
        now_ms - int64_t{settings.retention.one_minute_days} * kDayMs,
        oldest_cutoff);
    common::LogInfo(
        "expired partitions dropped",
        {{"partitions_dropped",
          static_cast<int64_t>(dropped.partitions_dropped.size())}});
  }
}

}  // namespace cryptotracker::pricing::jobs
