#include "services/pricing-service/jobs/backfill.h"

#include "services/common/logging.h"
#include "services/pricing-service/ingest/history_filler.h"

namespace cryptotracker::pricing::jobs {

int RunBackfill(ingest::KlineSource& source,
                storage::PricingRepository& repository,
                const std::vector<std::string>& pairs,
                const ingest::HistoryDepth& depth, int64_t now_ms) {
  ingest::HistoryFiller filler =
      ingest::RepositoryHistoryFiller(source, repository);
  ingest::HistoryFill fill(
      filler, ingest::PlanHistoryFill(pairs, depth, now_ms),
      [&repository](const std::string& pair) {
        return repository.OldestExchangeOpenTime(pair, domain::Interval::k1d);
      });
  fill.RunToEnd();
  const ingest::HistoryFillStats& stats = fill.stats();
  common::LogInfo("backfilled", {{"pairs", static_cast<int64_t>(pairs.size())},
                                 {"requests", stats.requests},
                                 {"candles", stats.candles_written},
                                 {"failed_ranges", stats.failed_tasks}});
  return static_cast<int>(stats.failed_tasks);
}

}  // namespace cryptotracker::pricing::jobs
