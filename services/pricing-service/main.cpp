// pricing-service: its configuration and its object graph; the process
// around them (logging, migrations, readiness, signals, exit codes) is
// common::ServiceMain (services/common/service_main.h). One binary, three
// subcommands:
//   pricing_service [serve]   the gRPC service with the live ingest (default)
//   pricing_service rollup    repair candle roll-ups (the service maintains
//                             them as minutes are written), create partitions
//                             ahead, apply retention (k8s CronJob)
//   pricing_service backfill  fetch the candles missing from the history
//                             (ingest/history_fill.h) from the exchange's
//                             REST API (k8s CronJob)
// Both jobs are idempotent upserts/deletes, safe beside a running service.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/common/blocking_executor.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/logging.h"
#include "services/common/service_main.h"
#include "services/pricing-service/handler/pricing_handler.h"
#include "services/pricing-service/ingest/binance_history_source.h"
#include "services/pricing-service/ingest/history_fill.h"
#include "services/pricing-service/ingest/live_ingest.h"
#include "services/pricing-service/ingest/tracked_assets.h"
#include "services/pricing-service/jobs/backfill.h"
#include "services/pricing-service/jobs/rollup.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/migrations.h"
#include "services/pricing-service/providers/coingecko_client.h"
#include "services/pricing-service/storage/pricing_repository.h"
#include "services/pricing-service/storage/writer_lease.h"
#include "services/pricing-service/stream/price_stream.h"

namespace cryptotracker::pricing {
namespace {

constexpr const char* kServiceName = "pricing-service";
// The jobs run one statement at a time.
constexpr int kJobPoolSize = 2;

struct Config {
  common::ServerConfig server;
  common::DatabaseConfig database;
  std::chrono::seconds price_stale_after{60};
  std::chrono::seconds candle_flush_interval{5};
  // How long GetCandles/GetAnalysis reuse the newest stored candles of a
  // (pair, interval) before reading them again (0: always read).
  std::chrono::seconds candle_cache{5};
  // Roll-up lookback and retention per interval.
  jobs::RollupSettings rollup;
  // Optional subset of the catalogue to track (SYMBOLS).
  std::vector<std::string> symbols;
  ingest::LiveIngestOptions ingest;
};

Config ReadConfig(bool needs_grpc_port) {
  common::EnvReader env;
  Config config;
  if (needs_grpc_port) {
    config.server = common::ServerConfig::FromEnv(env);
  } else {
    config.server.log_level = env.String("LOG_LEVEL", "info");
  }
  config.database = common::DatabaseConfig::FromEnv(env);
  using std::chrono::seconds;
  config.price_stale_after = env.Seconds("PRICE_STALE_SECONDS", seconds(60),
                                         seconds(1), seconds(86400));
  config.candle_flush_interval =
      env.Seconds("CANDLE_FLUSH_SECONDS", seconds(5), seconds(1), seconds(300));
  config.candle_cache =
      env.Seconds("CANDLE_CACHE_SECONDS", seconds(5), seconds(0), seconds(300));
  // Days each interval is kept (0: for good); see jobs::CandleRetention.
  jobs::CandleRetention& retention = config.rollup.retention;
  retention.one_minute_days = env.Int("CANDLE_RETENTION_1M_DAYS", 90, 1, 36500);
  retention.five_minute_days =
      env.Int("CANDLE_RETENTION_5M_DAYS", 180, 0, 36500);
  retention.fifteen_minute_days =
      env.Int("CANDLE_RETENTION_15M_DAYS", 365, 0, 36500);
  retention.hourly_days = env.Int("CANDLE_RETENTION_1H_DAYS", 730, 0, 36500);
  retention.four_hour_days = env.Int("CANDLE_RETENTION_4H_DAYS", 730, 0, 36500);
  retention.daily_days = env.Int("CANDLE_RETENTION_1D_DAYS", 0, 0, 36500);
  config.rollup.rollup_lookback_hours =
      env.Int("CANDLE_ROLLUP_LOOKBACK_HOURS", 48, 1, 24 * 366);
  // The history `serve` fills at start-up and `backfill` keeps filled; see
  // ingest/history_fill.h.
  ingest::HistoryDepth& depth = config.ingest.history_depth;
  depth.one_minute_days = env.Int("CANDLE_HISTORY_1M_DAYS", 90, 0, 36500);
  depth.hourly_days = env.Int("CANDLE_HISTORY_1H_DAYS", 730, 0, 36500);
  depth.four_hour_days = env.Int("CANDLE_HISTORY_4H_DAYS", 730, 0, 36500);
  const std::string daily_since =
      env.String("CANDLE_HISTORY_1D_SINCE", "2017-08-17");
  absl::Time since;
  std::string since_error;
  if (absl::ParseTime("%Y-%m-%d", daily_since, absl::UTCTimeZone(), &since,
                      &since_error) &&
      since <= absl::Now()) {
    depth.daily_since_ms = absl::ToUnixMillis(since);
  } else {
    env.AddProblem("CANDLE_HISTORY_1D_SINCE",
                   "must be a past date, YYYY-MM-DD");
  }
  // A depth beyond its retention would fetch again, every run, what the
  // rollup job deletes.
  const std::pair<const char*, std::pair<int, int>> kept[] = {
      {"CANDLE_HISTORY_1M_DAYS",
       {depth.one_minute_days, retention.one_minute_days}},
      {"CANDLE_HISTORY_1H_DAYS", {depth.hourly_days, retention.hourly_days}},
      {"CANDLE_HISTORY_4H_DAYS",
       {depth.four_hour_days, retention.four_hour_days}},
  };
  for (const auto& [name, days] : kept) {
    if (days.second > 0 && days.first > days.second) {
      env.AddProblem(name, "must not exceed its CANDLE_RETENTION_*_DAYS (" +
                               std::to_string(days.second) + ")");
    }
  }
  if (retention.daily_days > 0 &&
      depth.daily_since_ms <
          absl::ToUnixMillis(absl::Now() -
                             absl::Hours(24) * retention.daily_days)) {
    env.AddProblem("CANDLE_HISTORY_1D_SINCE",
                   "is older than CANDLE_RETENTION_1D_DAYS keeps");
  }
  const std::string startup_fill =
      env.String("CANDLE_HISTORY_STARTUP_FILL", "true");
  if (startup_fill != "true" && startup_fill != "false") {
    env.AddProblem("CANDLE_HISTORY_STARTUP_FILL", "must be true or false");
  }
  config.ingest.fill_history_at_startup = startup_fill != "false";
  config.ingest.history_weight_per_minute =
      env.Int("CANDLE_HISTORY_WEIGHT_PER_MINUTE",
              ingest::kDefaultHistoryWeightPerMinute, 1, 6000);
  config.ingest.coingecko_refresh = env.Seconds(
      "COINGECKO_REFRESH_SECONDS", seconds(600), seconds(0), seconds(86400));
  config.symbols = ingest::ParseSymbolList(env.String("SYMBOLS", ""));
  config.ingest.binance_rest_url = env.String("BINANCE_REST_URL", "");
  config.ingest.binance_ws_url = env.String("BINANCE_WS_URL", "");
  config.ingest.coingecko_url = env.String("COINGECKO_URL", "");
  config.ingest.coingecko_api_key = env.String("COINGECKO_API_KEY", "");
  const std::string plan = env.String("COINGECKO_API_PLAN", "demo");
  if (plan != "demo" && plan != "pro") {
    env.AddProblem("COINGECKO_API_PLAN", "must be demo or pro");
  }
  config.ingest.coingecko_plan = plan == "pro"
                                     ? providers::CoinGeckoPlan::kPro
                                     : providers::CoinGeckoPlan::kDemo;
  env.Finish();
  return config;
}

int Serve(const Config& config) {
  common::ServiceDatabase database(kServiceName, config.database,
                                   migrations::Migrations());
  // Every minute written (the recorder's flush, gap repair, the history
  // fill) updates the 5m..1d buckets it falls in.
  storage::PricingRepository repository(database.pool(),
                                        {.roll_up_on_write = true});
  const std::vector<storage::AssetRecord> assets =
      ingest::TrackedAssets(repository.ListAssets(), config.symbols);

  std::vector<market::TrackedAsset> tracked;
  for (const storage::AssetRecord& asset : assets) {
    tracked.push_back({asset.symbol, asset.pair});
  }
  market::MarketState market(std::move(tracked),
                             {.stale_after = config.price_stale_after});
  const std::vector<std::string> recorded_pairs =
      ingest::PairsOf(assets, /*with_rates=*/true);
  // Every replica records the stream; only the holder of a pair's lease
  // writes it (storage/writer_lease.h).
  storage::PairWriterLease writer_lease(config.database.ConnectionString(),
                                        recorded_pairs);
  market::CandleRecorder recorder(
      repository, recorded_pairs,
      {.flush_interval = config.candle_flush_interval,
       .may_write =
           [&writer_lease](const std::string& pair) {
             return writer_lease.Holds(pair);
           },
       // What a cached snapshot of stored minutes may miss, with room for
       // a flush and a takeover.
       .recent_window = std::max<std::chrono::milliseconds>(
           std::chrono::minutes(10), config.candle_cache +
                                         2 * config.candle_flush_interval +
                                         std::chrono::minutes(1))});
  market::TickFanout sink({&market, &recorder});

  stream::PriceCache prices(market);
  stream::PriceStreamHub streams(market, prices, {});
  // Database work of the calls; declared before the server so that it
  // outlives the server's drain (queued calls still finish).
  common::BlockingExecutor blocking(config.database.pool_size,
                                    common::kMaxQueuedBlockingCalls);
  handler::PricingHandler service(market, prices, blocking, repository,
                                  &recorder, streams,
                                  {.candle_cache_ttl = config.candle_cache});

  ingest::LiveIngest ingest(config.ingest, market.RequiredPairs(), assets, sink,
                            market, recorder, repository);
  writer_lease.Start();
  recorder.Start();
  streams.Start();
  ingest.Start();
  common::LogInfo(
      "starting",
      {{"grpc_port", config.server.grpc_port},
       {"assets", static_cast<int64_t>(assets.size())},
       {"price_stale_seconds", config.price_stale_after.count()},
       {"history_fill_at_startup", config.ingest.fill_history_at_startup}});
  common::ServeUntilStopped(kServiceName, config.server, database, {&service});
  ingest.Stop();
  streams.Stop();
  recorder.Stop();  // the last flush, while the lease is still held
  writer_lease.Stop();
  common::LogInfo("stopped",
                  {{"candles_written", recorder.stats().candles_written}});
  return EXIT_SUCCESS;
}

int Rollup(const Config& config) {
  common::ServiceDatabase database(kServiceName,
                                   config.database.ConnectionString(),
                                   kJobPoolSize, migrations::Migrations());
  storage::PricingRepository repository(database.pool());
  jobs::RunRollup(repository, config.rollup, common::WallClockMs());
  return EXIT_SUCCESS;
}

int Backfill(const Config& config) {
  std::unique_ptr<ingest::BinanceHistorySource> source =
      ingest::MakeBinanceHistory(config.ingest.binance_rest_url,
                                 config.ingest.history_weight_per_minute);
  if (source == nullptr) {
    common::LogError("backfill needs BINANCE_REST_URL");
    return 2;
  }
  common::ServiceDatabase database(kServiceName,
                                   config.database.ConnectionString(),
                                   kJobPoolSize, migrations::Migrations());
  storage::PricingRepository repository(database.pool(),
                                        {.roll_up_on_write = true});
  const std::vector<std::string> pairs = ingest::PairsOf(
      ingest::TrackedAssets(repository.ListAssets(), config.symbols),
      /*with_rates=*/true);
  const int failures =
      jobs::RunBackfill(*source, repository, pairs, config.ingest.history_depth,
                        common::WallClockMs());
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace
}  // namespace cryptotracker::pricing

int main(int argc, char** argv) {
  namespace pricing = cryptotracker::pricing;
  const std::string command = argc > 1 ? argv[1] : "serve";
  if (argc > 2 ||
      (command != "serve" && command != "rollup" && command != "backfill")) {
    std::cerr << "usage: pricing_service [serve|rollup|backfill]" << std::endl;
    return 2;
  }
  return cryptotracker::common::ServiceMain(
      pricing::kServiceName,
      [&command] { return pricing::ReadConfig(command == "serve"); },
      [&command](const pricing::Config& config) {
        if (command == "rollup") return pricing::Rollup(config);
        if (command == "backfill") return pricing::Backfill(config);
        return pricing::Serve(config);
      });
}
