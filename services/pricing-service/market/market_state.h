// The latest market state of every tracked asset, fed by the providers
// through TickSink and read by the gRPC handlers.
//
// Reads are cheap and never wait for writers: each instrument (exchange
// pair) is an immutable InstrumentState published through an atomic
// shared_ptr, so GetPrices loads a handful of pointers and copies nothing
// under a lock. Writers (provider threads) build a new state from the
// current one under a per-instrument mutex and swap it in, then tell the
// PriceBroadcaster which asset changed.
#ifndef CRYPTOTRACKER_PRICING_MARKET_MARKET_STATE_H_
#define CRYPTOTRACKER_PRICING_MARKET_MARKET_STATE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "services/common/decimal.h"
#include "services/pricing-service/market/price_broadcaster.h"
#include "services/pricing-service/market/tick_sink.h"

namespace cryptotracker::pricing::market {

// A tracked asset as the market state knows it.
struct TrackedAsset {
  // Upper-case ticker, e.g. "BTC".
  std::string symbol;
  // USDT reference pair, e.g. "BTCUSDT".
  std::string pair;
};

// Pairs every deployment follows besides the assets' own, for cross rates.
inline constexpr std::string_view kEurRatePair = "EURUSDT";
inline constexpr std::string_view kBtcRatePair = "BTCUSDT";

// Latest known state of one exchange pair. Amounts are in the pair's quote
// asset (USDT).
struct InstrumentState {
  std::string pair;
  common::Decimal last_price;
  // 24-hour statistics; absent until a ticker arrived.
  std::optional<common::Decimal> open_24h;
  std::optional<common::Decimal> high_24h;
  std::optional<common::Decimal> low_24h;
  std::optional<common::Decimal> base_volume_24h;
  std::optional<common::Decimal> quote_volume_24h;
  // Provider of the latest update, e.g. "binance".
  std::string source;
  // When the source reported the latest update (its clock).
  int64_t source_time_ms = 0;
  // When this service received it (our clock); staleness is measured from
  // here so that an exchange clock offset cannot make prices look fresh.
  int64_t received_time_ms = 0;
};

// Counters of what the sink did with provider input.
struct MarketStateStats {
  int64_t ticks_applied = 0;
  int64_t tickers_applied = 0;
  // Pair not tracked by this deployment.
  int64_t unknown_pair = 0;
  // Zero or negative prices, inconsistent 24h statistics.
  int64_t invalid = 0;
  // Older than the state already held (out-of-order or replayed).
  int64_t out_of_order = 0;
};

struct MarketStateOptions {
  // A price is stale when nothing arrived for it for this long
  // (PRICE_STALE_SECONDS).
  std::chrono::seconds stale_after{60};
  // Wall clock in milliseconds since the epoch; replaceable for tests.
  std::function<int64_t()> clock;
};

class MarketState final : public TickSink {
 public:
  // `assets` in catalogue order (by rank). Symbols and pairs must be unique.
  MarketState(std::vector<TrackedAsset> assets, MarketStateOptions options);
  MarketState(const MarketState&) = delete;
  MarketState& operator=(const MarketState&) = delete;

  const std::vector<TrackedAsset>& assets() const { return assets_; }
  // Index of an asset by its upper-case symbol.
  std::optional<size_t> FindAsset(std::string_view symbol) const;
  // Every exchange pair the providers should subscribe to: the assets'
  // pairs plus the cross-rate pairs.
  std::vector<std::string> RequiredPairs() const;

  // Latest state of an asset's pair / a rate pair; nullptr before the first
  // update.
  std::shared_ptr<const InstrumentState> AssetState(size_t asset_index) const;
  std::shared_ptr<const InstrumentState> EurRate() const;
  std::shared_ptr<const InstrumentState> BtcRate() const;

  int64_t NowMs() const { return options_.clock(); }
  bool IsStale(const InstrumentState& state, int64_t now_ms) const;
  std::chrono::seconds stale_after() const { return options_.stale_after; }

  // Publishes every asset and rate whose staleness changed since the last
  // call, so that streams send the `stale` flag flip. Call periodically (the
  // stream hub does, once a second).
  void PublishStalenessChanges();

  PriceBroadcaster& broadcaster() { return broadcaster_; }
  // Counts every published change of any instrument. A result derived from
  // the states read after version() returned V is current while version()
  // is still V (staleness aside, which moves with the clock).
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  MarketStateStats stats() const;
  // True when at least one asset has a fresh price; for readiness and
  // metrics ("the feed is down" shows as no fresh price at all).
  size_t FreshAssetCount() const;

  // TickSink. Ticks for pairs this deployment does not track are counted
  // and ignored.
  void OnTick(const domain::Tick& tick, std::string_view source) override;
  void OnTicker(const MarketTicker& ticker, std::string_view source) override;
  // Closed candles do not change the latest price (a trade or ticker always
  // arrives with or before them).
  void OnClosedCandle(const domain::Candle&, std::string_view) override {}

 private:
  struct Instrument {
    std::string pair;
    // Index into assets_, or nullopt for a rate-only pair.
    std::optional<size_t> asset_index;
    // Set for the cross-rate pairs (BTCUSDT is both an asset and a rate).
    std::optional<RatePair> rate;
    std::mutex write_mu;
    std::atomic<std::shared_ptr<const InstrumentState>> state;
    // Staleness last published (guarded by stale_mu_).
    bool published_stale = false;
  };

  Instrument* FindInstrument(std::string_view pair);
  // What a ticker that turns `current` into `next` changed.
  PriceChange TickerChange(const InstrumentState* current,
                           const InstrumentState& next) const;
  // Swaps in `next` and notifies the subscribers of the asset and/or the
  // rate the pair is.
  void Publish(Instrument& instrument,
               std::shared_ptr<const InstrumentState> next, PriceChange change);

  const std::vector<TrackedAsset> assets_;
  const MarketStateOptions options_;
  std::vector<std::unique_ptr<Instrument>> instruments_;
  absl::flat_hash_map<std::string, size_t> instrument_by_pair_;
  absl::flat_hash_map<std::string, size_t> asset_by_symbol_;
  std::vector<size_t> instrument_of_asset_;
  size_t eur_instrument_ = 0;
  size_t btc_instrument_ = 0;
  PriceBroadcaster broadcaster_;
  std::mutex stale_mu_;

  std::atomic<int64_t> ticks_applied_{0};
  std::atomic<int64_t> tickers_applied_{0};
  std::atomic<int64_t> unknown_pair_{0};
  std::atomic<int64_t> invalid_{0};
  std::atomic<int64_t> out_of_order_{0};
  std::atomic<uint64_t> version_{0};
};

}  // namespace cryptotracker::pricing::market

#endif  // CRYPTOTRACKER_PRICING_MARKET_MARKET_STATE_H_
