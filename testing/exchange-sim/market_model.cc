#include "testing/exchange-sim/market_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace cryptotracker::exchange_sim {
namespace {

// Bridge tree over [0, 2^kTreeDepth] grid steps on each side of the anchor:
// 2^23 minutes, about 16 years, covers kFirstKlineMs..kLastModelMs.
constexpr int kTreeDepth = 23 + kGridStepsPerMinuteLog2;
constexpr int64_t kTreeSpan = int64_t{1} << kTreeDepth;
constexpr uint64_t kMarketFactorKey = 0x6d61726b6574ULL;  // "market"
// Grid steps per year, for scaling annual volatility to one step.
constexpr double kStepsPerYear =
    365.0 * 24 * 60 * static_cast<double>(kGridStepsPerMinute);
// Minute bars younger than this (relative to the request's clock) are cached:
// that is the window the 24-hour tickers read every second.
constexpr int64_t kCacheWindowMs = 26LL * 60 * kMinuteMs;
constexpr size_t kMaxCachedBars = 100'000;

uint64_t Mix(uint64_t x) {
  // splitmix64 finaliser: a well-distributed 64-bit bijection.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashString(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then mixed
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix(h);
}

double UnitInterval(uint64_t bits) {
  // (0, 1): never 0, so log() below is finite.
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

// The standard normal quantile function (P. J. Acklam's rational
// approximation, relative error below 1.2e-9). Cheaper than Box-Muller:
// the central 95 % of draws need no logarithm or trigonometry, and the
// model draws millions of values for a day of trades.
double InverseNormalCdf(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow || p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log(p < kLow ? p : 1 - p));
    const double x =
        (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < kLow ? x : -x;
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) *
         q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string Int128ToString(unsigned __int128 value) {
  if (value == 0) return "0";
  std::string digits;
  while (value > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

int64_t Pow10(int exponent) {
  int64_t result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

}  // namespace

std::vector<AssetSpec> DefaultAssets() {
  // Start prices are round figures near the market at kAnchorMs; volatility
  // and betas are typical of each coin; supplies are approximate.
  struct Row {
    const char* base;
    const char* id;
    const char* name;
    double price;
    double vol;
    double beta;
    int price_decimals;
    int quantity_decimals;
    double daily_volume;
    double supply;
    double max_supply;
  };
  static constexpr Row kRows[] = {
      {"BTC", "bitcoin", "Bitcoin", 93500, 0.55, 0.85, 2, 5, 1.5e9, 19.8e6,
       21e6},
      {"ETH", "ethereum", "Ethereum", 3350, 0.70, 0.85, 2, 4, 9e8, 120.5e6, 0},
      {"BNB", "binancecoin", "BNB", 700, 0.60, 0.75, 2, 3, 1.2e8, 144e6, 200e6},
      {"SOL", "solana", "Solana", 190, 0.95, 0.80, 2, 3, 5e8, 485e6, 0},
      {"XRP", "ripple", "XRP", 2.05, 0.85, 0.70, 4, 1, 4e8, 57.6e9, 100e9},
      {"ADA", "cardano", "Cardano", 0.85, 0.85, 0.75, 4, 1, 1e8, 35.1e9, 45e9},
      {"DOGE", "dogecoin", "Dogecoin", 0.32, 1.00, 0.70, 5, 0, 3e8, 147e9, 0},
      {"TRX", "tron", "TRON", 0.25, 0.55, 0.55, 5, 1, 5e7, 86e9, 0},
      {"TON", "the-open-network", "Toncoin", 5.5, 0.85, 0.55, 3, 2, 3e7, 2.5e9,
       0},
      {"AVAX", "avalanche-2", "Avalanche", 36, 0.95, 0.80, 2, 2, 6e7, 410e6,
       720e6},
      {"DOT", "polkadot", "Polkadot", 6.7, 0.85, 0.80, 3, 2, 4e7, 1.53e9, 0},
      {"LINK", "chainlink", "Chainlink", 20.5, 0.90, 0.80, 2, 2, 8e7, 638e6,
       1e9},
      {"MATIC", "matic-network", "Polygon", 0.45, 0.95, 0.75, 4, 1, 3e7, 9.9e9,
       10e9},
      {"LTC", "litecoin", "Litecoin", 103, 0.75, 0.75, 2, 3, 6e7, 75.5e6, 84e6},
      {"BCH", "bitcoin-cash", "Bitcoin Cash", 430, 0.80, 0.75, 1, 3, 4e7,
       19.8e6, 21e6},
      {"SHIB", "shiba-inu", "Shiba Inu", 0.0000215, 1.10, 0.65, 8, 0, 6e7,
       589e12, 0},
      {"XLM", "stellar", "Stellar", 0.43, 0.75, 0.65, 4, 0, 3e7, 30e9, 50e9},
      {"UNI", "uniswap", "Uniswap", 13.3, 0.95, 0.75, 3, 2, 4e7, 600e6, 1e9},
      {"ATOM", "cosmos", "Cosmos Hub", 6.6, 0.85, 0.75, 3, 2, 2e7, 390e6, 0},
      {"ETC", "ethereum-classic", "Ethereum Classic", 26, 0.80, 0.70, 2, 2, 2e7,
       150e6, 210.7e6},
      // In pricing-service's seeded catalogue too (its stream subscribes to
      // every catalogue pair, and an unknown stream fails the handshake).
      {"NEAR", "near", "NEAR Protocol", 5.1, 0.95, 0.80, 3, 1, 3e7, 1.2e9, 0},
      {"APT", "aptos", "Aptos", 8.9, 0.95, 0.80, 3, 2, 2e7, 560e6, 0},
  };
  std::vector<AssetSpec> assets;
  for (const Row& row : kRows) {
    AssetSpec spec;
    spec.base = row.base;
    spec.pair = std::string(row.base) + "USDT";
    spec.coingecko_id = row.id;
    spec.name = row.name;
    spec.start_price = row.price;
    spec.annual_volatility = row.vol;
    spec.market_beta = row.beta;
    spec.price_decimals = row.price_decimals;
    spec.quantity_decimals = row.quantity_decimals;
    spec.daily_quote_volume = row.daily_volume;
    spec.circulating_supply = row.supply;
    spec.max_supply = row.max_supply;
    spec.image_url = "https://assets.exchange-sim.invalid/coins/" +
                     std::string(row.id) + ".png";
    assets.push_back(std::move(spec));
  }
  // The EUR rate: EURUSDT, low volatility and independent of crypto.
  AssetSpec eur;
  eur.base = "EUR";
  eur.pair = "EURUSDT";
  eur.name = "Euro";
  eur.start_price = 1.035;
  eur.annual_volatility = 0.07;
  eur.market_beta = 0.0;
  eur.price_decimals = 4;
  eur.quantity_decimals = 1;
  eur.daily_quote_volume = 2e7;
  assets.push_back(std::move(eur));
  return assets;
}

std::string FixedPoint::ToString(int min_decimals) const {
  const bool negative = units < 0;
  const unsigned __int128 magnitude =
      negative ? static_cast<unsigned __int128>(-(units + 1)) + 1
               : static_cast<unsigned __int128>(units);
  std::string digits = Int128ToString(magnitude);
  if (static_cast<int>(digits.size()) <= scale) {
    digits.insert(0, static_cast<size_t>(scale + 1 - digits.size()), '0');
  }
  std::string text = digits.substr(0, digits.size() - scale);
  std::string fraction = digits.substr(digits.size() - scale);
  if (static_cast<int>(fraction.size()) < min_decimals) {
    fraction.append(static_cast<size_t>(min_decimals) - fraction.size(), '0');
  }
  if (!fraction.empty()) text += "." + fraction;
  return negative && magnitude != 0 ? "-" + text : text;
}

void Bar::Add(const Trade& trade) {
  Bar single;
  single.open_time_ms = open_time_ms;
  single.open_ticks = single.high_ticks = single.low_ticks =
      single.close_ticks = trade.price_ticks;
  single.volume_units = trade.quantity_units;
  single.quote_volume =
      static_cast<__int128>(trade.price_ticks) * trade.quantity_units;
  if (!trade.buyer_is_maker) {
    single.taker_buy_volume_units = single.volume_units;
    single.taker_buy_quote_volume = single.quote_volume;
  }
  single.trade_count = 1;
  single.first_trade_id = single.last_trade_id = trade.id;
  single.last_trade_time_ms = trade.time_ms;
  single.last_quantity_units = trade.quantity_units;
  Merge(single);
}

void Bar::Merge(const Bar& later) {
  if (later.empty()) return;
  if (empty()) {
    const int64_t keep_open_time = open_time_ms;
    *this = later;
    open_time_ms = keep_open_time;
    return;
  }
  high_ticks = std::max(high_ticks, later.high_ticks);
  low_ticks = std::min(low_ticks, later.low_ticks);
  close_ticks = later.close_ticks;
  volume_units += later.volume_units;
  quote_volume += later.quote_volume;
  taker_buy_volume_units += later.taker_buy_volume_units;
  taker_buy_quote_volume += later.taker_buy_quote_volume;
  trade_count += later.trade_count;
  last_trade_id = later.last_trade_id;
  last_trade_time_ms = later.last_trade_time_ms;
  last_quantity_units = later.last_quantity_units;
}

MarketModel::MarketModel(uint64_t seed, int trades_per_minute,
                         std::vector<AssetSpec> assets)
    : seed_(seed),
      trades_per_minute_(trades_per_minute),
      assets_(std::move(assets)) {
  if (trades_per_minute < 1 || trades_per_minute > kMaxTradesPerMinute ||
      !std::has_single_bit(static_cast<unsigned>(trades_per_minute))) {
    throw std::invalid_argument(
        "trades_per_minute must be a power of two in [1, 4096]");
  }
  for (const AssetSpec& spec : assets_) {
    if (spec.start_price <= 0 || spec.annual_volatility < 0 ||
        std::abs(spec.market_beta) > 1 || spec.price_decimals < 0 ||
        spec.price_decimals > 8 || spec.quantity_decimals < 0 ||
        spec.quantity_decimals > 8) {
      throw std::invalid_argument("invalid asset spec for " + spec.pair);
    }
    // Keyed by the pair, so adding an asset changes no other asset's path.
    asset_keys_.push_back(HashString(spec.pair));
    sigma_per_step_.push_back(spec.annual_volatility /
                              std::sqrt(kStepsPerYear));
  }
  for (size_t i = 0; i < assets_.size(); ++i) {
    // Below kMinuteMs by construction (the fraction is below 1), so every
    // trade stays before the next one and inside its minute.
    trade_phases_.push_back(std::min<int64_t>(
        kMinuteMs - 1,
        static_cast<int64_t>(PhaseFraction(static_cast<int>(i), "trade") *
                             static_cast<double>(kMinuteMs))));
  }
}

int MarketModel::TradesPerMinuteForRate(double trades_per_second) {
  const double per_minute = std::clamp(
      trades_per_second * 60.0, 1.0, static_cast<double>(kMaxTradesPerMinute));
  const int exponent = static_cast<int>(std::lround(std::log2(per_minute)));
  return 1 << exponent;
}

int MarketModel::FindPair(std::string_view pair) const {
  for (size_t i = 0; i < assets_.size(); ++i) {
    if (assets_[i].pair == pair) return static_cast<int>(i);
  }
  return -1;
}

int MarketModel::FindCoinGeckoId(std::string_view id) const {
  for (size_t i = 0; i < assets_.size(); ++i) {
    if (!assets_[i].coingecko_id.empty() && assets_[i].coingecko_id == id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

double MarketModel::PhaseFraction(int asset, std::string_view purpose) const {
  const uint64_t bits =
      Mix(seed_ ^ Mix(asset_keys_[asset] ^ HashString(purpose)));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;  // [0, 1)
}

double MarketModel::Normal(uint64_t key, uint64_t side, uint64_t node) const {
  // Node ids are the dyadic midpoints (unique in the tree), so every node
  // has its own independent draw.
  const uint64_t bits = Mix(seed_ ^ Mix(key ^ Mix((node << 1) | side)));
  return InverseNormalCdf(UnitInterval(bits));
}

double MarketModel::BrownianAt(uint64_t key, int64_t grid_step) const {
  const uint64_t side = grid_step < 0 ? 1 : 0;
  const int64_t target = std::min(std::abs(grid_step), kTreeSpan);
  int64_t lo = 0;
  int64_t hi = kTreeSpan;
  double w_lo = 0.0;
  double w_hi = std::sqrt(static_cast<double>(kTreeSpan)) *
                Normal(key, side, static_cast<uint64_t>(kTreeSpan));
  while (true) {
    if (target == lo) return w_lo;
    if (target == hi) return w_hi;
    const int64_t mid = lo + (hi - lo) / 2;
    const double w_mid =
        0.5 * (w_lo + w_hi) + std::sqrt(static_cast<double>(hi - lo) / 4.0) *
                                  Normal(key, side, static_cast<uint64_t>(mid));
    if (target < mid) {
      hi = mid;
      w_hi = w_mid;
    } else {
      lo = mid;
      w_lo = w_mid;
    }
  }
}

void MarketModel::FillMinute(uint64_t key, int64_t minute_index, int64_t step,
                             std::vector<double>& out) const {
  // The minute's grid steps [m * 4096, (m + 1) * 4096) map to the dyadic
  // interval [lo, hi] of one side of the tree; negative minutes are mirrored.
  const uint64_t side = minute_index < 0 ? 1 : 0;
  const int64_t lo_target = minute_index >= 0
                                ? minute_index * kGridStepsPerMinute
                                : (-minute_index - 1) * kGridStepsPerMinute;
  int64_t lo = 0;
  int64_t hi = kTreeSpan;
  double w_lo = 0.0;
  double w_hi = std::sqrt(static_cast<double>(kTreeSpan)) *
                Normal(key, side, static_cast<uint64_t>(kTreeSpan));
  while (hi - lo > kGridStepsPerMinute) {
    const int64_t mid = lo + (hi - lo) / 2;
    const double w_mid =
        0.5 * (w_lo + w_hi) + std::sqrt(static_cast<double>(hi - lo) / 4.0) *
                                  Normal(key, side, static_cast<uint64_t>(mid));
    if (lo_target < mid) {
      hi = mid;
      w_hi = w_mid;
    } else {
      lo = mid;
      w_lo = w_mid;
    }
  }
  // Values at lo + k * step for k in [0, points]; refine breadth-first.
  const int64_t points = kGridStepsPerMinute / step;
  std::vector<double> values(static_cast<size_t>(points + 1));
  values.front() = w_lo;
  values.back() = w_hi;
  for (int64_t stride = points; stride > 1; stride /= 2) {
    for (int64_t left = 0; left < points; left += stride) {
      const int64_t middle = left + stride / 2;
      const double width = static_cast<double>(stride * step);
      values[middle] =
          0.5 * (values[left] + values[left + stride]) +
          std::sqrt(width / 4.0) *
              Normal(key, side, static_cast<uint64_t>(lo + middle * step));
    }
  }
  out.resize(static_cast<size_t>(points));
  for (int64_t j = 0; j < points; ++j) {
    // Positive side: step j is at lo + j * step. Mirrored side: grid step
    // m * 4096 + j * step is tree position hi - j * step.
    out[j] = side == 0 ? values[j] : values[points - j];
  }
}

double MarketModel::PriceAtGridStep(int asset, int64_t grid_step) const {
  const AssetSpec& spec = assets_[asset];
  const double sigma = sigma_per_step_[asset];
  const double beta = spec.market_beta;
  const double market = BrownianAt(kMarketFactorKey, grid_step);
  const double own = BrownianAt(asset_keys_[asset], grid_step);
  const double log_return =
      sigma * (beta * market + std::sqrt(1.0 - beta * beta) * own) -
      0.5 * sigma * sigma * static_cast<double>(grid_step);
  return spec.start_price * std::exp(log_return);
}

int64_t MarketModel::QuantityUnits(int asset, int64_t trade_id,
                                   int64_t price_ticks) const {
  const AssetSpec& spec = assets_[asset];
  // Trade sizes spread uniformly over [0.25, 1.75] times the average
  // notional (mean 1): cheap, and varied enough for volume statistics.
  const uint64_t bits = Mix(seed_ ^ Mix(asset_keys_[asset] ^ 0x7175616e74ULL ^
                                        static_cast<uint64_t>(trade_id)));
  const double notional = spec.daily_quote_volume /
                          (1440.0 * trades_per_minute_) *
                          (0.25 + 1.5 * UnitInterval(bits));
  const double price = static_cast<double>(price_ticks) /
                       static_cast<double>(Pow10(spec.price_decimals));
  const double quantity = notional / price;
  const double units =
      std::round(quantity * static_cast<double>(Pow10(spec.quantity_decimals)));
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::min(units, 1e15)));  // sane bound
}

std::vector<Trade> MarketModel::TradesInMinute(int asset,
                                               int64_t minute_start_ms) const {
  std::vector<Trade> trades;
  if (minute_start_ms < kFirstKlineMs || minute_start_ms >= kLastModelMs ||
      minute_start_ms % kMinuteMs != 0) {
    return trades;
  }
  const AssetSpec& spec = assets_[asset];
  const int64_t minute_index = (minute_start_ms - kAnchorMs) / kMinuteMs;
  const int64_t step = kGridStepsPerMinute / trades_per_minute_;
  std::vector<double> market;
  std::vector<double> own;
  FillMinute(kMarketFactorKey, minute_index, step, market);
  FillMinute(asset_keys_[asset], minute_index, step, own);
  const double sigma = sigma_per_step_[asset];
  const double beta = spec.market_beta;
  const double own_loading = std::sqrt(1.0 - beta * beta);
  const double scale = static_cast<double>(Pow10(spec.price_decimals));
  const int64_t first_id_of_minute =
      (minute_start_ms - kFirstKlineMs) / kMinuteMs * kGridStepsPerMinute + 1;
  trades.reserve(static_cast<size_t>(trades_per_minute_));
  for (int j = 0; j < trades_per_minute_; ++j) {
    const int64_t grid_step = minute_index * kGridStepsPerMinute + j * step;
    const double log_return =
        sigma * (beta * market[j] + own_loading * own[j]) -
        0.5 * sigma * sigma * static_cast<double>(grid_step);
    const double price = spec.start_price * std::exp(log_return);
    Trade trade;
    trade.id = first_id_of_minute + j * step;
    trade.time_ms = minute_start_ms +
                    (j * kMinuteMs + trade_phases_[asset]) / trades_per_minute_;
    trade.price_ticks =
        std::max<int64_t>(1, static_cast<int64_t>(std::llround(price * scale)));
    trade.quantity_units = QuantityUnits(asset, trade.id, trade.price_ticks);
    trade.buyer_is_maker = (Mix(seed_ ^ Mix(asset_keys_[asset] ^
                                            static_cast<uint64_t>(trade.id))) &
                            1) != 0;
    trades.push_back(trade);
  }
  return trades;
}

int64_t MarketModel::NextTradeTimeAfter(int asset, int64_t time_ms) const {
  // Trade j of minute m is at m + floor((j * kMinuteMs + phase) / tpm), which
  // is > time_ms exactly when j * kMinuteMs + phase >= (offset + 1) * tpm.
  const int64_t phase = trade_phases_[asset];
  const int64_t tpm = trades_per_minute_;
  const int64_t clamped = std::clamp(time_ms, kFirstKlineMs - 1, kLastModelMs);
  const int64_t minute = FloorDiv(clamped, kMinuteMs) * kMinuteMs;
  const int64_t needed = (clamped - minute + 1) * tpm - phase;
  const int64_t j = needed <= 0 ? 0 : (needed + kMinuteMs - 1) / kMinuteMs;
  if (j < tpm) return minute + (j * kMinuteMs + phase) / tpm;
  return minute + kMinuteMs + phase / tpm;
}

std::vector<Trade> MarketModel::TradesBetween(int asset, int64_t from_ms,
                                              int64_t to_ms) const {
  std::vector<Trade> result;
  for (int64_t minute = FloorDiv(from_ms, kMinuteMs) * kMinuteMs;
       minute < to_ms; minute += kMinuteMs) {
    for (const Trade& trade : TradesInMinute(asset, minute)) {
      if (trade.time_ms >= from_ms && trade.time_ms < to_ms) {
        result.push_back(trade);
      }
    }
  }
  return result;
}

Bar MarketModel::MinuteBar(int asset, int64_t minute_start_ms) const {
  Bar bar;
  bar.open_time_ms = minute_start_ms;
  for (const Trade& trade : TradesInMinute(asset, minute_start_ms)) {
    bar.Add(trade);
  }
  return bar;
}

Bar MarketModel::Aggregate(int asset, int64_t open_ms, int64_t width_ms,
                           int64_t now_ms) const {
  Bar total;
  total.open_time_ms = open_ms;
  const int64_t end_ms = std::min(open_ms + width_ms, now_ms + 1);
  for (int64_t minute = FloorDiv(open_ms, kMinuteMs) * kMinuteMs;
       minute < end_ms; minute += kMinuteMs) {
    const bool whole = minute >= open_ms && minute + kMinuteMs <= end_ms;
    if (!whole) {
      Bar part;
      part.open_time_ms = minute;
      for (const Trade& trade : TradesInMinute(asset, minute)) {
        if (trade.time_ms >= open_ms && trade.time_ms < end_ms) {
          part.Add(trade);
        }
      }
      total.Merge(part);
      continue;
    }
    if (now_ms - minute > kCacheWindowMs) {
      total.Merge(MinuteBar(asset, minute));
      continue;
    }
    const uint64_t key =
        (static_cast<uint64_t>(asset) << 40) |
        static_cast<uint64_t>((minute - kFirstKlineMs) / kMinuteMs);
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      auto it = minute_cache_.find(key);
      if (it != minute_cache_.end()) {
        total.Merge(it->second);
        continue;
      }
    }
    Bar bar = MinuteBar(asset, minute);
    total.Merge(bar);
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (minute_cache_.size() >= kMaxCachedBars) minute_cache_.clear();
    minute_cache_.emplace(key, bar);
  }
  return total;
}

std::optional<Trade> MarketModel::LastTradeAtOrBefore(int asset,
                                                      int64_t time_ms) const {
  const int64_t minute = FloorDiv(time_ms, kMinuteMs) * kMinuteMs;
  std::optional<Trade> last;
  for (const Trade& trade : TradesInMinute(asset, minute)) {
    if (trade.time_ms <= time_ms) last = trade;
  }
  if (!last.has_value()) {
    std::vector<Trade> previous = TradesInMinute(asset, minute - kMinuteMs);
    if (!previous.empty()) last = previous.back();
  }
  return last;
}

}  // namespace cryptotracker::exchange_sim
