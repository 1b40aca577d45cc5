#include "services/pricing-service/ingest/history_fill.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "services/common/logging.h"

namespace cryptotracker::pricing::ingest {
namespace {

constexpr int64_t kDayMs = 24 * 3'600'000;
// The recent phase: what a chart shows first.
constexpr int64_t kRecentOneMinuteMs = kDayMs;
constexpr int64_t kRecentHourlyMs = 28 * kDayMs;

constexpr const char* kRecentPhase = "recent";
constexpr const char* kDeepPhase = "deep";

}  // namespace

std::vector<FillTask> PlanHistoryFill(const std::vector<std::string>& pairs,
                                      const HistoryDepth& depth,
                                      int64_t now_ms) {
  using domain::Interval;
  struct Span {
    Interval interval;
    int64_t depth_ms;
  };
  // Wide intervals first: the minutes written after them roll up into
  // buckets that already hold the exchange's candle, which roll-ups never
  // replace.
  const Span spans[] = {
      {Interval::k1h, int64_t{depth.hourly_days} * kDayMs},
      {Interval::k4h, int64_t{depth.four_hour_days} * kDayMs},
      {Interval::k1d,
       std::max<int64_t>(0, now_ms - domain::AlignToInterval(
                                         depth.daily_since_ms, Interval::k1d))},
      {Interval::k1m, int64_t{depth.one_minute_days} * kDayMs},
  };
  auto recent_depth = [](const Span& span) {
    switch (span.interval) {
      case Interval::k1m:
        return std::min(span.depth_ms, kRecentOneMinuteMs);
      case Interval::k1d:
        return span.depth_ms;
      default:
        return std::min(span.depth_ms, kRecentHourlyMs);
    }
  };
  std::vector<FillTask> plan;
  for (const std::string& pair : pairs) {
    for (const Span& span : spans) {
      const int64_t recent = recent_depth(span);
      if (recent > 0) {
        plan.push_back(
            {kRecentPhase, pair, span.interval, now_ms - recent, now_ms});
      }
    }
  }
  // Deep: the cheap wide intervals before the 130 requests a pair of
  // 90 days of minutes.
  for (Interval interval : {Interval::k1h, Interval::k4h, Interval::k1m}) {
    for (const std::string& pair : pairs) {
      for (const Span& span : spans) {
        if (span.interval != interval) continue;
        const int64_t recent = recent_depth(span);
        if (span.depth_ms > recent) {
          plan.push_back({kDeepPhase, pair, interval, now_ms - span.depth_ms,
                          now_ms - recent});
        }
      }
    }
  }
  return plan;
}

HistoryFill::HistoryFill(HistoryFiller& filler, std::vector<FillTask> plan,
                         OldestDailyFn oldest_daily)
    : filler_(filler),
      plan_(std::move(plan)),
      oldest_daily_(std::move(oldest_daily)),
      started_(std::chrono::steady_clock::now()) {
  stats_.tasks = static_cast<int64_t>(plan_.size());
}

void HistoryFill::BeginTask() {
  const FillTask& task = plan_[next_];
  task_from_ = task.from_ms;
  if (task.interval != domain::Interval::k1d) {
    // Before its first day a pair has no candles to fetch; asking would
    // cost requests on every run. The oldest stored day is the listing
    // only when the daily fill found nothing before it.
    auto daily =
        std::find_if(plan_.begin(), plan_.end(), [&](const FillTask& t) {
          return t.pair == task.pair && t.interval == domain::Interval::k1d;
        });
    if (daily != plan_.end()) {
      const int64_t daily_from =
          domain::AlignToInterval(daily->from_ms, domain::Interval::k1d);
      std::optional<int64_t> listed = oldest_daily_(task.pair);
      if (listed.has_value() && *listed > daily_from) {
        task_from_ = std::max(task_from_, *listed);
      }
    }
  }
  remaining_to_ = task.to_ms;
}

void HistoryFill::FinishTask() {
  const std::string phase = plan_[next_].phase;
  ++stats_.tasks_done;
  ++next_;
  remaining_to_.reset();
  if (next_ >= plan_.size() || plan_[next_].phase != phase) {
    LogPhaseEnd(phase);
  }
}

void HistoryFill::LogPhaseEnd(const std::string& phase) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  common::LogInfo("candle history filled",
                  {{"phase", phase},
                   {"elapsed_ms", static_cast<int64_t>(elapsed.count())},
                   {"requests", stats_.requests},
                   {"candles", stats_.candles_written},
                   {"failed_tasks", stats_.failed_tasks}});
}

bool HistoryFill::Step() {
  while (!done()) {
    if (!remaining_to_.has_value()) BeginTask();
    const FillTask& task = plan_[next_];
    if (*remaining_to_ <= task_from_) {
      FinishTask();
      continue;
    }
    try {
      const FillStep step = filler_.FillNewestMissing(
          task.pair, task.interval, task_from_, *remaining_to_);
      stats_.requests += step.result.ranges_fetched;
      stats_.candles_written += step.result.candles_written;
      if (step.remaining_to_ms.has_value()) {
        remaining_to_ = step.remaining_to_ms;
      } else {
        FinishTask();
      }
      if (step.result.ranges_fetched > 0) return !done();
    } catch (const std::exception& error) {
      ++stats_.failed_tasks;
      common::LogWarn(
          "candle history fill failed; the next run tries again",
          {{"pair", task.pair},
           {"interval", std::string(domain::IntervalName(task.interval))},
           {"error", error.what()}});
      FinishTask();
      return !done();
    }
  }
  return false;
}

void HistoryFill::RunToEnd() {
  while (Step()) {
  }
}

}  // namespace cryptotracker::pricing::ingest
