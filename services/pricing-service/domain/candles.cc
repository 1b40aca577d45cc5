#include "services/pricing-service/domain/candles.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cryptotracker::pricing::domain {
namespace {

constexpr int64_t kMinuteMs = 60'000;

bool OrderByOpenTimeThenSymbol(const Candle& a, const Candle& b) {
  return std::tie(a.open_time_ms, a.symbol) <
         std::tie(b.open_time_ms, b.symbol);
}

}  // namespace

CandleAggregator::CandleAggregator(AggregatorOptions options)
    : options_(options) {}

IngestOutcome CandleAggregator::Reject(IngestOutcome outcome) {
  switch (outcome) {
    case IngestOutcome::kDuplicate:
      ++stats_.duplicates;
      break;
    case IngestOutcome::kLate:
      ++stats_.late;
      break;
    case IngestOutcome::kTooFarInFuture:
      ++stats_.too_far_in_future;
      break;
    case IngestOutcome::kInvalid:
      ++stats_.invalid;
      break;
    case IngestOutcome::kAccepted:
      break;
  }
  return outcome;
}

void CandleAggregator::Close(SymbolState& state) {
  OpenState& open = *state.open;
  open.candle.closed = true;
  state.accept_from_ms = open.candle.close_time_ms();
  closed_.push_back(std::move(open.candle));
  state.open.reset();
  ++stats_.candles_closed;
}

IngestOutcome CandleAggregator::Ingest(const Tick& tick) {
  if (tick.symbol.empty() || !tick.price.IsPositive() ||
      tick.quantity.IsNegative() || tick.time_ms < 0) {
    return Reject(IngestOutcome::kInvalid);
  }
  const int64_t minute = AlignToInterval(tick.time_ms, Interval::k1m);
  if (clock_ms_.has_value()) {
    if (tick.time_ms > *clock_ms_ + options_.max_future_skew_ms) {
      return Reject(IngestOutcome::kTooFarInFuture);
    }
    // AdvanceTo would already have closed this minute.
    if (minute + kMinuteMs + options_.close_grace_ms <= *clock_ms_) {
      return Reject(IngestOutcome::kLate);
    }
  }
  // The quote amount is computed before any state changes so that an
  // overflow rejects the tick without leaving a half-updated candle.
  absl::StatusOr<common::Decimal> quote_amount =
      tick.price.Multiply(tick.quantity);
  if (!quote_amount.ok()) return Reject(IngestOutcome::kInvalid);

  auto it = symbols_.find(tick.symbol);
  if (it == symbols_.end()) {
    it = symbols_.try_emplace(tick.symbol).first;
  }
  SymbolState& state = it->second;
  if (tick.time_ms < state.accept_from_ms) {
    return Reject(IngestOutcome::kLate);
  }
  if (state.open.has_value()) {
    if (minute < state.open->candle.open_time_ms) {
      return Reject(IngestOutcome::kLate);
    }
    if (minute > state.open->candle.open_time_ms) Close(state);
  }

  const TradeKey key{tick.time_ms, tick.trade_id};
  if (!state.open.has_value()) {
    OpenState& open = state.open.emplace();
    Candle& candle = open.candle;
    candle.symbol = tick.symbol;
    candle.interval = Interval::k1m;
    candle.open_time_ms = minute;
    candle.open = candle.high = candle.low = candle.close = tick.price;
    candle.volume = tick.quantity;
    candle.quote_volume = *quote_amount;
    candle.trade_count = 1;
    open.first = open.last = key;
    if (tick.trade_id.has_value()) open.trade_ids.insert(*tick.trade_id);
    ++stats_.accepted;
    return IngestOutcome::kAccepted;
  }

  OpenState& open = *state.open;
  Candle& candle = open.candle;
  if (tick.trade_id.has_value() && open.trade_ids.contains(*tick.trade_id)) {
    return Reject(IngestOutcome::kDuplicate);
  }
  absl::StatusOr<common::Decimal> volume = candle.volume.Add(tick.quantity);
  absl::StatusOr<common::Decimal> quote_volume =
      candle.quote_volume.Add(*quote_amount);
  if (!volume.ok() || !quote_volume.ok() || candle.trade_count == INT64_MAX) {
    return Reject(IngestOutcome::kInvalid);
  }
  const bool ids_with_first =
      key.trade_id.has_value() && open.first.trade_id.has_value();
  if (key.time_ms < open.first.time_ms ||
      (key.time_ms == open.first.time_ms && ids_with_first &&
       *key.trade_id < *open.first.trade_id)) {
    open.first = key;
    candle.open = tick.price;
  }
  const bool ids_with_last =
      key.trade_id.has_value() && open.last.trade_id.has_value();
  if (key.time_ms > open.last.time_ms ||
      (key.time_ms == open.last.time_ms &&
       (!ids_with_last || *key.trade_id > *open.last.trade_id))) {
    open.last = key;
    candle.close = tick.price;
  }
  candle.high = std::max(candle.high, tick.price);
  candle.low = std::min(candle.low, tick.price);
  candle.volume = *volume;
  candle.quote_volume = *quote_volume;
  ++candle.trade_count;
  if (tick.trade_id.has_value()) open.trade_ids.insert(*tick.trade_id);
  ++stats_.accepted;
  return IngestOutcome::kAccepted;
}

void CandleAggregator::AdvanceTo(int64_t now_ms) {
  if (clock_ms_.has_value() && now_ms <= *clock_ms_) return;
  clock_ms_ = now_ms;
  const size_t first_new = closed_.size();
  for (auto& [symbol, state] : symbols_) {
    if (state.open.has_value() &&
        state.open->candle.close_time_ms() + options_.close_grace_ms <=
            now_ms) {
      Close(state);
    }
  }
  // Hash-map order is arbitrary; make the batch deterministic.
  std::sort(closed_.begin() + first_new, closed_.end(),
            OrderByOpenTimeThenSymbol);
}

std::vector<Candle> CandleAggregator::TakeClosedCandles() {
  std::vector<Candle> taken;
  taken.swap(closed_);
  return taken;
}

std::optional<Candle> CandleAggregator::OpenCandle(
    std::string_view symbol) const {
  auto it = symbols_.find(std::string(symbol));
  if (it == symbols_.end() || !it->second.open.has_value()) {
    return std::nullopt;
  }
  return it->second.open->candle;
}

namespace {

absl::StatusOr<std::vector<Candle>> RollUpImpl(
    const std::vector<Candle>& one_minute, Interval target,
    std::optional<int64_t> now_ms) {
  std::vector<const Candle*> sorted;
  sorted.reserve(one_minute.size());
  for (size_t i = 0; i < one_minute.size(); ++i) {
    const Candle& candle = one_minute[i];
    if (candle.interval != Interval::k1m) {
      return absl::InvalidArgumentError(absl::StrCat(
          "one_minute[", i, "]: interval is ",
          std::string(IntervalName(candle.interval)), ", expected 1m"));
    }
    if (candle.open_time_ms < 0 ||
        AlignToInterval(candle.open_time_ms, Interval::k1m) !=
            candle.open_time_ms) {
      return absl::InvalidArgumentError(absl::StrCat(
          "one_minute[", i, "]: open_time_ms ", candle.open_time_ms,
          " is not a non-negative whole minute"));
    }
    sorted.push_back(&candle);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Candle* a, const Candle* b) {
    return std::tie(a->symbol, a->open_time_ms) <
           std::tie(b->symbol, b->open_time_ms);
  });

  std::vector<Candle> result;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const Candle& minute = *sorted[i];
    if (i > 0 && sorted[i - 1]->symbol == minute.symbol &&
        sorted[i - 1]->open_time_ms == minute.open_time_ms) {
      return absl::InvalidArgumentError(
          absl::StrCat("one_minute: two candles for symbol \"", minute.symbol,
                       "\" at open_time_ms ", minute.open_time_ms));
    }
    const int64_t bucket = AlignToInterval(minute.open_time_ms, target);
    if (result.empty() || result.back().symbol != minute.symbol ||
        result.back().open_time_ms != bucket) {
      Candle& rolled = result.emplace_back(minute);
      rolled.interval = target;
      rolled.open_time_ms = bucket;
      continue;
    }
    Candle& rolled = result.back();
    absl::StatusOr<common::Decimal> volume = rolled.volume.Add(minute.volume);
    absl::StatusOr<common::Decimal> quote_volume =
        rolled.quote_volume.Add(minute.quote_volume);
    if (!volume.ok()) return volume.status();
    if (!quote_volume.ok()) return quote_volume.status();
    rolled.high = std::max(rolled.high, minute.high);
    rolled.low = std::min(rolled.low, minute.low);
    rolled.close = minute.close;
    rolled.volume = *volume;
    rolled.quote_volume = *quote_volume;
    rolled.trade_count += minute.trade_count;
    rolled.closed = rolled.closed && minute.closed;
  }
  if (now_ms.has_value()) {
    for (Candle& rolled : result) {
      rolled.closed = rolled.closed && *now_ms >= rolled.close_time_ms();
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<std::vector<Candle>> RollUp(
    const std::vector<Candle>& one_minute, Interval target) {
  return RollUpImpl(one_minute, target, std::nullopt);
}

absl::StatusOr<std::vector<Candle>> RollUp(
    const std::vector<Candle>& one_minute, Interval target, int64_t now_ms) {
  return RollUpImpl(one_minute, target, now_ms);
}

}  // namespace cryptotracker::pricing::domain
