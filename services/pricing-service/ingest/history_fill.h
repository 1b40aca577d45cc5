// The candle history the service keeps filled from the exchange's REST
// klines, and the order it is filled in: at start-up of `serve` (in the
// background) and by every `backfill` job run.
//
// Depths (defaults, see main.cpp for the variables): daily candles back to
// Binance's first spot day (2017-08-17) or the pair's listing, 4-hour and
// hourly candles for 2 years, one-minute candles for 90 days. 5m and 15m
// are roll-ups of the one-minute candles, never fetched.
//
// Newest first, so that charts work at once: the "recent" phase fills the
// last four weeks of hourly and 4-hour candles, every daily candle and the
// last day of one-minute candles of every pair (a few requests a pair);
// the "deep" phase then goes back to the full depths, hourly and 4-hour
// before one-minute. Within a range the filler works back from its newest
// end. Only what storage lacks is fetched (for the wide intervals: what it
// lacks from the exchange, roll-ups are replaced), so a run over complete
// history costs storage reads and a request a pair and interval for the
// candles closed since the last run.
#ifndef CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILL_H_
#define CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/ingest/history_filler.h"

namespace cryptotracker::pricing::ingest {

// 2017-08-17T00:00:00Z, the first day of Binance's spot klines.
inline constexpr int64_t kBinanceFirstDayMs = 1'502'928'000'000;

struct HistoryDepth {
  // The oldest daily candle wanted (aligned down to a UTC midnight).
  int64_t daily_since_ms = kBinanceFirstDayMs;
  // Days of 4-hour, hourly and one-minute candles (0: not fetched).
  int four_hour_days = 730;
  int hourly_days = 730;
  int one_minute_days = 90;
};

// One range of one pair and interval to keep filled.
struct FillTask {
  std::string phase;
  std::string pair;
  domain::Interval interval = domain::Interval::k1d;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  friend bool operator==(const FillTask&, const FillTask&) = default;
};

// The fill of `pairs` at `now_ms` in the order it runs (see above).
std::vector<FillTask> PlanHistoryFill(const std::vector<std::string>& pairs,
                                      const HistoryDepth& depth,
                                      int64_t now_ms);

struct HistoryFillStats {
  int64_t requests = 0;
  int64_t candles_written = 0;
  // Tasks given up after a failure (the next run tries again).
  int64_t failed_tasks = 0;
  int64_t tasks_done = 0;
  int64_t tasks = 0;
};

// Open time of the oldest stored daily candle of a pair, if any: where the
// pair's history starts (the sub-daily ranges before it are not asked for).
using OldestDailyFn =
    std::function<std::optional<int64_t>(const std::string& pair)>;

// Runs a plan one exchange request at a time, so that the caller can
// interleave other work (the live ingest's gap repair) and stop between
// requests. Not thread-safe.
class HistoryFill {
 public:
  // `filler` is not owned.
  HistoryFill(HistoryFiller& filler, std::vector<FillTask> plan,
              OldestDailyFn oldest_daily);

  // Makes at most one exchange request (plus storage reads). A task whose
  // request fails is logged, counted and given up. Returns false once the
  // plan is done.
  bool Step();
  // Steps until done.
  void RunToEnd();

  bool done() const { return next_ >= plan_.size(); }
  const HistoryFillStats& stats() const { return stats_; }

 private:
  // Starts plan_[next_]: clips it to the pair's listing.
  void BeginTask();
  void FinishTask();
  void LogPhaseEnd(const std::string& phase);

  HistoryFiller& filler_;
  const std::vector<FillTask> plan_;
  OldestDailyFn oldest_daily_;
  size_t next_ = 0;
  // The rest of the current task, from its newest end down; unset before
  // the task has begun.
  std::optional<int64_t> remaining_to_;
  int64_t task_from_ = 0;
  HistoryFillStats stats_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_HISTORY_FILL_H_
