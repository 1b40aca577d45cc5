// Folding trades into OHLCV candles.
//
// CandleAggregator turns a stream of trades (ticks) into one-minute candles
// per symbol; RollUp builds the wider intervals from stored one-minute
// candles. Both work on event time (the exchange's trade timestamp), never on
// the time a tick happened to arrive.
//
// Gap policy: a minute without trades produces no candle, here and in RollUp.
// Consumers see the gap and decide (charts usually draw nothing, analysis
// uses the candles that exist); inventing flat candles would fabricate
// volume-less prices that no trade ever printed.
#ifndef CRYPTOTRACKER_PRICING_DOMAIN_CANDLES_H_
#define CRYPTOTRACKER_PRICING_DOMAIN_CANDLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "services/common/decimal.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::domain {

// One trade.
struct Tick {
  // Exchange pair or asset key, e.g. "BTCUSDT"; opaque to the aggregator.
  std::string symbol;
  // Positive.
  common::Decimal price;
  // Base-asset quantity, not negative (zero for a price-only update).
  common::Decimal quantity;
  // Trade time, milliseconds since the Unix epoch.
  int64_t time_ms = 0;
  // Exchange trade id when the source has one; used to drop duplicates.
  std::optional<int64_t> trade_id;
};

struct Candle {
  std::string symbol;
  Interval interval = Interval::k1m;
  // Start, inclusive, aligned to the interval (see AlignToInterval).
  int64_t open_time_ms = 0;
  common::Decimal open;
  common::Decimal high;
  common::Decimal low;
  common::Decimal close;
  // Sum of trade quantities (base asset).
  common::Decimal volume;
  // Sum of price * quantity per trade (quote asset), each product rounded
  // half to even to 18 fractional digits.
  common::Decimal quote_volume;
  int64_t trade_count = 0;
  // False while trades may still change the candle.
  bool closed = false;

  // End, exclusive: open_time_ms plus the interval width.
  int64_t close_time_ms() const {
    return open_time_ms + IntervalMillis(interval);
  }

  friend bool operator==(const Candle&, const Candle&) = default;
};

// What Ingest did with a tick. Every outcome but kAccepted leaves the
// candles unchanged.
enum class IngestOutcome {
  kAccepted,
  // Same trade id already counted in the open candle (e.g. a replay after a
  // reconnect).
  kDuplicate,
  // The tick's minute is already closed for its symbol.
  kLate,
  // More than max_future_skew_ms ahead of the clock given to AdvanceTo.
  kTooFarInFuture,
  // Empty symbol, non-positive price, negative quantity, negative time, or
  // sums that would overflow.
  kInvalid,
};

struct AggregatorStats {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t late = 0;
  int64_t too_far_in_future = 0;
  int64_t invalid = 0;
  int64_t candles_closed = 0;
};

struct AggregatorOptions {
  // AdvanceTo closes a minute only this long after it ends, so that trades
  // delayed in transit still land in their candle.
  int64_t close_grace_ms = 2'000;
  // Once AdvanceTo has set the clock, ticks stamped further ahead than this
  // are rejected: a wrong exchange timestamp must not open a candle far in
  // the future and make every real tick late.
  int64_t max_future_skew_ms = 60'000;
};

// Folds ticks into one-minute candles, one open candle per symbol.
//
// A minute closes when either
//  - a tick of the same symbol arrives for a later minute, or
//  - AdvanceTo(now) is called with now >= minute end + close_grace_ms.
// After that, ticks for that minute or earlier are late: rejected and
// counted. Within the open minute ticks may arrive in any order: open is
// the price of the earliest trade and close that of the latest, ordered by
// (time, trade id); trades with equal times and no ids keep arrival order.
// Duplicates are detected by trade id among the trades of the open candle;
// a replayed trade of an already closed minute counts as late.
//
// Not thread-safe: one owner feeds it (the ingest loop) and publishes
// snapshots of OpenCandle()/TakeClosedCandles() to readers.
class CandleAggregator {
 public:
  explicit CandleAggregator(AggregatorOptions options = {});

  IngestOutcome Ingest(const Tick& tick);

  // Moves the clock (wall time, milliseconds since the epoch) forward and
  // closes every open candle whose minute ended at least close_grace_ms
  // before `now_ms`. A clock that goes backwards is ignored.
  void AdvanceTo(int64_t now_ms);

  // Candles closed since the last call, in the order they closed (within
  // one AdvanceTo by open time, then symbol). Each has
  // closed == true and is handed out exactly once.
  std::vector<Candle> TakeClosedCandles();

  // The current, still changing candle of `symbol`, if it has one.
  std::optional<Candle> OpenCandle(std::string_view symbol) const;

  const AggregatorStats& stats() const { return stats_; }

 private:
  // Orders trades inside one minute: by time, then by trade id when both
  // ticks have one.
  struct TradeKey {
    int64_t time_ms = 0;
    std::optional<int64_t> trade_id;
  };

  struct OpenState {
    Candle candle;
    TradeKey first;
    TradeKey last;
    absl::flat_hash_set<int64_t> trade_ids;
  };

  struct SymbolState {
    std::optional<OpenState> open;
    // Ticks earlier than this belong to closed minutes.
    int64_t accept_from_ms = INT64_MIN;
  };

  IngestOutcome Reject(IngestOutcome outcome);
  void Close(SymbolState& state);

  AggregatorOptions options_;
  absl::flat_hash_map<std::string, SymbolState> symbols_;
  std::vector<Candle> closed_;
  // Latest time given to AdvanceTo; unknown until the first call.
  std::optional<int64_t> clock_ms_;
  AggregatorStats stats_;
};

// Builds candles of `target` width from one-minute candles of any number of
// symbols, in any order. Each output candle aggregates the one-minute
// candles that start inside it: open of the first, close of the last, the
// highest high, lowest low, summed volumes and trade counts. Buckets with no
// input produce no candle. An output candle is closed when all its inputs
// are closed; the overload taking `now_ms` also requires the bucket to have
// ended, which callers building from the live stream must use (a half-hour of
// closed minutes is not a closed hour). Output is ordered by symbol, then
// open time. INVALID_ARGUMENT for an input that is not a one-minute candle,
// is misaligned, or repeats a (symbol, open time); OUT_OF_RANGE if a volume
// sum overflows. Rolling up to k1m returns the input sorted.
absl::StatusOr<std::vector<Candle>> RollUp(
    const std::vector<Candle>& one_minute, Interval target);
absl::StatusOr<std::vector<Candle>> RollUp(
    const std::vector<Candle>& one_minute, Interval target, int64_t now_ms);

}  // namespace cryptotracker::pricing::domain

#endif  // CRYPTOTRACKER_PRICING_DOMAIN_CANDLES_H_
