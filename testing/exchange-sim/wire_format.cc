#include "testing/exchange-sim/wire_format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "services/common/clock.h"

namespace cryptotracker::exchange_sim {
namespace {

// Binance pads every price and quantity to eight fractional digits.
constexpr int kBinanceDecimals = 8;

std::string Quoted(std::string_view text) {
  // Only simulator-controlled identifiers and names reach here; escape the
  // two characters JSON requires anyway.
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A JSON number for CoinGecko: at most `significant` significant digits,
// integers without a fraction. CoinGecko's numbers are floats on its side
// too, so this is faithful to the source.
std::string Number(double value, int significant = 10) {
  if (!std::isfinite(value)) return "null";
  char buffer[64];
  if (std::fabs(value) >= 1e15 || std::nearbyint(value) == value) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.*g", significant, value);
  }
  return buffer;
}

int64_t AlignDown(int64_t time_ms, int64_t width_ms) {
  int64_t q = time_ms / width_ms;
  if (time_ms % width_ms != 0 && time_ms < 0) --q;
  return q * width_ms;
}

void AppendInteger(int64_t value, std::string& out) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, end);
}

// "123.45000000": units * 10^-scale, at least kBinanceDecimals fractional
// digits, in quotes.
void AppendQuotedDecimal(__int128 units, int scale, std::string& out) {
  char digits[48];
  int length = 0;
  const bool negative = units < 0;
  unsigned __int128 magnitude =
      negative ? static_cast<unsigned __int128>(-(units + 1)) + 1
               : static_cast<unsigned __int128>(units);
  // Digits from the least significant; 64-bit division while it fits (an
  // __int128 division is a library call).
  while (magnitude > std::numeric_limits<uint64_t>::max()) {
    digits[length++] =
        static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  }
  uint64_t small = static_cast<uint64_t>(magnitude);
  static constexpr char kPairs[] =
      "000102030405060708091011121314151617181920212223242526272829303132333435"
      "36"
      "373839404142434445464748495051525354555657585960616263646566676869707172"
      "73"
      "7475767778798081828384858687888990919293949596979899";
  while (small >= 100) {
    const uint64_t pair = small % 100;
    small /= 100;
    digits[length++] = kPairs[2 * pair + 1];
    digits[length++] = kPairs[2 * pair];
  }
  do {
    digits[length++] = static_cast<char>('0' + small % 10);
    small /= 10;
  } while (small > 0);
  while (length <= scale) digits[length++] = '0';
  // Composed in a local buffer and appended once.
  char text[64];
  int size = 0;
  text[size++] = '"';
  if (negative) text[size++] = '-';
  for (int i = length - 1; i >= scale; --i) text[size++] = digits[i];
  text[size++] = '.';
  for (int i = scale - 1; i >= 0; --i) text[size++] = digits[i];
  for (int i = scale; i < kBinanceDecimals; ++i) text[size++] = '0';
  text[size++] = '"';
  out.append(text, static_cast<size_t>(size));
}

double ToDouble(int64_t units, int scale) {
  return static_cast<double>(units) / std::pow(10.0, scale);
}

}  // namespace

std::optional<int64_t> BinanceIntervalMillis(std::string_view name) {
  struct Entry {
    std::string_view name;
    int64_t millis;
  };
  static constexpr Entry kIntervals[] = {
      {"1m", 60'000},     {"3m", 180'000},     {"5m", 300'000},
      {"15m", 900'000},   {"30m", 1'800'000},  {"1h", 3'600'000},
      {"2h", 7'200'000},  {"4h", 14'400'000},  {"6h", 21'600'000},
      {"8h", 28'800'000}, {"12h", 43'200'000}, {"1d", 86'400'000},
  };
  for (const Entry& entry : kIntervals) {
    if (entry.name == name) return entry.millis;
  }
  return std::nullopt;
}

std::string PriceText(const AssetSpec& asset, int64_t ticks) {
  return FixedPoint{ticks, asset.price_decimals}.ToString(kBinanceDecimals);
}

std::string QuantityText(const AssetSpec& asset, int64_t units) {
  return FixedPoint{units, asset.quantity_decimals}.ToString(kBinanceDecimals);
}

std::string QuoteText(const AssetSpec& asset, __int128 amount) {
  return FixedPoint{amount, asset.price_decimals + asset.quantity_decimals}
      .ToString(kBinanceDecimals);
}

std::string KlineRow(const AssetSpec& asset, const Bar& bar, int64_t width_ms) {
  std::string row;
  AppendKlineRow(asset, bar, width_ms, row);
  return row;
}

void AppendKlineRow(const AssetSpec& asset, const Bar& bar, int64_t width_ms,
                    std::string& out) {
  // Written straight into the body: a year of hourly history is thousands
  // of rows per request.
  const int price_scale = asset.price_decimals;
  const int quantity_scale = asset.quantity_decimals;
  const int quote_scale = price_scale + quantity_scale;
  out += '[';
  AppendInteger(bar.open_time_ms, out);
  out += ',';
  AppendQuotedDecimal(bar.open_ticks, price_scale, out);
  out += ',';
  AppendQuotedDecimal(bar.high_ticks, price_scale, out);
  out += ',';
  AppendQuotedDecimal(bar.low_ticks, price_scale, out);
  out += ',';
  AppendQuotedDecimal(bar.close_ticks, price_scale, out);
  out += ',';
  AppendQuotedDecimal(bar.volume_units, quantity_scale, out);
  out += ',';
  AppendInteger(bar.open_time_ms + width_ms - 1, out);
  out += ',';
  AppendQuotedDecimal(bar.quote_volume, quote_scale, out);
  out += ',';
  AppendInteger(bar.trade_count, out);
  out += ',';
  AppendQuotedDecimal(bar.taker_buy_volume_units, quantity_scale, out);
  out += ',';
  AppendQuotedDecimal(bar.taker_buy_quote_volume, quote_scale, out);
  out += ",\"0\"]";
}

std::string KlinesBody(const MarketModel& model, int asset, int64_t width_ms,
                       std::optional<int64_t> start_ms,
                       std::optional<int64_t> end_ms, int64_t limit,
                       int64_t now_ms) {
  const int64_t current_open = AlignDown(now_ms, width_ms);
  int64_t last_open = current_open;
  if (end_ms.has_value()) {
    last_open = std::min(last_open, AlignDown(*end_ms, width_ms));
  }
  int64_t first_open;
  if (start_ms.has_value()) {
    // Klines that open at or after startTime.
    first_open = AlignDown(*start_ms + width_ms - 1, width_ms);
  } else {
    first_open = last_open - (limit - 1) * width_ms;
  }
  // Like the exchange, nothing before the pair's listing: a startTime
  // before it starts at the first kline.
  first_open = std::max(
      first_open, AlignDown(model.ListingMs(asset) + width_ms - 1, width_ms));
  const AssetSpec& spec = model.asset(asset);
  std::string body = "[";
  const int64_t rows_wanted =
      first_open > last_open
          ? 0
          : std::min(limit, (last_open - first_open) / width_ms + 1);
  body.reserve(static_cast<size_t>(rows_wanted) * 180 + 2);
  int64_t rows = 0;
  for (int64_t open = first_open; open <= last_open && rows < limit;
       open += width_ms) {
    const Bar bar = model.Aggregate(asset, open, width_ms, now_ms);
    if (bar.empty()) continue;
    if (rows > 0) body += ',';
    AppendKlineRow(spec, bar, width_ms, body);
    ++rows;
  }
  body += ']';
  return body;
}

std::string BinanceError(int code, std::string_view message) {
  return "{\"code\":" + std::to_string(code) + ",\"msg\":" + Quoted(message) +
         "}";
}

std::string Ticker24h(const AssetSpec& asset, const Bar& window,
                      int64_t prev_close_ticks, int64_t open_time_ms,
                      int64_t close_time_ms) {
  const int64_t change = window.close_ticks - window.open_ticks;
  // Percent with three decimals, rounded half away from zero.
  const __int128 scaled = static_cast<__int128>(change) * 100'000;
  __int128 percent_milli =
      window.open_ticks == 0 ? 0 : scaled / window.open_ticks;
  const __int128 remainder =
      window.open_ticks == 0 ? 0 : scaled % window.open_ticks;
  if (2 * (remainder < 0 ? -remainder : remainder) >= window.open_ticks &&
      window.open_ticks != 0) {
    percent_milli += change < 0 ? -1 : 1;
  }
  // Volume-weighted average price at eight decimals.
  const int quote_scale = asset.price_decimals + asset.quantity_decimals;
  __int128 weighted = 0;
  if (window.volume_units > 0) {
    __int128 numerator = window.quote_volume;
    for (int i = 0;
         i < kBinanceDecimals + asset.quantity_decimals - quote_scale; ++i) {
      numerator *= 10;
    }
    weighted = numerator / window.volume_units;
  }
  const int64_t bid = std::max<int64_t>(1, window.close_ticks - 1);
  std::string json = "{";
  json += "\"symbol\":" + Quoted(asset.pair);
  json += ",\"priceChange\":" + Quoted(PriceText(asset, change));
  json += ",\"priceChangePercent\":" +
          Quoted(FixedPoint{percent_milli, 3}.ToString());
  json += ",\"weightedAvgPrice\":" +
          Quoted(FixedPoint{weighted, kBinanceDecimals}.ToString());
  json += ",\"prevClosePrice\":" + Quoted(PriceText(asset, prev_close_ticks));
  json += ",\"lastPrice\":" + Quoted(PriceText(asset, window.close_ticks));
  json +=
      ",\"lastQty\":" + Quoted(QuantityText(asset, window.last_quantity_units));
  json += ",\"bidPrice\":" + Quoted(PriceText(asset, bid));
  json += ",\"bidQty\":" +
          Quoted(QuantityText(asset, window.last_quantity_units * 3 + 1));
  json += ",\"askPrice\":" + Quoted(PriceText(asset, window.close_ticks));
  json += ",\"askQty\":" +
          Quoted(QuantityText(asset, window.last_quantity_units * 2 + 1));
  json += ",\"openPrice\":" + Quoted(PriceText(asset, window.open_ticks));
  json += ",\"highPrice\":" + Quoted(PriceText(asset, window.high_ticks));
  json += ",\"lowPrice\":" + Quoted(PriceText(asset, window.low_ticks));
  json += ",\"volume\":" + Quoted(QuantityText(asset, window.volume_units));
  json += ",\"quoteVolume\":" + Quoted(QuoteText(asset, window.quote_volume));
  json += ",\"openTime\":" + std::to_string(open_time_ms);
  json += ",\"closeTime\":" + std::to_string(close_time_ms);
  json += ",\"firstId\":" + std::to_string(window.first_trade_id);
  json += ",\"lastId\":" + std::to_string(window.last_trade_id);
  json += ",\"count\":" + std::to_string(window.trade_count);
  json += "}";
  return json;
}

std::string TradeEvent(const AssetSpec& asset, const Trade& trade,
                       int64_t event_time_ms) {
  std::string json = "{\"e\":\"trade\",\"E\":" + std::to_string(event_time_ms);
  json += ",\"s\":" + Quoted(asset.pair);
  json += ",\"t\":" + std::to_string(trade.id);
  json += ",\"p\":" + Quoted(PriceText(asset, trade.price_ticks));
  json += ",\"q\":" + Quoted(QuantityText(asset, trade.quantity_units));
  json += ",\"T\":" + std::to_string(trade.time_ms);
  json += trade.buyer_is_maker ? ",\"m\":true" : ",\"m\":false";
  json += ",\"M\":true}";
  return json;
}

std::string KlineEvent(const AssetSpec& asset, const Bar& bar,
                       std::string_view interval_name, int64_t width_ms,
                       bool closed, int64_t event_time_ms) {
  std::string json = "{\"e\":\"kline\",\"E\":" + std::to_string(event_time_ms);
  json += ",\"s\":" + Quoted(asset.pair);
  json += ",\"k\":{\"t\":" + std::to_string(bar.open_time_ms);
  json += ",\"T\":" + std::to_string(bar.open_time_ms + width_ms - 1);
  json += ",\"s\":" + Quoted(asset.pair);
  json += ",\"i\":" + Quoted(interval_name);
  json += ",\"f\":" + std::to_string(bar.first_trade_id);
  json += ",\"L\":" + std::to_string(bar.last_trade_id);
  json += ",\"o\":" + Quoted(PriceText(asset, bar.open_ticks));
  json += ",\"c\":" + Quoted(PriceText(asset, bar.close_ticks));
  json += ",\"h\":" + Quoted(PriceText(asset, bar.high_ticks));
  json += ",\"l\":" + Quoted(PriceText(asset, bar.low_ticks));
  json += ",\"v\":" + Quoted(QuantityText(asset, bar.volume_units));
  json += ",\"n\":" + std::to_string(bar.trade_count);
  json += closed ? ",\"x\":true" : ",\"x\":false";
  json += ",\"q\":" + Quoted(QuoteText(asset, bar.quote_volume));
  json += ",\"V\":" + Quoted(QuantityText(asset, bar.taker_buy_volume_units));
  json += ",\"Q\":" + Quoted(QuoteText(asset, bar.taker_buy_quote_volume));
  json += ",\"B\":\"0\"}}";
  return json;
}

std::string MiniTickerEvent(const AssetSpec& asset, const Bar& window,
                            int64_t event_time_ms) {
  std::string json =
      "{\"e\":\"24hrMiniTicker\",\"E\":" + std::to_string(event_time_ms);
  json += ",\"s\":" + Quoted(asset.pair);
  json += ",\"c\":" + Quoted(PriceText(asset, window.close_ticks));
  json += ",\"o\":" + Quoted(PriceText(asset, window.open_ticks));
  json += ",\"h\":" + Quoted(PriceText(asset, window.high_ticks));
  json += ",\"l\":" + Quoted(PriceText(asset, window.low_ticks));
  json += ",\"v\":" + Quoted(QuantityText(asset, window.volume_units));
  json += ",\"q\":" + Quoted(QuoteText(asset, window.quote_volume));
  json += "}";
  return json;
}

std::string CombinedEnvelope(std::string_view stream, std::string_view data) {
  std::string json = "{\"stream\":";
  json += Quoted(stream);
  json += ",\"data\":";
  json += data;
  json += "}";
  return json;
}

std::string StreamName(const AssetSpec& asset, std::string_view kind) {
  std::string name = asset.pair;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  name += "@";
  name += kind;
  return name;
}

std::string CoinMarket(const AssetSpec& asset, const Bar& window,
                       double quote_usd, int rank, int64_t now_ms) {
  const double scale = 1.0 / quote_usd;
  const double price =
      ToDouble(window.close_ticks, asset.price_decimals) * scale;
  const double open = ToDouble(window.open_ticks, asset.price_decimals) * scale;
  const double high = ToDouble(window.high_ticks, asset.price_decimals) * scale;
  const double low = ToDouble(window.low_ticks, asset.price_decimals) * scale;
  const double volume =
      static_cast<double>(window.quote_volume) /
      std::pow(10.0, asset.price_decimals + asset.quantity_decimals) * scale;
  const double supply = asset.circulating_supply;
  const double total_supply =
      asset.max_supply > 0 ? asset.max_supply : asset.circulating_supply;
  const double change = price - open;
  const double change_percent = open > 0 ? change / open * 100.0 : 0.0;
  const double ath = std::max(high, asset.start_price * 1.35 * scale);
  const double atl = asset.start_price * 0.004 * scale;
  std::string json = "{";
  json += "\"id\":" + Quoted(asset.coingecko_id);
  std::string symbol = asset.base;
  std::transform(
      symbol.begin(), symbol.end(), symbol.begin(),
      [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  json += ",\"symbol\":" + Quoted(symbol);
  json += ",\"name\":" + Quoted(asset.name);
  json += ",\"image\":" + Quoted(asset.image_url);
  json += ",\"current_price\":" + Number(price);
  json += ",\"market_cap\":" + Number(std::round(price * supply));
  json += ",\"market_cap_rank\":" + std::to_string(rank);
  json += ",\"fully_diluted_valuation\":" +
          Number(std::round(price * total_supply));
  json += ",\"total_volume\":" + Number(std::round(volume));
  json += ",\"high_24h\":" + Number(high);
  json += ",\"low_24h\":" + Number(low);
  json += ",\"price_change_24h\":" + Number(change, 8);
  json += ",\"price_change_percentage_24h\":" + Number(change_percent, 6);
  json += ",\"market_cap_change_24h\":" + Number(std::round(change * supply));
  json += ",\"market_cap_change_percentage_24h\":" + Number(change_percent, 6);
  json += ",\"circulating_supply\":" + Number(supply);
  json += ",\"total_supply\":" + Number(total_supply);
  json += ",\"max_supply\":" +
          (asset.max_supply > 0 ? Number(asset.max_supply) : "null");
  json += ",\"ath\":" + Number(ath);
  json += ",\"ath_change_percentage\":" + Number((price / ath - 1) * 100, 6);
  json += ",\"ath_date\":\"2024-12-17T15:02:41.429Z\"";
  json += ",\"atl\":" + Number(atl);
  json += ",\"atl_change_percentage\":" + Number((price / atl - 1) * 100, 8);
  json += ",\"atl_date\":\"2017-10-20T00:00:00.000Z\"";
  json += ",\"roi\":null";
  json += ",\"last_updated\":" + Quoted(IsoTimestamp(now_ms));
  json += "}";
  return json;
}

std::string CoinGeckoError(std::string_view message) {
  return "{\"error\":" + Quoted(message) + "}";
}

std::string IsoTimestamp(int64_t time_ms) {
  return common::Rfc3339Millis(time_ms);
}

}  // namespace cryptotracker::exchange_sim
