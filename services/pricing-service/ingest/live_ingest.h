// The live market data of `serve` and the background work around it:
//  - the exchange stream (trades, 1m klines, mini tickers) into the sink;
//  - one background worker for REST work: the start-up history fill
//    (history_fill.h, one request per task so the rest interleaves), repair
//    of the gaps a reconnect leaves, a periodic sweep for holes, the
//    CoinGecko catalogue refresh and the periodic "ingest status" log line.
#ifndef CRYPTOTRACKER_PRICING_INGEST_LIVE_INGEST_H_
#define CRYPTOTRACKER_PRICING_INGEST_LIVE_INGEST_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/pricing-service/ingest/background_worker.h"
#include "services/pricing-service/ingest/binance_history_source.h"
#include "services/pricing-service/ingest/history_fill.h"
#include "services/pricing-service/ingest/history_filler.h"
#include "services/pricing-service/ingest/stream_adapter.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/providers/binance_stream_client.h"
#include "services/pricing-service/providers/coingecko_client.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::ingest {

struct LiveIngestOptions {
  // Empty: no history (no start-up backfill, no gap repair, no sweep).
  std::string binance_rest_url;
  // Empty: no live stream; prices stay unavailable.
  std::string binance_ws_url;
  // Empty, or a refresh of 0: the catalogue is never refreshed.
  std::string coingecko_url;
  // Empty: CoinGecko's public API; otherwise sent as `coingecko_plan` says.
  std::string coingecko_api_key;
  providers::CoinGeckoPlan coingecko_plan = providers::CoinGeckoPlan::kDemo;
  std::chrono::seconds coingecko_refresh{600};
  // Whether Start() fills the candle history to `history_depth` in the
  // background (the `backfill` job keeps it filled either way).
  bool fill_history_at_startup = true;
  HistoryDepth history_depth;
  // Binance request weight a minute the REST history may use.
  int history_weight_per_minute = kDefaultHistoryWeightPerMinute;
};

// Owns the provider clients, so it lives as long as the server. Not
// copyable; Start() once, Stop() (or the destructor) once it is done.
class LiveIngest {
 public:
  // Builds the clients; throws common::ConfigError for a URL a client
  // cannot use. `pairs` are streamed and repaired, `assets` refreshed from
  // CoinGecko. The references must outlive this object.
  LiveIngest(LiveIngestOptions options, std::vector<std::string> pairs,
             std::vector<storage::AssetRecord> assets, market::TickSink& sink,
             market::MarketState& market, market::CandleRecorder& recorder,
             storage::PricingRepository& repository);
  ~LiveIngest();  // Stop()
  LiveIngest(const LiveIngest&) = delete;
  LiveIngest& operator=(const LiveIngest&) = delete;

  void Start();
  // Stops the stream, unblocks and joins the background work. Idempotent.
  void Stop();

 private:
  using Clock = BackgroundWorker::Clock;

  void FillMissing(const std::string& pair, int64_t from, int64_t to);
  // One request of the start-up history fill; posts the next.
  void StepHistoryFill();
  void ScheduleGapRepair(const std::string& pair, int64_t from, int64_t to);
  void ScheduleSweep();
  void RefreshCatalogue();
  void ScheduleStatusLog();

  const LiveIngestOptions options_;
  const std::vector<std::string> pairs_;
  const std::vector<storage::AssetRecord> assets_;
  market::MarketState& market_;
  market::CandleRecorder& recorder_;
  storage::PricingRepository& repository_;
  std::unique_ptr<BinanceHistorySource> history_;
  std::unique_ptr<HistoryFiller> filler_;
  // Used on the worker's thread only.
  std::unique_ptr<HistoryFill> history_fill_;
  std::unique_ptr<providers::CoinGeckoClient> coingecko_;
  std::unique_ptr<StreamAdapter> adapter_;
  std::unique_ptr<providers::BinanceStreamClient> stream_;
  // Last: its tasks use everything above.
  BackgroundWorker worker_;
  bool stopped_ = false;
};

}  // namespace cryptotracker::pricing::ingest

#endif  // CRYPTOTRACKER_PRICING_INGEST_LIVE_INGEST_H_
