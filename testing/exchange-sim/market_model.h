// Deterministic market model of the exchange simulator.
//
// Every price the simulator ever reports is a pure function of
// (seed, asset, time), so a kline requested for 2018, a kline of the minute
// now forming and the live trades streamed over WebSocket all agree without
// the simulator storing anything, and two simulators started with the same
// seed tell the same story.
//
// The model is hierarchical, generated top-down so that any kline costs
// O(1) however old it is, and so that every coarser kline is exactly the
// aggregate of the finer ones:
//   day     a log-price random walk per asset from its listing (bridged
//           from a listing price to start_price at kAnchorMs, then free),
//           with the market factor shared by all assets (correlation
//           beta_i * beta_j); each day's high and low follow the law of a
//           Brownian bridge's extremes. Computed for all days at start-up.
//   hour    the day's 24 hours: a Brownian bridge from the day's open to its
//           close, conditioned (by an additive piecewise-linear correction,
//           which is exact Gaussian conditioning on point values) to reach
//           the day's high and low in the hours where the unconstrained
//           path peaks, and folded (reflected) into [low, high], which keeps
//           the local volatility. Volumes are an exact integer split of the
//           day's.
//   minute  the same construction inside each hour;
//   trade   inside each minute: the trades hit the minute's open (first),
//           close (last), high and low exactly.
// Hour and minute children are generated on demand and cached.
// Volumes (base and quote, taker and maker) are split top-down as exact
// integers, so a kline's volume and quote volume are the sums of its
// children's and of its trades'; a trade's share of the quote volume
// (Trade::quote_amount) is its price * quantity to within about a percent.
//
// Trades: each minute has `trades_per_minute` trades (a power of two) at
// evenly spaced grid points; a trade's id encodes its grid position, so ids
// grow with time. Trade j carries the price of its grid point but is stamped
// a per-asset phase later (a fraction of the trade spacing drawn from the
// seed and the pair), so the assets do not all trade at the same instants,
// while every trade stays inside its minute. The prices at the first 64 grid
// points of a minute do not depend on the tick rate (a faster rate adds
// trades between them).
#ifndef CRYPTOTRACKER_TESTING_EXCHANGE_SIM_MARKET_MODEL_H_
#define CRYPTOTRACKER_TESTING_EXCHANGE_SIM_MARKET_MODEL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cryptotracker::exchange_sim {

// 2025-01-01T00:00:00Z: every asset trades at its start_price here.
inline constexpr int64_t kAnchorMs = 1'735'689'600'000;
// 2017-08-17T00:00:00Z: the first kline the simulator serves (BTCUSDT and
// ETHUSDT list here, like the real exchange's earliest spot history; other
// pairs list later, see AssetSpec::listing_ms).
inline constexpr int64_t kFirstKlineMs = 1'502'928'000'000;
// 2031-01-01T00:00:00Z: the model is defined up to here (its daily path is
// built for every day up to it).
inline constexpr int64_t kLastModelMs = 1'924'992'000'000;
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
  // The pair's first kline (a UTC midnight, at or after kFirstKlineMs) and
  // its price then (0: start_price).
  int64_t listing_ms = kFirstKlineMs;
  double listing_price = 0;
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
  // The trade's part of its kline's quote volume, at scale
  // price_decimals + quantity_decimals; negative: price * quantity.
  __int128 quote_amount = -1;
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

  // The price of the last trade at or before a grid step (grid step 0 is
  // kAnchorMs); 0 before the asset's listing. Exposed for tests.
  double PriceAtGridStep(int asset, int64_t grid_step) const;
  // The asset's first kline (see AssetSpec::listing_ms).
  int64_t ListingMs(int asset) const { return assets_[asset].listing_ms; }

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
  // time order. Empty outside [listing, kLastModelMs).
  std::vector<Trade> TradesInMinute(int asset, int64_t minute_start_ms) const;

  // The time of the asset's first trade strictly after `time_ms`, by
  // arithmetic alone (no price is computed); before the listing, the
  // asset's first trade. Meaningless from kLastModelMs on.
  int64_t NextTradeTimeAfter(int asset, int64_t time_ms) const;

  // Trades with time in [from_ms, to_ms), in time order.
  std::vector<Trade> TradesBetween(int asset, int64_t from_ms,
                                   int64_t to_ms) const;

  // The aggregate of the trades in [open_ms, open_ms + width_ms) up to and
  // including `now_ms` (a partial kline for the interval now forming), from
  // whole days, hours and minutes of the hierarchy plus the trades of
  // partial minutes: O(1) per day, hour or minute covered. The minute
  // holding `now_ms` is always aggregated from its trades, so
  // last_quantity_units is set when the window reaches it (and 0 for a
  // window that closed before). Empty when no trade falls in the window.
  Bar Aggregate(int asset, int64_t open_ms, int64_t width_ms,
                int64_t now_ms) const;

  // The last trade at or before `time_ms`.
  std::optional<Trade> LastTradeAtOrBefore(int asset, int64_t time_ms) const;

  // Builds every asset's daily path now rather than on first use (a live
  // server does this before it serves, so that no stream event waits).
  void BuildAllDays() const;

  // How many days' and hours' children the model has generated (cache
  // misses): what a request costs beyond O(1) per kline. For tests.
  int64_t children_built() const {
    return children_built_.load(std::memory_order_relaxed);
  }

 private:
  // A bar of the hierarchy: prices in ticks; volumes split by taker side.
  struct Node {
    int64_t open = 0;
    int64_t high = 0;
    int64_t low = 0;
    int64_t close = 0;
    int64_t taker_volume = 0;
    int64_t maker_volume = 0;
    __int128 taker_quote = 0;
    __int128 maker_quote = 0;
  };
  // How a bar's children are laid out: kBar children have their own
  // excursions (high/low beyond open/close), kPair children are two trades
  // (a minute at 2 trades a minute), kPoint children one trade each.
  enum class ChildKind { kBar, kPair, kPoint };
  struct Layout {
    int count = 0;
    ChildKind kind = ChildKind::kBar;
    double body_variance = 0;  // log-variance from a child's open to close
    double gap_variance = 0;   // from a child's close to the next open
    uint64_t level = 0;        // hash domain of this level
    int64_t index = 0;         // the parent's number at its level
  };
  using Children = std::vector<Node>;
  // An unconstrained path of children: points (each child's open and
  // close, or one point per kPoint child) in log ticks at their variance
  // times, and kBar children's excursions above and below.
  struct Path {
    std::vector<double> x;
    std::vector<double> at;
    std::vector<double> up;
    std::vector<double> down;
  };

  void BuildDays(int asset) const;
  void UnconstrainedPath(int asset, double open, double close,
                         const Layout& layout, Path& path) const;
  // The highest and lowest value the path's children reach.
  static std::pair<double, double> PathExtremes(const Path& path);
  Layout HourLayout(int asset, int64_t day_start_ms) const;
  Layout MinuteLayout(int asset, int64_t hour_start_ms) const;
  // Children prices (open, high, low, close in ticks) of `parent` that hit
  // its open, close, high and low exactly; kPoint children have all four
  // equal.
  // With `look_ahead` (a day's hours), each child's high and low are where
  // its own children's unconstrained path peaks, so that only the hosts of
  // the parent's extremes need conditioning one level down; `mean_prices`
  // then receives each child's average price.
  void ChildPrices(int asset, const Node& parent, const Layout& layout,
                   bool look_ahead, std::vector<Node>& children,
                   std::vector<double>* mean_prices) const;
  // Splits the parent's volumes over the children in proportion to random
  // activity weights, exactly, every child at least one unit per trade.
  // `mean_prices`: each child's average price (empty: the mean of its
  // open, high, low and close), which weighs its share of the quote volume.
  void SplitVolumes(int asset, const Node& parent, const Layout& layout,
                    int64_t first_minute, int64_t minutes_per_child,
                    const std::vector<double>& mean_prices,
                    std::vector<Node>& children) const;
  const Node* DayNode(int asset, int64_t day_start_ms) const;
  std::shared_ptr<const Children> HourNodes(int asset,
                                            int64_t day_start_ms) const;
  std::shared_ptr<const Children> MinuteNodes(int asset,
                                              int64_t hour_start_ms) const;
  std::vector<Trade> GenerateTrades(int asset, int64_t minute_start_ms,
                                    const Node& minute) const;
  Bar NodeBar(const Node& node, int64_t open_ms, int64_t minutes) const;
  int64_t TakerTrades(int64_t first_minute, int64_t minutes) const;
  int64_t FirstTradeId(int64_t minute_start_ms) const;
  int64_t TradeTime(int asset, int64_t minute_start_ms, int64_t j) const;
  double Gaussian(uint64_t key, uint64_t level, int64_t index,
                  uint64_t k) const;
  double Uniform(uint64_t key, uint64_t level, int64_t index, uint64_t k) const;
  // The asset's correlated innovation: beta * market + sqrt(1-beta^2) * own.
  double Innovation(int asset, uint64_t level, int64_t index, uint64_t k) const;

  uint64_t seed_;
  int trades_per_minute_;
  std::vector<AssetSpec> assets_;
  std::vector<uint64_t> asset_keys_;
  // Log-price variance per millisecond.
  std::vector<double> variance_per_ms_;
  std::vector<int64_t> trade_phases_;
  // Every day of every asset from its listing to kLastModelMs, built on
  // first use.
  mutable std::vector<std::vector<Node>> days_;
  std::unique_ptr<std::once_flag[]> days_built_;

  // Children of recently used days and hours by (asset, number); bounded,
  // cleared when full.
  mutable std::atomic<int64_t> children_built_{0};
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const Children>>
      hour_cache_;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const Children>>
      minute_cache_;
};

}  // namespace cryptotracker::exchange_sim

#endif  // CRYPTOTRACKER_TESTING_EXCHANGE_SIM_MARKET_MODEL_H_
