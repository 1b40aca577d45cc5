#include "testing/exchange-sim/market_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace cryptotracker::exchange_sim {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr double kYearMs = 365.0 * 86'400'000;
constexpr uint64_t kMarketFactorKey = 0x6d61726b6574ULL;  // "market"
// The last trade of a bar and the first of the next are about a second
// apart (one trade spacing at the default rate).
constexpr double kGapMs = 1'000;
// The first grid points of each minute that every tick rate trades at.
constexpr int kCoarseTradesPerMinute = 64;
// Hash domains of the levels and of the draws in them.
constexpr uint64_t kDayWalk = 1;
constexpr uint64_t kDayShape = 2;
constexpr uint64_t kHourLevel = 3;
constexpr uint64_t kMinuteLevel = 4;
constexpr uint64_t kTradeLevel = 5;
constexpr uint64_t kFineTradeLevel = 6;
// Offsets of a level's draws: bridge innovations use k itself.
constexpr uint64_t kUpDraw = 1ULL << 40;
constexpr uint64_t kDownDraw = 2ULL << 40;
constexpr uint64_t kVolumeDraw = 3ULL << 40;
constexpr uint64_t kTakerDraw = 4ULL << 40;
constexpr size_t kMaxCachedChildren = 4096;

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

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
constexpr int64_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year =
      (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}
static_assert(DaysFromCivil(2017, 8, 17) * 86'400'000 == kFirstKlineMs);
static_assert(DaysFromCivil(2025, 1, 1) * 86'400'000 == kAnchorMs);

// Prices stay within this factor below the lower and above the higher of
// the listing and anchor prices (reflected at the edges).
constexpr double kPriceBandFactor = 1.6;

// Reflects x into [low, high] (a path folded at the edges keeps the size of
// its moves).
double Fold(double x, double low, double high) {
  const double width = high - low;
  if (!(width > 1e-12)) return low;
  if (x >= low && x <= high) return x;
  double y = std::fmod(x - low, 2 * width);
  if (y < 0) y += 2 * width;
  if (y > width) y = 2 * width - y;
  return low + y;
}

// How far the maximum of a Brownian bridge from a to b with variance s2
// rises above max(a, b), drawn from its exact law
// P(M >= m) = exp(-2 (m - a)(m - b) / s2) with the uniform u; by symmetry
// also how far the minimum falls below min(a, b).
double BridgeExtreme(double a, double b, double s2, double u) {
  const double half = 0.5 * (b - a);
  const double top =
      0.5 * (a + b) + std::sqrt(half * half - 0.5 * s2 * std::log(u));
  return std::max(0.0, top - std::max(a, b));
}

// Ticks of a log price (at least one tick).
int64_t TicksOf(double log_ticks) {
  return std::max<int64_t>(1, std::llround(std::exp(log_ticks)));
}

__int128 RoundWide(long double value) {
  return value <= 0 ? 0 : static_cast<__int128>(value + 0.5L);
}

// Splits `total` into parts of at least minimum[i] each, the rest in
// proportion to weight[i] (cumulative rounding: exact sum, never negative).
void SplitUnits(int64_t total, const int64_t* minimum, const double* weight,
                int n, int64_t* out) {
  int64_t spare = total;
  long double weight_sum = 0;
  for (int i = 0; i < n; ++i) {
    spare -= minimum[i];
    weight_sum += weight[i];
  }
  spare = std::max<int64_t>(spare, 0);
  long double cumulative = 0;
  int64_t given = 0;
  for (int i = 0; i < n; ++i) {
    cumulative += weight[i];
    int64_t upto =
        i + 1 == n || weight_sum <= 0
            ? (i + 1 == n ? spare : 0)
            : static_cast<int64_t>(std::llround(
                  static_cast<long double>(spare) * cumulative / weight_sum));
    upto = std::clamp(upto, given, spare);
    out[i] = minimum[i] + (upto - given);
    given = upto;
  }
}

void SplitWide(__int128 total, const double* weight, int n, __int128* out) {
  long double weight_sum = 0;
  for (int i = 0; i < n; ++i) weight_sum += weight[i];
  long double cumulative = 0;
  __int128 given = 0;
  for (int i = 0; i < n; ++i) {
    cumulative += weight[i];
    __int128 upto = i + 1 == n ? total
                    : weight_sum <= 0
                        ? 0
                        : RoundWide(static_cast<long double>(total) *
                                    cumulative / weight_sum);
    upto = std::clamp(upto, given, total);
    out[i] = upto - given;
    given = upto;
  }
}

}  // namespace

std::vector<AssetSpec> DefaultAssets() {
  // Start prices are round figures near the market at kAnchorMs; volatility
  // and betas are typical of each coin; supplies are approximate. Listing
  // dates are the pairs' first day on the real exchange, listing prices
  // near the market then.
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
    int listing_year;
    int listing_month;
    int listing_day;
    double listing_price;
  };
  static constexpr Row kRows[] = {
      {"BTC", "bitcoin", "Bitcoin", 93500, 0.55, 0.85, 2, 5, 1.5e9, 19.8e6,
       21e6, 2017, 8, 17, 4261},
      {"ETH", "ethereum", "Ethereum", 3350, 0.70, 0.85, 2, 4, 9e8, 120.5e6, 0,
       2017, 8, 17, 301},
      {"BNB", "binancecoin", "BNB", 700, 0.60, 0.75, 2, 3, 1.2e8, 144e6, 200e6,
       2017, 11, 6, 1.9},
      {"SOL", "solana", "Solana", 190, 0.95, 0.80, 2, 3, 5e8, 485e6, 0, 2020, 8,
       11, 3.0},
      {"XRP", "ripple", "XRP", 2.05, 0.85, 0.70, 4, 1, 4e8, 57.6e9, 100e9, 2018,
       5, 4, 0.9},
      {"ADA", "cardano", "Cardano", 0.85, 0.85, 0.75, 4, 1, 1e8, 35.1e9, 45e9,
       2018, 4, 17, 0.25},
      {"DOGE", "dogecoin", "Dogecoin", 0.32, 1.00, 0.70, 5, 0, 3e8, 147e9, 0,
       2019, 7, 5, 0.0043},
      {"TRX", "tron", "TRON", 0.25, 0.55, 0.55, 5, 1, 5e7, 86e9, 0, 2018, 6, 11,
       0.045},
      {"TON", "the-open-network", "Toncoin", 5.5, 0.85, 0.55, 3, 2, 3e7, 2.5e9,
       0, 2024, 8, 8, 6.5},
      {"AVAX", "avalanche-2", "Avalanche", 36, 0.95, 0.80, 2, 2, 6e7, 410e6,
       720e6, 2020, 9, 22, 4.5},
      {"DOT", "polkadot", "Polkadot", 6.7, 0.85, 0.80, 3, 2, 4e7, 1.53e9, 0,
       2020, 8, 18, 4.0},
      {"LINK", "chainlink", "Chainlink", 20.5, 0.90, 0.80, 2, 2, 8e7, 638e6,
       1e9, 2019, 1, 16, 0.5},
      {"MATIC", "matic-network", "Polygon", 0.45, 0.95, 0.75, 4, 1, 3e7, 9.9e9,
       10e9, 2019, 4, 26, 0.01},
      {"LTC", "litecoin", "Litecoin", 103, 0.75, 0.75, 2, 3, 6e7, 75.5e6, 84e6,
       2017, 12, 13, 290},
      {"BCH", "bitcoin-cash", "Bitcoin Cash", 430, 0.80, 0.75, 1, 3, 4e7,
       19.8e6, 21e6, 2019, 11, 28, 215},
      {"SHIB", "shiba-inu", "Shiba Inu", 0.0000215, 1.10, 0.65, 8, 0, 6e7,
       589e12, 0, 2021, 5, 10, 3e-05},
      {"XLM", "stellar", "Stellar", 0.43, 0.75, 0.65, 4, 0, 3e7, 30e9, 50e9,
       2018, 5, 31, 0.3},
      {"UNI", "uniswap", "Uniswap", 13.3, 0.95, 0.75, 3, 2, 4e7, 600e6, 1e9,
       2020, 9, 17, 3.0},
      {"ATOM", "cosmos", "Cosmos Hub", 6.6, 0.85, 0.75, 3, 2, 2e7, 390e6, 0,
       2019, 4, 29, 5.5},
      {"ETC", "ethereum-classic", "Ethereum Classic", 26, 0.80, 0.70, 2, 2, 2e7,
       150e6, 210.7e6, 2018, 6, 12, 14},
      // In pricing-service's seeded catalogue too (its stream subscribes to
      // every catalogue pair, and an unknown stream fails the handshake).
      {"NEAR", "near", "NEAR Protocol", 5.1, 0.95, 0.80, 3, 1, 3e7, 1.2e9, 0,
       2020, 10, 14, 1.3},
      {"APT", "aptos", "Aptos", 8.9, 0.95, 0.80, 3, 2, 2e7, 560e6, 0, 2022, 10,
       19, 8.0},
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
    spec.listing_ms =
        DaysFromCivil(row.listing_year, row.listing_month, row.listing_day) *
        kDayMs;
    spec.listing_price = row.listing_price;
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
  eur.listing_ms = DaysFromCivil(2020, 1, 3) * kDayMs;
  eur.listing_price = 1.117;
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
      trade.quote_amount >= 0
          ? trade.quote_amount
          : static_cast<__int128>(trade.price_ticks) * trade.quantity_units;
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
  for (AssetSpec& spec : assets_) {
    if (spec.start_price <= 0 || spec.annual_volatility < 0 ||
        std::abs(spec.market_beta) > 1 || spec.price_decimals < 0 ||
        spec.price_decimals > 8 || spec.quantity_decimals < 0 ||
        spec.quantity_decimals > 8 || spec.listing_ms < kFirstKlineMs ||
        spec.listing_ms >= kLastModelMs || spec.listing_ms % kDayMs != 0 ||
        spec.listing_price < 0) {
      throw std::invalid_argument("invalid asset spec for " + spec.pair);
    }
    if (spec.listing_price == 0) spec.listing_price = spec.start_price;
    // Keyed by the pair, so adding an asset changes no other asset's path.
    asset_keys_.push_back(HashString(spec.pair));
    variance_per_ms_.push_back(spec.annual_volatility * spec.annual_volatility /
                               kYearMs);
  }
  for (size_t i = 0; i < assets_.size(); ++i) {
    // Below kMinuteMs by construction (the fraction is below 1), so every
    // trade stays before the next one and inside its minute.
    trade_phases_.push_back(std::min<int64_t>(
        kMinuteMs - 1,
        static_cast<int64_t>(PhaseFraction(static_cast<int>(i), "trade") *
                             static_cast<double>(kMinuteMs))));
  }
  days_.resize(assets_.size());
  days_built_ = std::make_unique<std::once_flag[]>(assets_.size());
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

double MarketModel::Uniform(uint64_t key, uint64_t level, int64_t index,
                            uint64_t k) const {
  uint64_t h = Mix(seed_ ^ key);
  h = Mix(h ^ level);
  h = Mix(h ^ static_cast<uint64_t>(index));
  return UnitInterval(Mix(h ^ k));
}

double MarketModel::Gaussian(uint64_t key, uint64_t level, int64_t index,
                             uint64_t k) const {
  return InverseNormalCdf(Uniform(key, level, index, k));
}

double MarketModel::Innovation(int asset, uint64_t level, int64_t index,
                               uint64_t k) const {
  const double beta = assets_[asset].market_beta;
  const double market = Gaussian(kMarketFactorKey, level, index, k);
  const double own = Gaussian(asset_keys_[asset], level, index, k);
  return beta * market + std::sqrt(1.0 - beta * beta) * own;
}

void MarketModel::BuildDays(int asset) const {
  const AssetSpec& spec = assets_[asset];
  const double scale = static_cast<double>(Pow10(spec.price_decimals));
  const int64_t first_day = spec.listing_ms / kDayMs;
  const int64_t end_day = kLastModelMs / kDayMs;
  // Listed before the anchor: the walk is pinned to start_price there and
  // bridged back to the listing price; listed later: it starts at the
  // listing price.
  const bool listed_before_anchor = first_day < kAnchorMs / kDayMs;
  const int64_t anchor_day =
      listed_before_anchor ? kAnchorMs / kDayMs : first_day;
  const double list_log = std::log(spec.listing_price * scale);
  const double anchor_log =
      listed_before_anchor ? std::log(spec.start_price * scale) : list_log;
  const double v = variance_per_ms_[asset];
  const double body_sd = std::sqrt(v * (kDayMs - kGapMs));
  const double gap_sd = std::sqrt(v * kGapMs);
  const size_t count = static_cast<size_t>(end_day - first_day);
  std::vector<double> opens(count);
  std::vector<double> closes(count);
  const size_t anchor = static_cast<size_t>(anchor_day - first_day);
  // A random walk from the anchor both ways: open -> close is a day's
  // variance less a gap, close -> next open one gap.
  opens[anchor] = anchor_log;
  for (size_t d = anchor; d < count; ++d) {
    const int64_t day = first_day + static_cast<int64_t>(d);
    closes[d] = opens[d] + body_sd * Innovation(asset, kDayWalk, day, 0);
    if (d + 1 < count) {
      opens[d + 1] = closes[d] + gap_sd * Innovation(asset, kDayWalk, day, 1);
    }
  }
  for (size_t d = anchor; d-- > 0;) {
    const int64_t day = first_day + static_cast<int64_t>(d);
    closes[d] = opens[d + 1] - gap_sd * Innovation(asset, kDayWalk, day, 1);
    opens[d] = closes[d] - body_sd * Innovation(asset, kDayWalk, day, 0);
  }
  // Before the anchor, a bridge from the listing price: the walk plus the
  // linear correction that makes it start there.
  if (anchor > 0) {
    const double residual = list_log - opens[0];
    const double span = static_cast<double>(anchor) * kDayMs;
    for (size_t d = 0; d < anchor; ++d) {
      const double open_at = static_cast<double>(d) * kDayMs;
      opens[d] += residual * (1.0 - open_at / span);
      closes[d] += residual * (1.0 - (open_at + kDayMs - kGapMs) / span);
    }
  }
  // Kept in a band around the listing and anchor prices, by reflection.
  const double band_low =
      std::min(list_log, anchor_log) - std::log(kPriceBandFactor);
  const double band_high =
      std::max(list_log, anchor_log) + std::log(kPriceBandFactor);
  std::vector<Node>& days = days_[asset];
  days.resize(count);
  const double quote_per_day =
      spec.daily_quote_volume *
      static_cast<double>(Pow10(spec.quantity_decimals)) *
      scale;  // ticks * units
  const int64_t trades_per_day = 1440LL * trades_per_minute_;
  std::vector<Node> hours;
  for (size_t d = 0; d < count; ++d) {
    const int64_t day = first_day + static_cast<int64_t>(d);
    const double open = Fold(opens[d], band_low, band_high);
    const double close = Fold(closes[d], band_low, band_high);
    const double s2 = v * (kDayMs - kGapMs);
    const double up = BridgeExtreme(
        open, close, s2, Uniform(asset_keys_[asset], kDayShape, day, kUpDraw));
    const double down =
        BridgeExtreme(open, close, s2,
                      Uniform(asset_keys_[asset], kDayShape, day, kDownDraw));
    Node& node = days[d];
    node.open = d == anchor && listed_before_anchor
                    ? std::llround(spec.start_price * scale)
                    : TicksOf(open);
    node.close = TicksOf(close);
    node.high =
        std::max({TicksOf(std::max(open, close) + up), node.open, node.close});
    node.low = std::min(
        {TicksOf(std::min(open, close) - down), node.open, node.close});
    // The day's average price, from its hours' opens and closes (the
    // hours' own path, less their excursions), so that the quote volume
    // handed down to the hours and trades matches their prices.
    Layout hours_layout = HourLayout(asset, day * kDayMs);
    ChildPrices(asset, node, hours_layout, /*look_ahead=*/false, hours,
                nullptr);
    double sum = 0;
    for (const Node& hour : hours) {
      sum += static_cast<double>(hour.open) + static_cast<double>(hour.close);
    }
    const double mid = sum / (2.0 * static_cast<double>(hours.size()));
    // Volume: the quote volume of a typical day at this price, more on days
    // that move more.
    const double activity =
        (std::log(static_cast<double>(node.high) / node.low)) /
        std::max(std::sqrt(s2), 1e-9);
    const double factor = std::exp(0.3 * Gaussian(asset_keys_[asset], kDayShape,
                                                  day, kVolumeDraw)) *
                          (0.55 + 0.25 * activity);
    const double units = quote_per_day * factor / mid;
    const int64_t total = std::max<int64_t>(
        trades_per_day, static_cast<int64_t>(std::min(units, 4e15)));
    const double taker_share = std::clamp(
        0.5 + 0.05 * Gaussian(asset_keys_[asset], kDayShape, day, kTakerDraw) +
            0.1 * std::tanh((close - open) / std::max(std::sqrt(s2), 1e-9)),
        0.2, 0.8);
    const int64_t taker_trades = TakerTrades(day * 1440, 1440);
    const int64_t spare = total - trades_per_day;
    node.taker_volume =
        taker_trades + static_cast<int64_t>(std::llround(taker_share * spare));
    node.maker_volume = total - node.taker_volume;
    node.taker_quote =
        RoundWide(static_cast<long double>(node.taker_volume) * mid);
    node.maker_quote =
        RoundWide(static_cast<long double>(node.maker_volume) * mid);
  }
}

void MarketModel::UnconstrainedPath(int asset, double open, double close,
                                    const Layout& layout, Path& path) const {
  const int n = layout.count;
  const bool bars = layout.kind == ChildKind::kBar;
  const bool points = layout.kind == ChildKind::kPoint;
  // The path's points: each child's open and close (one point for kPoint),
  // at their variance times.
  const int count = points ? n : 2 * n;
  std::vector<double>& x = path.x;
  std::vector<double>& at = path.at;
  x.resize(static_cast<size_t>(count));
  at.resize(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    if (points) {
      at[k] = k * layout.body_variance;
    } else {
      at[k] = (k / 2) * (layout.body_variance + layout.gap_variance) +
              (k % 2) * layout.body_variance;
    }
  }
  x[0] = open;
  x[count - 1] = close;
  // A Brownian bridge from the open to the close.
  const double end_at = at[count - 1];
  for (int k = 1; k + 1 < count; ++k) {
    const double step = at[k] - at[k - 1];
    const double remaining = end_at - at[k - 1];
    const double mean = x[k - 1] + (close - x[k - 1]) * step / remaining;
    const double variance = step * (remaining - step) / remaining;
    x[k] = mean + std::sqrt(std::max(variance, 0.0)) *
                      Innovation(asset, layout.level, layout.index,
                                 static_cast<uint64_t>(k));
  }
  path.up.assign(bars ? n : 0, 0.0);
  path.down.assign(bars ? n : 0, 0.0);
  const uint64_t key = asset_keys_[asset];
  for (int i = 0; bars && i < n; ++i) {
    path.up[i] = BridgeExtreme(x[2 * i], x[2 * i + 1], layout.body_variance,
                               Uniform(key, layout.level, layout.index,
                                       kUpDraw + static_cast<uint64_t>(i)));
    path.down[i] = BridgeExtreme(x[2 * i], x[2 * i + 1], layout.body_variance,
                                 Uniform(key, layout.level, layout.index,
                                         kDownDraw + static_cast<uint64_t>(i)));
  }
}

MarketModel::Layout MarketModel::HourLayout(int asset,
                                            int64_t day_start_ms) const {
  const double v = variance_per_ms_[asset];
  Layout layout;
  layout.count = 24;
  layout.kind = ChildKind::kBar;
  layout.body_variance = v * (kHourMs - kGapMs);
  layout.gap_variance = v * kGapMs;
  layout.level = kHourLevel;
  layout.index = day_start_ms / kDayMs;
  return layout;
}

MarketModel::Layout MarketModel::MinuteLayout(int asset,
                                              int64_t hour_start_ms) const {
  const double v = variance_per_ms_[asset];
  Layout layout;
  layout.count = 60;
  if (trades_per_minute_ >= 4) {
    layout.kind = ChildKind::kBar;
    layout.body_variance = v * (kMinuteMs - kGapMs);
    layout.gap_variance = v * kGapMs;
  } else if (trades_per_minute_ == 2) {
    layout.kind = ChildKind::kPair;
    layout.body_variance = layout.gap_variance = v * (kMinuteMs / 2);
  } else {
    layout.kind = ChildKind::kPoint;
    layout.body_variance = v * kMinuteMs;
  }
  layout.level = kMinuteLevel;
  layout.index = hour_start_ms / kHourMs;
  return layout;
}

std::pair<double, double> MarketModel::PathExtremes(const Path& path) {
  double top = path.x[0];
  double bottom = path.x[0];
  for (size_t k = 0; k < path.x.size(); ++k) {
    const double extra_up = path.up.empty() ? 0.0 : path.up[k / 2];
    const double extra_down = path.down.empty() ? 0.0 : path.down[k / 2];
    top = std::max(top, path.x[k] + extra_up);
    bottom = std::min(bottom, path.x[k] - extra_down);
  }
  return {top, bottom};
}

void MarketModel::ChildPrices(int asset, const Node& parent,
                              const Layout& layout, bool look_ahead,
                              std::vector<Node>& children,
                              std::vector<double>* mean_prices) const {
  const int n = layout.count;
  const bool bars = layout.kind == ChildKind::kBar;
  const bool points = layout.kind == ChildKind::kPoint;
  const int count = points ? n : 2 * n;
  const double open = std::log(static_cast<double>(parent.open));
  const double close = std::log(static_cast<double>(parent.close));
  const double high = std::log(static_cast<double>(parent.high));
  const double low = std::log(static_cast<double>(parent.low));
  thread_local Path path;
  UnconstrainedPath(asset, open, close, layout, path);
  std::vector<double>& x = path.x;
  const std::vector<double>& at = path.at;
  std::vector<double>& up = path.up;
  std::vector<double>& down = path.down;
  const bool need_high = parent.high > std::max(parent.open, parent.close);
  const bool need_low = parent.low < std::min(parent.open, parent.close);
  // Where the parent's high and low are reached: where the unconstrained
  // path peaks (a child's excursion, or an interior point).
  int high_host = -1;
  int low_host = -1;
  auto child_top = [&](int i) {
    return std::max(x[2 * i], x[2 * i + 1]) + up[i];
  };
  auto child_bottom = [&](int i) {
    return std::min(x[2 * i], x[2 * i + 1]) - down[i];
  };
  if (bars) {
    for (int i = 0; i < n; ++i) {
      if (need_high && (high_host < 0 || child_top(i) > child_top(high_host))) {
        high_host = i;
      }
      if (need_low &&
          (low_host < 0 || child_bottom(i) < child_bottom(low_host))) {
        low_host = i;
      }
    }
  } else {
    for (int k = 1; k + 1 < count; ++k) {
      if (need_high && (high_host < 0 || x[k] > x[high_host])) high_host = k;
    }
    for (int k = 1; k + 1 < count; ++k) {
      if (k == high_host) continue;
      if (need_low && (low_host < 0 || x[k] < x[low_host])) low_host = k;
    }
  }
  // Condition the bridge on reaching them: residuals at knots, linearly
  // interpolated (in variance time) between the knots and the fixed ends.
  struct Knot {
    int point;
    double residual;
  };
  std::vector<Knot> knots = {{0, 0.0}, {count - 1, 0.0}};
  auto add_child_knots = [&](int child, double residual) {
    for (int k : {2 * child, 2 * child + 1}) {
      if (k != 0 && k != count - 1) knots.push_back({k, residual});
    }
  };
  if (bars) {
    if (high_host >= 0 && high_host != low_host) {
      add_child_knots(high_host, high - child_top(high_host));
    }
    if (low_host >= 0 && high_host != low_host) {
      add_child_knots(low_host, low - child_bottom(low_host));
    }
  } else {
    if (high_host >= 0) knots.push_back({high_host, high - x[high_host]});
    if (low_host >= 0) knots.push_back({low_host, low - x[low_host]});
  }
  std::sort(knots.begin(), knots.end(),
            [](const Knot& a, const Knot& b) { return a.point < b.point; });
  size_t segment = 0;
  for (int k = 1; k + 1 < count; ++k) {
    while (knots[segment + 1].point < k) ++segment;
    const Knot& left = knots[segment];
    const Knot& right = knots[segment + 1];
    const double span = at[right.point] - at[left.point];
    const double t = span > 0 ? (at[k] - at[left.point]) / span : 0.0;
    x[k] += left.residual + (right.residual - left.residual) * t;
    x[k] = Fold(x[k], low, high);
  }
  // To ticks: monotone rounding keeps every order, the ends and the hosts
  // are exact.
  std::vector<int64_t> ticks(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    ticks[k] = std::clamp(TicksOf(x[k]), parent.low, parent.high);
  }
  ticks[0] = parent.open;
  ticks[count - 1] = parent.close;
  if (!bars) {
    if (high_host >= 0) ticks[high_host] = parent.high;
    if (low_host >= 0) ticks[low_host] = parent.low;
  }
  children.resize(static_cast<size_t>(n));
  // An hour's high and low are where its own minutes' unconstrained path
  // peaks (computed here as the minutes will compute it), so the minutes
  // reach them without a correction; only the hours hosting the day's high
  // and low are conditioned.
  if (mean_prices != nullptr) mean_prices->assign(static_cast<size_t>(n), 0.0);
  thread_local Path minute_path;
  for (int i = 0; i < n; ++i) {
    Node& child = children[i];
    if (look_ahead) {
      UnconstrainedPath(asset, std::log(static_cast<double>(ticks[2 * i])),
                        std::log(static_cast<double>(ticks[2 * i + 1])),
                        MinuteLayout(asset, (layout.index * 24 + i) * kHourMs),
                        minute_path);
      const auto [top, bottom] = PathExtremes(minute_path);
      up[i] = top - std::max(x[2 * i], x[2 * i + 1]);
      down[i] = std::min(x[2 * i], x[2 * i + 1]) - bottom;
      if (mean_prices != nullptr) {
        // The hour's average price, for its share of the quote volume.
        double sum = 0;
        for (double value : minute_path.x) sum += std::exp(value);
        (*mean_prices)[i] = sum / static_cast<double>(minute_path.x.size());
      }
    }
    if (points) {
      child.open = child.high = child.low = child.close = ticks[i];
      continue;
    }
    child.open = ticks[2 * i];
    child.close = ticks[2 * i + 1];
    child.high = std::max(child.open, child.close);
    child.low = std::min(child.open, child.close);
    if (!bars) continue;
    child.high = i == high_host
                     ? parent.high
                     : std::clamp(TicksOf(std::min(high, child_top(i))),
                                  child.high, parent.high);
    child.low = i == low_host
                    ? parent.low
                    : std::clamp(TicksOf(std::max(low, child_bottom(i))),
                                 parent.low, child.low);
  }
}

int64_t MarketModel::TakerTrades(int64_t first_minute, int64_t minutes) const {
  // Half of each minute's trades are taker buys; at one trade a minute,
  // those of even minutes.
  if (trades_per_minute_ >= 2) return minutes * (trades_per_minute_ / 2);
  const int64_t first_even = first_minute + (first_minute % 2 != 0 ? 1 : 0);
  return first_even >= first_minute + minutes
             ? 0
             : (first_minute + minutes - 1 - first_even) / 2 + 1;
}

void MarketModel::SplitVolumes(int asset, const Node& parent,
                               const Layout& layout, int64_t first_minute,
                               int64_t minutes_per_child,
                               const std::vector<double>& mean_prices,
                               std::vector<Node>& children) const {
  const int n = layout.count;
  const uint64_t key = asset_keys_[asset];
  const double unit_move = std::sqrt(std::max(layout.body_variance, 1e-18));
  std::vector<double> taker_weight(n);
  std::vector<double> maker_weight(n);
  std::vector<int64_t> taker_minimum(n);
  std::vector<int64_t> maker_minimum(n);
  std::vector<int64_t> taker(n);
  std::vector<int64_t> maker(n);
  for (int i = 0; i < n; ++i) {
    const Node& child = children[i];
    // Busier when the child moves more; buyers lead on the way up.
    const double range =
        std::log(static_cast<double>(child.high) / child.low) +
        0.5 * std::abs(std::log(static_cast<double>(child.close) / child.open));
    double activity =
        std::exp(0.35 * Gaussian(key, layout.level, layout.index,
                                 kVolumeDraw + static_cast<uint64_t>(i))) *
        (0.4 + 0.6 * range / unit_move);
    if (layout.level == kHourLevel) {
      // Hours of the day: busiest around 15:00 UTC.
      activity *= 1.0 + 0.3 * std::cos(2 * std::numbers::pi * (i - 15) / 24.0);
    }
    const double share = std::clamp(
        0.5 +
            0.06 * Gaussian(key, layout.level, layout.index,
                            kTakerDraw + static_cast<uint64_t>(i)) +
            0.1 * std::tanh(
                      std::log(static_cast<double>(child.close) / child.open) /
                      unit_move),
        0.15, 0.85);
    taker_weight[i] = activity * share;
    maker_weight[i] = activity * (1 - share);
    const int64_t child_minute = first_minute + i * minutes_per_child;
    const int64_t trades = minutes_per_child * trades_per_minute_;
    taker_minimum[i] = TakerTrades(child_minute, minutes_per_child);
    maker_minimum[i] = trades - taker_minimum[i];
    // A side without trades (one trade a minute) gets no volume.
    if (taker_minimum[i] == 0) taker_weight[i] = 0;
    if (maker_minimum[i] == 0) maker_weight[i] = 0;
  }
  SplitUnits(parent.taker_volume, taker_minimum.data(), taker_weight.data(), n,
             taker.data());
  SplitUnits(parent.maker_volume, maker_minimum.data(), maker_weight.data(), n,
             maker.data());
  std::vector<double> quote_weight(n);
  std::vector<__int128> quote(n);
  // Each child's average price: given, or the mean of its four prices.
  std::vector<double> price(n);
  for (int i = 0; i < n; ++i) {
    const Node& child = children[i];
    price[i] = mean_prices.empty() ? (static_cast<double>(child.open) +
                                      child.high + child.low + child.close) /
                                         4.0
                                   : mean_prices[i];
    quote_weight[i] = static_cast<double>(taker[i]) * price[i];
  }
  SplitWide(parent.taker_quote, quote_weight.data(), n, quote.data());
  for (int i = 0; i < n; ++i) {
    children[i].taker_volume = taker[i];
    children[i].taker_quote = quote[i];
    quote_weight[i] = static_cast<double>(maker[i]) * price[i];
  }
  SplitWide(parent.maker_quote, quote_weight.data(), n, quote.data());
  for (int i = 0; i < n; ++i) {
    children[i].maker_volume = maker[i];
    children[i].maker_quote = quote[i];
  }
}

void MarketModel::BuildAllDays() const {
  for (size_t i = 0; i < assets_.size(); ++i) {
    const int asset = static_cast<int>(i);
    std::call_once(days_built_[asset], [this, asset] { BuildDays(asset); });
  }
}

const MarketModel::Node* MarketModel::DayNode(int asset,
                                              int64_t day_start_ms) const {
  // Built on first use: a model usually serves a few of its assets.
  std::call_once(days_built_[asset], [this, asset] { BuildDays(asset); });
  const int64_t index = (day_start_ms - assets_[asset].listing_ms) / kDayMs;
  const std::vector<Node>& days = days_[asset];
  if (day_start_ms < assets_[asset].listing_ms ||
      index >= static_cast<int64_t>(days.size())) {
    return nullptr;
  }
  return &days[static_cast<size_t>(index)];
}

std::shared_ptr<const MarketModel::Children> MarketModel::HourNodes(
    int asset, int64_t day_start_ms) const {
  const Node* day = DayNode(asset, day_start_ms);
  if (day == nullptr) return nullptr;
  const uint64_t cache_key = (static_cast<uint64_t>(asset) << 40) |
                             static_cast<uint64_t>(day_start_ms / kDayMs);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = hour_cache_.find(cache_key);
    if (it != hour_cache_.end()) return it->second;
  }
  const Layout layout = HourLayout(asset, day_start_ms);
  children_built_.fetch_add(1, std::memory_order_relaxed);
  auto hours = std::make_shared<Children>();
  std::vector<double> mean_prices;
  ChildPrices(asset, *day, layout, /*look_ahead=*/true, *hours, &mean_prices);
  SplitVolumes(asset, *day, layout, day_start_ms / kMinuteMs, 60, mean_prices,
               *hours);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (hour_cache_.size() >= kMaxCachedChildren) hour_cache_.clear();
  hour_cache_.emplace(cache_key, hours);
  return hours;
}

std::shared_ptr<const MarketModel::Children> MarketModel::MinuteNodes(
    int asset, int64_t hour_start_ms) const {
  const int64_t day_start = FloorDiv(hour_start_ms, kDayMs) * kDayMs;
  std::shared_ptr<const Children> hours = HourNodes(asset, day_start);
  if (hours == nullptr) return nullptr;
  const uint64_t cache_key = (static_cast<uint64_t>(asset) << 40) |
                             static_cast<uint64_t>(hour_start_ms / kHourMs);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = minute_cache_.find(cache_key);
    if (it != minute_cache_.end()) return it->second;
  }
  const Node& hour = (*hours)[(hour_start_ms - day_start) / kHourMs];
  const Layout layout = MinuteLayout(asset, hour_start_ms);
  children_built_.fetch_add(1, std::memory_order_relaxed);
  auto minutes = std::make_shared<Children>();
  ChildPrices(asset, hour, layout, /*look_ahead=*/false, *minutes, nullptr);
  SplitVolumes(asset, hour, layout, hour_start_ms / kMinuteMs, 1, {}, *minutes);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (minute_cache_.size() >= kMaxCachedChildren) minute_cache_.clear();
  minute_cache_.emplace(cache_key, minutes);
  return minutes;
}

int64_t MarketModel::FirstTradeId(int64_t minute_start_ms) const {
  return (minute_start_ms - kFirstKlineMs) / kMinuteMs * kGridStepsPerMinute +
         1;
}

int64_t MarketModel::TradeTime(int asset, int64_t minute_start_ms,
                               int64_t j) const {
  return minute_start_ms +
         (j * kMinuteMs + trade_phases_[asset]) / trades_per_minute_;
}

std::vector<Trade> MarketModel::GenerateTrades(int asset,
                                               int64_t minute_start_ms,
                                               const Node& minute) const {
  const int tpm = trades_per_minute_;
  const int coarse = std::min(tpm, kCoarseTradesPerMinute);
  const int64_t minute_number = minute_start_ms / kMinuteMs;
  const double v = variance_per_ms_[asset];
  // The coarse trades (every tick rate's first 64 grid points) hit the
  // minute's open, high, low and close.
  std::vector<Node> coarse_points;
  Layout layout;
  layout.count = coarse;
  layout.kind = ChildKind::kPoint;
  layout.body_variance = v * (static_cast<double>(kMinuteMs) / coarse);
  layout.level = kTradeLevel;
  layout.index = minute_number;
  ChildPrices(asset, minute, layout, /*look_ahead=*/false, coarse_points,
              nullptr);
  std::vector<int64_t> prices(static_cast<size_t>(tpm));
  const int ratio = tpm / coarse;
  for (int c = 0; c < coarse; ++c) prices[c * ratio] = coarse_points[c].open;
  if (ratio > 1) {
    // Faster rates: bridges between consecutive coarse trades (after the
    // last one, back to the close), inside the minute's range.
    const double low = std::log(static_cast<double>(minute.low));
    const double high = std::log(static_cast<double>(minute.high));
    const double step_sd = std::sqrt(v * kMinuteMs / tpm);
    for (int c = 0; c < coarse; ++c) {
      const int from = c * ratio;
      const int to = c + 1 < coarse ? from + ratio : tpm - 1;
      const double a = std::log(static_cast<double>(prices[from]));
      const double b = std::log(static_cast<double>(
          c + 1 < coarse ? coarse_points[c + 1].open : minute.close));
      double previous = a;
      for (int j = from + 1; j < to; ++j) {
        const double remaining = to - (j - 1);
        const double mean = previous + (b - previous) / remaining;
        const double sd = step_sd * std::sqrt((remaining - 1) / remaining);
        previous = mean + sd * Innovation(asset, kFineTradeLevel, minute_number,
                                          static_cast<uint64_t>(j));
        prices[j] = std::clamp(TicksOf(Fold(previous, low, high)), minute.low,
                               minute.high);
      }
    }
    prices[tpm - 1] = minute.close;
  }
  // Taker buys: one trade of each pair (at one trade a minute, even
  // minutes), their quantities a split of the minute's taker volume.
  std::vector<Trade> trades(static_cast<size_t>(tpm));
  const int64_t step = kGridStepsPerMinute / tpm;
  const int64_t first_id = FirstTradeId(minute_start_ms);
  const uint64_t key = asset_keys_[asset];
  std::vector<int> taker_index;
  std::vector<int> maker_index;
  for (int j = 0; j < tpm; ++j) {
    Trade& trade = trades[j];
    trade.id = first_id + j * step;
    trade.time_ms = TradeTime(asset, minute_start_ms, j);
    trade.price_ticks = prices[j];
    if (tpm == 1) {
      trade.buyer_is_maker = minute_number % 2 != 0;
    } else {
      const bool second_is_taker =
          (Mix(seed_ ^ Mix(key ^ static_cast<uint64_t>(first_id +
                                                       (j / 2) * 2 * step))) &
           1) != 0;
      trade.buyer_is_maker = (j % 2 == 1) != second_is_taker;
    }
    (trade.buyer_is_maker ? maker_index : taker_index).push_back(j);
  }
  auto split_side = [&](const std::vector<int>& side, int64_t volume,
                        __int128 quote) {
    const int count = static_cast<int>(side.size());
    if (count == 0) return;
    std::vector<double> weight(count);
    std::vector<int64_t> minimum(count, 1);
    std::vector<int64_t> units(count);
    for (int s = 0; s < count; ++s) {
      weight[s] = 0.25 + 1.5 * Uniform(key, kTradeLevel, trades[side[s]].id,
                                       kVolumeDraw);
    }
    SplitUnits(volume, minimum.data(), weight.data(), count, units.data());
    std::vector<__int128> amounts(count);
    for (int s = 0; s < count; ++s) {
      trades[side[s]].quantity_units = units[s];
      weight[s] = static_cast<double>(units[s]) *
                  static_cast<double>(trades[side[s]].price_ticks);
    }
    SplitWide(quote, weight.data(), count, amounts.data());
    for (int s = 0; s < count; ++s) trades[side[s]].quote_amount = amounts[s];
  };
  split_side(taker_index, minute.taker_volume, minute.taker_quote);
  split_side(maker_index, minute.maker_volume, minute.maker_quote);
  return trades;
}

double MarketModel::PriceAtGridStep(int asset, int64_t grid_step) const {
  const int64_t minute_offset = FloorDiv(grid_step, kGridStepsPerMinute);
  const int64_t minute = kAnchorMs + minute_offset * kMinuteMs;
  const std::vector<Trade> trades = TradesInMinute(asset, minute);
  if (trades.empty()) return 0;
  const int64_t within = grid_step - minute_offset * kGridStepsPerMinute;
  const int64_t index = within / (kGridStepsPerMinute / trades_per_minute_);
  return static_cast<double>(trades[static_cast<size_t>(index)].price_ticks) /
         static_cast<double>(Pow10(assets_[asset].price_decimals));
}

std::vector<Trade> MarketModel::TradesInMinute(int asset,
                                               int64_t minute_start_ms) const {
  if (minute_start_ms < assets_[asset].listing_ms ||
      minute_start_ms >= kLastModelMs || minute_start_ms % kMinuteMs != 0) {
    return {};
  }
  const int64_t hour_start = minute_start_ms / kHourMs * kHourMs;
  std::shared_ptr<const Children> minutes = MinuteNodes(asset, hour_start);
  if (minutes == nullptr) return {};
  return GenerateTrades(asset, minute_start_ms,
                        (*minutes)[(minute_start_ms - hour_start) / kMinuteMs]);
}

int64_t MarketModel::NextTradeTimeAfter(int asset, int64_t time_ms) const {
  // Trade j of minute m is at m + floor((j * kMinuteMs + phase) / tpm), which
  // is > time_ms exactly when j * kMinuteMs + phase >= (offset + 1) * tpm.
  const int64_t phase = trade_phases_[asset];
  const int64_t tpm = trades_per_minute_;
  const int64_t clamped =
      std::clamp(time_ms, assets_[asset].listing_ms - 1, kLastModelMs);
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

Bar MarketModel::NodeBar(const Node& node, int64_t open_ms,
                         int64_t minutes) const {
  Bar bar;
  bar.open_time_ms = open_ms;
  bar.open_ticks = node.open;
  bar.high_ticks = node.high;
  bar.low_ticks = node.low;
  bar.close_ticks = node.close;
  bar.volume_units = node.taker_volume + node.maker_volume;
  bar.quote_volume = node.taker_quote + node.maker_quote;
  bar.taker_buy_volume_units = node.taker_volume;
  bar.taker_buy_quote_volume = node.taker_quote;
  bar.trade_count = minutes * trades_per_minute_;
  bar.first_trade_id = FirstTradeId(open_ms);
  const int64_t last_minute = open_ms + (minutes - 1) * kMinuteMs;
  bar.last_trade_id =
      FirstTradeId(last_minute) +
      (trades_per_minute_ - 1) * (kGridStepsPerMinute / trades_per_minute_);
  bar.last_trade_time_ms = 0;  // set by the caller, which knows the asset
  return bar;
}

Bar MarketModel::Aggregate(int asset, int64_t open_ms, int64_t width_ms,
                           int64_t now_ms) const {
  Bar total;
  total.open_time_ms = open_ms;
  const int64_t begin = std::max(open_ms, assets_[asset].listing_ms);
  const int64_t end = std::min({open_ms + width_ms, now_ms + 1, kLastModelMs});
  if (begin >= end) return total;
  auto add_trades = [&](int64_t from, int64_t to) {
    const int64_t minute = FloorDiv(from, kMinuteMs) * kMinuteMs;
    Bar part;
    part.open_time_ms = minute;
    for (const Trade& trade : TradesInMinute(asset, minute)) {
      if (trade.time_ms >= from && trade.time_ms < to) part.Add(trade);
    }
    total.Merge(part);
  };
  int64_t t = begin;
  if (t % kMinuteMs != 0) {
    const int64_t next = FloorDiv(t, kMinuteMs) * kMinuteMs + kMinuteMs;
    add_trades(t, std::min(end, next));
    t = next;
  }
  // Whole days, hours and minutes up to the minute holding now_ms, which
  // comes from its trades.
  const int64_t whole_end =
      std::min(FloorDiv(end, kMinuteMs), FloorDiv(now_ms, kMinuteMs)) *
      kMinuteMs;
  auto add_node = [&](const Node& node, int64_t minutes) {
    Bar bar = NodeBar(node, t, minutes);
    bar.last_trade_time_ms =
        TradeTime(asset, t + (minutes - 1) * kMinuteMs, trades_per_minute_ - 1);
    total.Merge(bar);
  };
  std::shared_ptr<const Children> hours;
  int64_t hours_day = -1;
  std::shared_ptr<const Children> minutes;
  int64_t minutes_hour = -1;
  while (t < whole_end) {
    if (t % kDayMs == 0 && t + kDayMs <= whole_end) {
      const Node* day = DayNode(asset, t);
      if (day == nullptr) break;
      add_node(*day, 1440);
      t += kDayMs;
      continue;
    }
    if (t % kHourMs == 0 && t + kHourMs <= whole_end) {
      const int64_t day = FloorDiv(t, kDayMs) * kDayMs;
      if (day != hours_day) {
        hours = HourNodes(asset, day);
        hours_day = day;
      }
      if (hours == nullptr) break;
      add_node((*hours)[(t - day) / kHourMs], 60);
      t += kHourMs;
      continue;
    }
    const int64_t hour = FloorDiv(t, kHourMs) * kHourMs;
    if (hour != minutes_hour) {
      minutes = MinuteNodes(asset, hour);
      minutes_hour = hour;
    }
    if (minutes == nullptr) break;
    add_node((*minutes)[(t - hour) / kMinuteMs], 1);
    t += kMinuteMs;
  }
  while (t < end) {
    const int64_t next = FloorDiv(t, kMinuteMs) * kMinuteMs + kMinuteMs;
    add_trades(t, std::min(end, next));
    t = next;
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
