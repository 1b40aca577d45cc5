// The seam between the exchange network clients (this package) and the rest
// of pricing-service (state, candles, storage).
//
// A BinanceStreamClient calls a StreamListener from its own network
// thread, one call at a time and in arrival order, with events that already
// passed parsing and validation (positive prices, sane times) and the
// client's duplicate and ordering checks. Implementations must return quickly
// (hand the event to a queue or update in-memory state under a short lock):
// a slow listener delays the socket reads, and a listener that blocks for
// long makes the exchange drop the connection. Exceptions thrown by a
// listener are caught, logged and counted; they never stop the stream.
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_STREAM_LISTENER_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_STREAM_LISTENER_H_

#include <cstdint>
#include <string>

#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/parsers/binance_parse.h"

namespace cryptotracker::pricing::providers {

// 24-hour rolling statistics of one symbol from the "@miniTicker" stream:
// last price (close), price 24 hours ago (open), high, low, base and quote
// volume, event time.
using Ticker = parsers::MiniTickerEvent;

class StreamListener {
 public:
  virtual ~StreamListener() = default;

  // One exchange trade ("@trade"), with the exchange's trade id. Trade ids
  // of a symbol strictly increase across calls, reconnects included.
  virtual void OnTrade(const domain::Tick& tick) = 0;

  // A 24-hour ticker update ("@miniTicker"), about once a second per symbol;
  // event times of a symbol strictly increase.
  virtual void OnTicker(const Ticker& ticker) = 0;

  // A one-minute kline update ("@kline_1m"), every ~2 seconds while the
  // minute forms (closed == false) and once more when it closes
  // (closed == true). Updates of a symbol never go back in time; a closed
  // minute is delivered at most once.
  virtual void OnKline(const domain::Candle& candle) = 0;

  // After a reconnect: events of `symbol` in [from_ms, to_ms] may have been
  // missed (from_ms is the exchange time of the last event seen before the
  // connection dropped, to_ms the wall-clock time the new connection was
  // established). The service repairs the range from REST klines.
  virtual void OnGap(std::string symbol, int64_t from_ms, int64_t to_ms) = 0;

  // Connection state changes: connected == true once subscribed, false on
  // every disconnect; `detail` says why (never contains credentials).
  virtual void OnStatus(bool connected, std::string detail) = 0;
};

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_STREAM_LISTENER_H_
