#include "services/pricing-service/jobs/backfill.h"

#include <exception>

#include "services/common/logging.h"
#include "services/pricing-service/ingest/history_filler.h"

namespace cryptotracker::pricing::jobs {
namespace {

constexpr int64_t kDayMs = 24 * 60 * 60'000;

}  // namespace

int RunBackfill(market::HistorySource& source,
                storage::PricingRepository& repository,
                const std::vector<std::string>& pairs, int days,
                int64_t now_ms) {
  ingest::HistoryFiller filler =
      ingest::RepositoryHistoryFiller(source, repository);
  const int64_t from = now_ms - int64_t{days} * kDayMs;
  int failures = 0;
  for (const std::string& pair : pairs) {
    try {
      const ingest::FillResult result = filler.FillMissing(pair, from, now_ms);
      common::LogInfo("backfilled", {{"pair", pair},
                                     {"candles", result.candles_written},
                                     {"requests", result.ranges_fetched}});
    } catch (const std::exception& error) {
      ++failures;
      common::LogError("backfill failed",
                       {{"pair", pair}, {"error", error.what()}});
    }
  }
  return failures;
}

}  // namespace cryptotracker::pricing::jobs
