#include "services/pricing-service/ingest/stream_adapter.h"

#include <utility>

#include "services/common/logging.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::ingest {

market::MarketTicker ToMarketTicker(const providers::Ticker& ticker) {
  market::MarketTicker out;
  out.pair = ticker.symbol;
  out.last_price = ticker.close;
  out.open = ticker.open;
  out.high = ticker.high;
  out.low = ticker.low;
  out.base_volume = ticker.base_volume;
  out.quote_volume = ticker.quote_volume;
  out.event_time_ms = ticker.event_time_ms;
  return out;
}

StreamAdapter::StreamAdapter(market::TickSink& sink, std::string source,
                             GapHandler on_gap)
    : sink_(sink), source_(std::move(source)), on_gap_(std::move(on_gap)) {}

void StreamAdapter::OnTrade(const domain::Tick& tick) {
  sink_.OnTick(tick, source_);
}

void StreamAdapter::OnTicker(const providers::Ticker& ticker) {
  sink_.OnTicker(ToMarketTicker(ticker), source_);
}

void StreamAdapter::OnKline(const domain::Candle& candle) {
  if (!candle.closed || candle.interval != domain::Interval::k1m) return;
  sink_.OnClosedCandle(candle, source_);
}

void StreamAdapter::OnGap(std::string symbol, int64_t from_ms, int64_t to_ms) {
  if (on_gap_) on_gap_(symbol, from_ms, to_ms);
}

void StreamAdapter::OnStatus(bool connected, std::string detail) {
  connected_.store(connected);
  if (connected) {
    common::LogInfo("exchange stream connected",
                    {{"source", source_}, {"detail", detail}});
  } else {
    // Prices keep being served from the last known values, marked stale
    // once PRICE_STALE_SECONDS pass.
    common::LogWarn("exchange stream disconnected; serving last known prices",
                    {{"source", source_}, {"detail", detail}});
  }
}

}  // namespace cryptotracker::pricing::ingest
