#include "services/pricing-service/stream/price_cache.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "cryptotracker/pricing/v1/pricing_service.pb.h"
#include "services/pricing-service/contract/proto_convert.h"

namespace cryptotracker::pricing::stream {
namespace {

std::shared_ptr<const market::InstrumentState> RateFor(
    const market::MarketState& market, market::QuoteCurrency quote) {
  switch (quote) {
    case market::QuoteCurrency::kEur:
      return market.EurRate();
    case market::QuoteCurrency::kBtc:
      return market.BtcRate();
    case market::QuoteCurrency::kUsd:
      break;
  }
  return nullptr;
}

}  // namespace

PriceCache::PriceCache(const market::MarketState& market)
    : market_(market), entries_(market.assets().size() * kQuoteCount) {}

absl::StatusOr<std::shared_ptr<const EncodedPrice>> PriceCache::Get(
    size_t asset_index, market::QuoteCurrency quote, int64_t now_ms) {
  if (asset_index >= market_.assets().size()) {
    return absl::UnavailableError("no price received yet");
  }
  std::shared_ptr<const market::InstrumentState> asset_state =
      market_.AssetState(asset_index);
  std::shared_ptr<const market::InstrumentState> rate_state =
      RateFor(market_, quote);
  auto& entry =
      entries_[asset_index * kQuoteCount + static_cast<size_t>(quote)];
  std::shared_ptr<const EncodedPrice> cached =
      entry.load(std::memory_order_acquire);
  if (cached != nullptr && asset_state != nullptr &&
      cached->asset_state == asset_state && cached->rate_state == rate_state) {
    // The same inputs give the same price; only the `stale` flag moves with
    // the clock. QuotePrice marks it stale when either input is.
    const bool stale =
        market_.IsStale(*asset_state, now_ms) ||
        (rate_state != nullptr && market_.IsStale(*rate_state, now_ms));
    if (stale == cached->stale) return cached;
  }

  if (asset_state == nullptr) {
    return absl::UnavailableError("no price received yet");
  }
  // Rendered from exactly the states recorded with it.
  absl::StatusOr<market::QuotedPrice> quoted =
      market::QuotePrice(market_.assets()[asset_index].symbol, *asset_state,
                         quote, rate_state.get(), market_, now_ms);
  if (!quoted.ok()) return quoted.status();
  auto encoded = std::make_shared<EncodedPrice>();
  encoded->asset_state = std::move(asset_state);
  encoded->rate_state = std::move(rate_state);
  encoded->stale = quoted->stale;
  if (quoted->stale) {
    encoded->fresh_until_ms = std::numeric_limits<int64_t>::max();
  } else {
    // IsStale: now - received > limit.
    const int64_t limit_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            market_.stale_after())
            .count();
    int64_t received = encoded->asset_state->received_time_ms;
    if (encoded->rate_state != nullptr) {
      received = std::min(received, encoded->rate_state->received_time_ms);
    }
    encoded->fresh_until_ms = received + limit_ms;
  }
  v1::StreamPricesResponse message;
  contract::FillPrice(*quoted, message.mutable_price());
  encoded->slice = grpc::Slice(message.SerializeAsString());
  std::shared_ptr<const EncodedPrice> result = std::move(encoded);
  entry.store(result, std::memory_order_release);
  return result;
}

PricesResponseCache::PricesResponseCache(const market::MarketState& market,
                                         size_t max_entries)
    : market_(market), max_entries_(max_entries) {}

std::optional<grpc::Slice> PricesResponseCache::Find(const std::string& request,
                                                     int64_t now_ms) {
  const uint64_t version = market_.version();
  std::lock_guard lock(mu_);
  auto it = entries_.find(request);
  if (it == entries_.end() || it->second.version != version ||
      now_ms > it->second.fresh_until_ms) {
    return std::nullopt;
  }
  return it->second.response;  // a reference, not a copy of the bytes
}

void PricesResponseCache::Store(
    std::string request, uint64_t version,
    const std::vector<std::shared_ptr<const EncodedPrice>>& prices,
    grpc::Slice response) {
  int64_t fresh_until_ms = std::numeric_limits<int64_t>::max();
  for (const auto& price : prices) {
    fresh_until_ms = std::min(fresh_until_ms, price->fresh_until_ms);
  }
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_ && !entries_.contains(request)) {
    entries_.clear();
  }
  entries_.insert_or_assign(
      std::move(request), Entry{version, fresh_until_ms, std::move(response)});
}

}  // namespace cryptotracker::pricing::stream
