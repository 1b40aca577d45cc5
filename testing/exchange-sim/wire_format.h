// JSON documents in the exact shapes of Binance spot market data and of
// CoinGecko's /coins/markets, rendered from the market model.
//
// Binance sends prices and quantities as decimal strings padded to eight
// fractional digits ("93512.34000000") and times and ids as integers;
// CoinGecko sends plain JSON numbers. The strings are produced from exact
// integers (ticks and lots), never from a float.
#ifndef CRYPTOTRACKER_TESTING_EXCHANGE_SIM_WIRE_FORMAT_H_
#define CRYPTOTRACKER_TESTING_EXCHANGE_SIM_WIRE_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/exchange-sim/market_model.h"

namespace cryptotracker::exchange_sim {

// Binance kline intervals the simulator serves and their widths:
// 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d. std::nullopt for anything else.
std::optional<int64_t> BinanceIntervalMillis(std::string_view name);

// Price, quantity and quote amounts of one asset as Binance strings.
std::string PriceText(const AssetSpec& asset, int64_t ticks);
std::string QuantityText(const AssetSpec& asset, int64_t units);
std::string QuoteText(const AssetSpec& asset, __int128 amount);

// One row of GET /api/v3/klines (a 12-element array).
std::string KlineRow(const AssetSpec& asset, const Bar& bar, int64_t width_ms);
void AppendKlineRow(const AssetSpec& asset, const Bar& bar, int64_t width_ms,
                    std::string& out);

// The body of GET /api/v3/klines as the exchange answers it: klines of
// `width_ms` in ascending open time, at most `limit`; those opening at or
// after `start_ms` when given (from the pair's listing when that is
// earlier), else the `limit` most recent ones up to the kline holding
// `end_ms` (default now). The kline now forming is partial, as on the
// exchange.
std::string KlinesBody(const MarketModel& model, int asset, int64_t width_ms,
                       std::optional<int64_t> start_ms,
                       std::optional<int64_t> end_ms, int64_t limit,
                       int64_t now_ms);

// {"code":-1121,"msg":"Invalid symbol."}
std::string BinanceError(int code, std::string_view message);

// GET /api/v3/ticker/24hr for one symbol. `window` aggregates the trades of
// [open_time_ms, close_time_ms]; `prev_close_ticks` is the last price
// before it (0 when unknown).
std::string Ticker24h(const AssetSpec& asset, const Bar& window,
                      int64_t prev_close_ticks, int64_t open_time_ms,
                      int64_t close_time_ms);

// WebSocket event payloads (the "data" of a combined stream).
std::string TradeEvent(const AssetSpec& asset, const Trade& trade,
                       int64_t event_time_ms);
std::string KlineEvent(const AssetSpec& asset, const Bar& bar,
                       std::string_view interval_name, int64_t width_ms,
                       bool closed, int64_t event_time_ms);
std::string MiniTickerEvent(const AssetSpec& asset, const Bar& window,
                            int64_t event_time_ms);
// {"stream":"btcusdt@trade","data":<data>}
std::string CombinedEnvelope(std::string_view stream, std::string_view data);

// "btcusdt@trade" style stream names for a pair.
std::string StreamName(const AssetSpec& asset, std::string_view kind);

// One element of CoinGecko's /coins/markets in the quote currency whose USDT
// price is `quote_usd` (1 for usd). `window` is the asset's 24-hour window,
// `rank` its market-cap rank, `now_ms` the time of the data.
std::string CoinMarket(const AssetSpec& asset, const Bar& window,
                       double quote_usd, int rank, int64_t now_ms);

// {"error":"..."}: CoinGecko's error body.
std::string CoinGeckoError(std::string_view message);

// "2024-04-07T16:49:31.736Z".
std::string IsoTimestamp(int64_t time_ms);

}  // namespace cryptotracker::exchange_sim

#endif  // CRYPTOTRACKER_TESTING_EXCHANGE_SIM_WIRE_FORMAT_H_
