// Parsers for Binance spot market-data payloads (REST and WebSocket).
//
// Binance sends every price and quantity as a JSON string holding an exact
// decimal ("0.01634790"); those strings go straight into Decimal::Parse, so
// no value ever passes through a double. Integers (times, ids, counts) are
// JSON numbers. Unknown extra fields are ignored, as Binance adds fields
// over time; missing documented fields, wrong types and implausible values
// are errors (see parse_result.h for the reasons).
#ifndef CRYPTOTRACKER_PRICING_PARSERS_BINANCE_PARSE_H_
#define CRYPTOTRACKER_PRICING_PARSERS_BINANCE_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "services/common/decimal.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/parsers/parse_result.h"

namespace cryptotracker::pricing::parsers {

// One row of GET /api/v3/klines: a 12-element array
//   [open time, "open", "high", "low", "close", "volume", close time,
//    "quote asset volume", number of trades, "taker buy base volume",
//    "taker buy quote volume", "ignore"].
// Binance's close time is inclusive: open time + interval - 1 ms.
struct Kline {
  int64_t open_time_ms = 0;
  common::Decimal open;
  common::Decimal high;
  common::Decimal low;
  common::Decimal close;
  common::Decimal volume;
  int64_t close_time_ms = 0;
  common::Decimal quote_volume;
  int64_t trade_count = 0;
  common::Decimal taker_buy_base_volume;
  common::Decimal taker_buy_quote_volume;
};

// The body of GET /api/v3/klines: an array of rows. A row that is not a
// 12-element array, has a bad value, high < low, open or close outside
// [low, high], or close time <= open time is rejected on its own.
ParseResult<Batch<Kline>> ParseKlines(std::string_view body);

// A REST kline as a candle of the interval the caller requested. It is
// closed when `now_ms` is past its inclusive close time (the last row of a
// klines response is usually the candle still forming).
domain::Candle KlineToCandle(const Kline& kline, std::string symbol,
                             domain::Interval interval, int64_t now_ms);

// WebSocket "<symbol>@trade" event: {"e":"trade","E":..,"s":..,"t":..,
// "p":..,"q":..,"T":..,"m":..}.
struct TradeEvent {
  int64_t event_time_ms = 0;    // "E"
  std::string symbol;           // "s"
  int64_t trade_id = 0;         // "t"
  common::Decimal price;        // "p", positive
  common::Decimal quantity;     // "q", positive
  int64_t trade_time_ms = 0;    // "T"
  bool buyer_is_maker = false;  // "m"
};

// The trade as an aggregator tick (trade time, trade id).
domain::Tick TradeToTick(const TradeEvent& trade);

// WebSocket "<symbol>@miniTicker" event: {"e":"24hrMiniTicker","E":..,"s":..,
// "c":..,"o":..,"h":..,"l":..,"v":..,"q":..}.
struct MiniTickerEvent {
  int64_t event_time_ms = 0;     // "E"
  std::string symbol;            // "s"
  common::Decimal close;         // "c", last price
  common::Decimal open;          // "o", price 24 hours ago
  common::Decimal high;          // "h"
  common::Decimal low;           // "l"
  common::Decimal base_volume;   // "v"
  common::Decimal quote_volume;  // "q"
};

// WebSocket "<symbol>@kline_<interval>" event: {"e":"kline","E":..,"s":..,
// "k":{"t":..,"T":..,"s":..,"i":..,"o":..,"c":..,"h":..,"l":..,"v":..,
// "n":..,"x":..,"q":..}}. Only the intervals of interval.h are accepted.
struct KlineEvent {
  int64_t event_time_ms = 0;  // "E"
  std::string symbol;         // "s" (and k.s, which must agree)
  domain::Interval interval = domain::Interval::k1m;  // k.i
  int64_t open_time_ms = 0;      // k.t, aligned to the interval
  int64_t close_time_ms = 0;     // k.T, inclusive: k.t + interval - 1
  common::Decimal open;          // k.o
  common::Decimal close;         // k.c
  common::Decimal high;          // k.h
  common::Decimal low;           // k.l
  common::Decimal volume;        // k.v, base asset
  common::Decimal quote_volume;  // k.q, quote asset
  int64_t trade_count = 0;       // k.n
  bool closed = false;           // k.x
};

domain::Candle KlineEventToCandle(const KlineEvent& event);

using StreamEvent = std::variant<TradeEvent, MiniTickerEvent, KlineEvent>;

// One WebSocket text frame.
struct StreamMessage {
  // "btcusdt@trade" for combined streams, empty for raw streams.
  std::string stream;
  // One event, or several for array streams such as "!miniTicker@arr".
  std::vector<StreamEvent> events;
  // Elements of an array stream that were skipped.
  std::vector<ItemError> rejected;
};

// Accepts the combined-stream envelope {"stream":"btcusdt@trade","data":
// {...}} and raw-stream frames that are the event object itself. For a
// per-symbol combined stream the stream name's symbol must match the
// event's. Errors: kControlMessage for subscription replies such as
// {"result":null,"id":1}, kUnknownEvent for other event types (e.g.
// "aggTrade", "depthUpdate"), and the usual field errors.
ParseResult<StreamMessage> ParseStreamMessage(std::string_view frame);

}  // namespace cryptotracker::pricing::parsers

#endif  // CRYPTOTRACKER_PRICING_PARSERS_BINANCE_PARSE_H_
