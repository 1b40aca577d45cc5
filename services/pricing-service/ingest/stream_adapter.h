// Events of the exchange stream client (providers::StreamListener) into the
// service's TickSink (market/).
#ifndef CRYPTOTRACKER_PRICING_INGEST_STREAM_ADAPTER_H_
#define CRYPTOTRACKER_PRICING_INGEST_STREAM_ADAPTER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/providers/stream_listener.h"

namespace cryptotracker::pricing::ingest {

// 24-hour statistics of the stream in the shape the market state takes.
market::MarketTicker ToMarketTicker(const providers::Ticker& ticker);

// What the adapter does with a reported gap: called on the stream's network
// thread, so it only schedules work.
using GapHandler = std::function<void(const std::string& pair, int64_t from_ms,
                                      int64_t to_ms)>;

// Adapts the stream client's StreamListener to the service's TickSink:
//  - trades become ticks (latest price, one-minute candles from trades);
//  - mini tickers become 24-hour statistics;
//  - closed one-minute klines are the exchange's authoritative candles;
//    klines still forming are ignored (trades build the live candle);
//  - gaps after a reconnect go to `on_gap`, which schedules a REST repair;
//  - connection changes are logged; the current state is kept for the
//    status log.
class StreamAdapter final : public providers::StreamListener {
 public:
  // `source` is the provider name the sink records, e.g. "binance".
  StreamAdapter(market::TickSink& sink, std::string source, GapHandler on_gap);

  void OnTrade(const domain::Tick& tick) override;
  void OnTicker(const providers::Ticker& ticker) override;
  void OnKline(const domain::Candle& candle) override;
  void OnGap(std::string symbol, int64_t from_ms, int64_t to_ms) override;
  void OnStatus(bool connected, std::string detail) override;

  // Whether the stream is subscribed now (the ingest status log).
  bool connected() const { return connected_.load(); }

 private:
  market::TickSink& sink_;
  const std::string source_;
  GapHandler on_gap_;
  std::atomic<bool> connected_{false};
};

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_STREAM_ADAPTER_H_
