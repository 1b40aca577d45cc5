// Deterministic market model of the exchange simulator.
//
// Every price the simulator ever reports is a pure function of
// (seed, asset, time), so a kline requested for last March, a kline of the
// minute now forming and the live trades streamed over WebSocket all agree
// without the simulator storing anything, and two simulators started with
// the same seed tell the same story.
//
// Price paths are geometric Brownian motion with a common market factor:
//   log P(t) = log P0 + sigma * (beta * Wm(t) + sqrt(1 - beta^2) * Wi(t))
//              - sigma^2 / 2 * t
// where Wm is shared by all assets (so assets with large betas move together:
// corr(i, j) = beta_i * beta_j) and Wi is the asset's own noise. Each W is a
// two-sided standard Brownian motion anchored at kAnchorMs (where P = P0) and
// built by Brownian-bridge refinement over a dyadic grid of 4096 steps per
// minute (about 14.6 ms): the value at any grid point is obtained by
// descending the bridge tree, whose node values are hashed from the seed.
// This gives random access to any time in O(log range) with exactly the
// distribution of a Brownian motion sampled on that grid.
//
// Trades: each minute has `trades_per_minute` trades (a power of two) at
// evenly spaced grid points; a minute's kline is the aggregate of its trades,
// and a trade's id encodes its grid position, so ids grow with time. Trade j
// carries the price of its grid point but is stamped a per-asset phase later
// (a fraction of the trade spacing drawn from the seed and the pair), so the
// assets do not all trade at the same instants, while every trade stays
// inside its minute (a minute's kline is the same whatever the phase).
#ifndef CRYPTOTRACKER_TESTING_EXCHANGE_SIM_MARKET_MODEL_H_
#define CRYPTOTRACKER_TESTING_EXCHANGE_SIM_MARKET_MODEL_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cryptotracker::exchange_sim {

// 2025-01-01T00:00:00Z: every asset trades at its start_price here.
inline constexpr int64_t kAnchorMs = 1'735'689'600'000;
// 2017-08-17T00:00:00Z: the first kline the simulator serves, like the real
// exchange's earliest spot history.
inline constexpr int64_t kFirstKlineMs = 1'502'928'000'000;
// 2040-01-01T00:00:00Z: the model is defined up to here.
inline constexpr int64_t kLastModelMs = 2'208'988'800'000;
inline constexpr int64_t kMinuteMs = 60'000;
// Grid resolution: 2^12 bridge steps per minute.
inline constexpr int kGridStepsPerMinuteLog2 = 12;
inline constexpr int64_t kGridStepsPerMinute = int64_t{1}
                                               << kGridStepsPerMinuteLog2;
inline constexpr int kMaxTradesPerMinute = 4096;

struct AssetSpec {
  std::string base;          // "BTC"
  std::string pair;          // "BTCUSDT"
  std::string coingecko_id;  // "bitcoin"; empty when not a CoinGecko coin
  std::string name;          // "Bitcoin"
  double start_price = 0;    // in USDT at kAnchorMs
  double annual_volatility = 0;
  // Loading on the common market factor, in [-1, 1].
  double market_beta = 0;
  int price_decimals = 2;     // tick size 10^-price_decimals, at most 8
  int quantity_decimals = 4;  // lot size 10^-quantity_decimals, at most 8
  // Average USDT traded per day, spread over the trades.
  double daily_quote_volume = 0;
  double circulating_supply = 0;
  double max_supply = 0;  // 0: uncapped
  std::string image_url;
};

// About 20 top coins against USDT plus EURUSDT (the EUR rate).
std::vector<AssetSpec> DefaultAssets();

// An exact decimal: units * 10^-scale.
struct FixedPoint {
  __int128 units = 0;
  int scale = 0;

  // Plain decimal text with at least `min_decimals` fractional digits
  // (zero-padded, Binance style: "0.00100000"); never exponent form.
  std::string ToString(int min_decimals = 0) const;
};

struct Trade {
  int64_t id = 0;
  int64_t time_ms = 0;
  int64_t price_ticks = 0;     // price * 10^price_decimals
  int64_t quantity_units = 0;  // quantity * 10^quantity_decimals
  bool buyer_is_maker = false;
};

// Aggregate of consecutive trades (a kline, or a 24-hour window).
struct Bar {
  int64_t open_time_ms = 0;
  int64_t open_ticks = 0;
  int64_t high_ticks = 0;
  int64_t low_ticks = 0;
  int64_t close_ticks = 0;
  int64_t volume_units = 0;
  // Sum of price * quantity at scale price_decimals + quantity_decimals.
  __int128 quote_volume = 0;
  int64_t taker_buy_volume_units = 0;
  __int128 taker_buy_quote_volume = 0;
  int64_t trade_count = 0;
  int64_t first_trade_id = -1;
  int64_t last_trade_id = -1;
  int64_t last_trade_time_ms = 0;
  int64_t last_quantity_units = 0;

  bool empty() const { return trade_count == 0; }
  void Add(const Trade& trade);
  void Merge(const Bar& later);
};

class MarketModel {
 public:
  // `trades_per_minute` must be a power of two in [1, 4096].
  MarketModel(uint64_t seed, int trades_per_minute,
              std::vector<AssetSpec> assets = DefaultAssets());

  // Rounds a rate in trades per second to the nearest supported
  // trades-per-minute value (a power of two in [1, 4096]).
  static int TradesPerMinuteForRate(double trades_per_second);

  uint64_t seed() const { return seed_; }
  int trades_per_minute() const { return trades_per_minute_; }
  const std::vector<AssetSpec>& assets() const { return assets_; }
  const AssetSpec& asset(int index) const { return assets_[index]; }
  // Index of the pair ("BTCUSDT") or the CoinGecko id; -1 when unknown.
  int FindPair(std::string_view pair) const;
  int FindCoinGeckoId(std::string_view id) const;

  // The continuous (unrounded) price at a grid step; exposed for tests.
  double PriceAtGridStep(int asset, int64_t grid_step) const;

  // A fraction in [0, 1) that is a pure function of (seed, pair, purpose):
  // phases that spread the assets' periodic events over their period.
  // "trade" gives the trades' phase (see TradePhase); the simulator uses
  // other purposes to stagger each symbol's ticker and kline updates.
  double PhaseFraction(int asset, std::string_view purpose) const;
  // The trades' phase in units of 1 / trades_per_minute ms, in
  // [0, kMinuteMs): trade j of a minute is at
  //   minute_start + (j * kMinuteMs + TradePhase) / trades_per_minute
  // (integer division), less than one trade spacing after its grid instant.
  int64_t TradePhase(int asset) const { return trade_phases_[asset]; }

  // The trades of the minute starting at `minute_start_ms` (aligned), in
  // time order. Empty outside [kFirstKlineMs, kLastModelMs).
  std::vector<Trade> TradesInMinute(int asset, int64_t minute_start_ms) const;

  // The time of the asset's first trade strictly after `time_ms`, by
  // arithmetic alone (no price is computed); before kFirstKlineMs, the
  // first trade of the model. Meaningless from kLastModelMs on.
  int64_t NextTradeTimeAfter(int asset, int64_t time_ms) const;

  // Trades with time in [from_ms, to_ms), in time order.
  std::vector<Trade> TradesBetween(int asset, int64_t from_ms,
                                   int64_t to_ms) const;

  // The aggregate of the trades in [open_ms, open_ms + width_ms) up to and
  // including `now_ms` (a partial kline for the interval now forming).
  // Closed minutes are cached. Empty when no trade falls in the window.
  Bar Aggregate(int asset, int64_t open_ms, int64_t width_ms,
                int64_t now_ms) const;

  // The last trade at or before `time_ms`.
  std::optional<Trade> LastTradeAtOrBefore(int asset, int64_t time_ms) const;

 private:
  // Standard Brownian motion (variance 1 per grid step) of factor `key` at
  // the steps start + k * step for k in [0, count), all inside one minute.
  void FillMinute(uint64_t key, int64_t minute_index, int64_t step,
                  std::vector<double>& out) const;
  double BrownianAt(uint64_t key, int64_t grid_step) const;
  double Normal(uint64_t key, uint64_t side, uint64_t node) const;
  Bar MinuteBar(int asset, int64_t minute_start_ms) const;
  int64_t QuantityUnits(int asset, int64_t trade_id, int64_t price_ticks) const;

  uint64_t seed_;
  int trades_per_minute_;
  std::vector<AssetSpec> assets_;
  std::vector<uint64_t> asset_keys_;
  std::vector<double> sigma_per_step_;
  std::vector<int64_t> trade_phases_;

  // Closed minute bars by (asset, minute index); bounded, cleared when full.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<uint64_t, Bar> minute_cache_;
};

}  // namespace cryptotracker::exchange_sim

#endif  // CRYPTOTRACKER_TESTING_EXCHANGE_SIM_MARKET_MODEL_H_
