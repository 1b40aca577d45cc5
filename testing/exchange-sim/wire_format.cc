#include "testing/exchange-sim/wire_format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

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
  std::string row = "[";
  row += std::to_string(bar.open_time_ms);
  row += "," + Quoted(PriceText(asset, bar.open_ticks));
  row += "," + Quoted(PriceText(asset, bar.high_ticks));
  row += "," + Quoted(PriceText(asset, bar.low_ticks));
  row += "," + Quoted(PriceText(asset, bar.close_ticks));
  row += "," + Quoted(QuantityText(asset, bar.volume_units));
  row += "," + std::to_string(bar.open_time_ms + width_ms - 1);
  row += "," + Quoted(QuoteText(asset, bar.quote_volume));
  row += "," + std::to_string(bar.trade_count);
  row += "," + Quoted(QuantityText(asset, bar.taker_buy_volume_units));
  row += "," + Quoted(QuoteText(asset, bar.taker_buy_quote_volume));
  row += ",\"0\"]";
  return row;
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
