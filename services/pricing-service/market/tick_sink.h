// The interface through which market-data providers (the Binance and
// CoinGecko clients, the backfill job) hand data to the service.
//
// Providers parse exchange payloads (parsers/) and call a TickSink;
// everything behind it (latest state, candles, subscribers) is the service's
// business. Implementations are thread-safe: several provider threads may
// call them at once.
#ifndef CRYPTOTRACKER_PRICING_MARKET_TICK_SINK_H_
#define CRYPTOTRACKER_PRICING_MARKET_TICK_SINK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/decimal.h"
#include "services/pricing-service/domain/candles.h"

namespace cryptotracker::pricing::market {

// Rolling 24-hour statistics of one exchange pair, as a ticker stream or the
// REST 24hr endpoint reports them.
struct MarketTicker {
  // Exchange pair, e.g. "BTCUSDT".
  std::string pair;
  // Last traded price; positive.
  common::Decimal last_price;
  // Price 24 hours ago, highest and lowest price in the window; positive.
  common::Decimal open;
  common::Decimal high;
  common::Decimal low;
  // Traded volume in the base asset and valued in the quote asset.
  common::Decimal base_volume;
  common::Decimal quote_volume;
  // When the source computed the statistics, milliseconds since the epoch.
  int64_t event_time_ms = 0;
};

class TickSink {
 public:
  virtual ~TickSink() = default;

  // One trade of `tick.symbol` (an exchange pair such as "BTCUSDT").
  // `source` is the lower-case provider name, e.g. "binance".
  virtual void OnTick(const domain::Tick& tick, std::string_view source) = 0;

  // New 24-hour statistics of a pair.
  virtual void OnTicker(const MarketTicker& ticker,
                        std::string_view source) = 0;

  // A one-minute candle the exchange itself reports as closed (kline stream
  // or REST klines during gap repair and backfill). Exchange candles are
  // authoritative: they replace any candle the service built from trades
  // for the same minute.
  virtual void OnClosedCandle(const domain::Candle& candle,
                              std::string_view source) = 0;
};

// Forwards every call to several sinks in order (e.g. the latest-price
// state and the candle recorder). The sinks are not owned.
class TickFanout final : public TickSink {
 public:
  explicit TickFanout(std::vector<TickSink*> sinks)
      : sinks_(std::move(sinks)) {}

  void OnTick(const domain::Tick& tick, std::string_view source) override {
    for (TickSink* sink : sinks_) sink->OnTick(tick, source);
  }
  void OnTicker(const MarketTicker& ticker, std::string_view source) override {
    for (TickSink* sink : sinks_) sink->OnTicker(ticker, source);
  }
  void OnClosedCandle(const domain::Candle& candle,
                      std::string_view source) override {
    for (TickSink* sink : sinks_) sink->OnClosedCandle(candle, source);
  }

 private:
  std::vector<TickSink*> sinks_;
};

}  // namespace cryptotracker::pricing::market

#endif  // CRYPTOTRACKER_PRICING_MARKET_TICK_SINK_H_
