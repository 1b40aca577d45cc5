#include "services/pricing-service/market/market_state.h"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "services/common/clock.h"

namespace cryptotracker::pricing::market {
namespace {

// Debian's abseil has its own string_view type (not std::string_view), and
// its string maps look up by that type without building a std::string.
absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

}  // namespace

MarketState::MarketState(std::vector<TrackedAsset> assets,
                         MarketStateOptions options)
    : assets_(std::move(assets)), options_([&] {
        MarketStateOptions o = std::move(options);
        if (!o.clock) o.clock = common::WallClockMs;
        return o;
      }()) {
  auto add_instrument = [this](const std::string& pair) -> size_t {
    auto [it, inserted] =
        instrument_by_pair_.try_emplace(pair, instruments_.size());
    if (inserted) {
      auto instrument = std::make_unique<Instrument>();
      instrument->pair = pair;
      instruments_.push_back(std::move(instrument));
    }
    return it->second;
  };
  for (size_t i = 0; i < assets_.size(); ++i) {
    const TrackedAsset& asset = assets_[i];
    if (!asset_by_symbol_.try_emplace(asset.symbol, i).second) {
      throw std::invalid_argument("duplicate asset symbol " + asset.symbol);
    }
    if (instrument_by_pair_.contains(asset.pair)) {
      throw std::invalid_argument("duplicate asset pair " + asset.pair);
    }
    const size_t instrument = add_instrument(asset.pair);
    instruments_[instrument]->asset_index = i;
    instrument_of_asset_.push_back(instrument);
  }
  eur_instrument_ = add_instrument(std::string(kEurRatePair));
  btc_instrument_ = add_instrument(std::string(kBtcRatePair));
  instruments_[eur_instrument_]->rate = RatePair::kEurUsdt;
  instruments_[btc_instrument_]->rate = RatePair::kBtcUsdt;
}

std::optional<size_t> MarketState::FindAsset(std::string_view symbol) const {
  auto it = asset_by_symbol_.find(ToAbsl(symbol));
  if (it == asset_by_symbol_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MarketState::RequiredPairs() const {
  std::vector<std::string> pairs;
  pairs.reserve(instruments_.size());
  for (const auto& instrument : instruments_) pairs.push_back(instrument->pair);
  return pairs;
}

std::shared_ptr<const InstrumentState> MarketState::AssetState(
    size_t asset_index) const {
  if (asset_index >= instrument_of_asset_.size()) return nullptr;
  return instruments_[instrument_of_asset_[asset_index]]->state.load(
      std::memory_order_acquire);
}

std::shared_ptr<const InstrumentState> MarketState::EurRate() const {
  return instruments_[eur_instrument_]->state.load(std::memory_order_acquire);
}

std::shared_ptr<const InstrumentState> MarketState::BtcRate() const {
  return instruments_[btc_instrument_]->state.load(std::memory_order_acquire);
}

bool MarketState::IsStale(const InstrumentState& state, int64_t now_ms) const {
  const int64_t limit_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          options_.stale_after)
          .count();
  return now_ms - state.received_time_ms > limit_ms;
}

MarketState::Instrument* MarketState::FindInstrument(std::string_view pair) {
  auto it = instrument_by_pair_.find(ToAbsl(pair));
  if (it == instrument_by_pair_.end()) return nullptr;
  return instruments_[it->second].get();
}

PriceChange MarketState::TickerChange(const InstrumentState* current,
                                      const InstrumentState& next) const {
  if (current == nullptr || current->last_price != next.last_price ||
      IsStale(*current, next.received_time_ms)) {
    return PriceChange::kPrice;
  }
  return PriceChange::kStatisticsOnly;
}

void MarketState::Publish(Instrument& instrument,
                          std::shared_ptr<const InstrumentState> next,
                          PriceChange change) {
  instrument.state.store(std::move(next), std::memory_order_release);
  version_.fetch_add(1, std::memory_order_acq_rel);
  if (instrument.asset_index.has_value()) {
    broadcaster_.Publish(*instrument.asset_index, change);
  }
  if (instrument.rate.has_value()) {
    broadcaster_.PublishRate(*instrument.rate, change);
  }
}

void MarketState::OnTick(const domain::Tick& tick, std::string_view source) {
  Instrument* instrument = FindInstrument(tick.symbol);
  if (instrument == nullptr) {
    unknown_pair_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!tick.price.IsPositive() || tick.quantity.IsNegative() ||
      tick.time_ms <= 0) {
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::unique_lock lock(instrument->write_mu);
  const std::shared_ptr<const InstrumentState> current =
      instrument->state.load(std::memory_order_acquire);
  if (current != nullptr && tick.time_ms < current->source_time_ms) {
    out_of_order_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto next = current != nullptr ? std::make_shared<InstrumentState>(*current)
                                 : std::make_shared<InstrumentState>();
  next->pair = instrument->pair;
  next->last_price = tick.price;
  // Keep the 24-hour range consistent with the last trade until the next
  // ticker recomputes it.
  if (next->high_24h.has_value() && tick.price > *next->high_24h) {
    next->high_24h = tick.price;
  }
  if (next->low_24h.has_value() && tick.price < *next->low_24h) {
    next->low_24h = tick.price;
  }
  next->source = std::string(source);
  next->source_time_ms = tick.time_ms;
  next->received_time_ms = NowMs();
  ticks_applied_.fetch_add(1, std::memory_order_relaxed);
  Publish(*instrument, std::move(next), PriceChange::kPrice);
}

void MarketState::OnTicker(const MarketTicker& ticker,
                           std::string_view source) {
  Instrument* instrument = FindInstrument(ticker.pair);
  if (instrument == nullptr) {
    unknown_pair_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!ticker.last_price.IsPositive() || !ticker.open.IsPositive() ||
      !ticker.high.IsPositive() || !ticker.low.IsPositive() ||
      ticker.low > ticker.high || ticker.base_volume.IsNegative() ||
      ticker.quote_volume.IsNegative() || ticker.event_time_ms <= 0) {
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::unique_lock lock(instrument->write_mu);
  const std::shared_ptr<const InstrumentState> current =
      instrument->state.load(std::memory_order_acquire);
  auto next = current != nullptr ? std::make_shared<InstrumentState>(*current)
                                 : std::make_shared<InstrumentState>();
  next->pair = instrument->pair;
  next->open_24h = ticker.open;
  next->high_24h = ticker.high;
  next->low_24h = ticker.low;
  next->base_volume_24h = ticker.base_volume;
  next->quote_volume_24h = ticker.quote_volume;
  const bool newer =
      current == nullptr || ticker.event_time_ms >= current->source_time_ms;
  if (newer) {
    next->last_price = ticker.last_price;
    next->source_time_ms = ticker.event_time_ms;
  } else {
    // A trade newer than this ticker already set the last price; keep it
    // and only widen the range to include it.
    out_of_order_.fetch_add(1, std::memory_order_relaxed);
    if (next->last_price > *next->high_24h) next->high_24h = next->last_price;
    if (next->last_price < *next->low_24h) next->low_24h = next->last_price;
  }
  next->source = std::string(source);
  next->received_time_ms = NowMs();
  tickers_applied_.fetch_add(1, std::memory_order_relaxed);
  const PriceChange change = TickerChange(current.get(), *next);
  Publish(*instrument, std::move(next), change);
}

void MarketState::PublishStalenessChanges() {
  const int64_t now_ms = NowMs();
  std::vector<size_t> changed;
  std::vector<RatePair> changed_rates;
  {
    std::lock_guard lock(stale_mu_);
    for (auto& instrument : instruments_) {
      const auto state = instrument->state.load(std::memory_order_acquire);
      if (state == nullptr) continue;
      const bool stale = IsStale(*state, now_ms);
      if (stale == instrument->published_stale) continue;
      instrument->published_stale = stale;
      if (instrument->asset_index.has_value()) {
        changed.push_back(*instrument->asset_index);
      }
      if (instrument->rate.has_value()) {
        changed_rates.push_back(*instrument->rate);
      }
    }
  }
  for (size_t asset_index : changed) {
    broadcaster_.Publish(asset_index, PriceChange::kPrice);
  }
  for (RatePair rate : changed_rates) {
    broadcaster_.PublishRate(rate, PriceChange::kPrice);
  }
}

MarketStateStats MarketState::stats() const {
  MarketStateStats stats;
  stats.ticks_applied = ticks_applied_.load(std::memory_order_relaxed);
  stats.tickers_applied = tickers_applied_.load(std::memory_order_relaxed);
  stats.unknown_pair = unknown_pair_.load(std::memory_order_relaxed);
  stats.invalid = invalid_.load(std::memory_order_relaxed);
  stats.out_of_order = out_of_order_.load(std::memory_order_relaxed);
  return stats;
}

size_t MarketState::FreshAssetCount() const {
  const int64_t now_ms = NowMs();
  size_t fresh = 0;
  for (size_t i = 0; i < assets_.size(); ++i) {
    const auto state = AssetState(i);
    if (state != nullptr && !IsStale(*state, now_ms)) ++fresh;
  }
  return fresh;
}

}  // namespace cryptotracker::pricing::market
