// pricing-service: wiring only. One binary, three subcommands:
//   pricing_service [serve]   the gRPC service with the live feed (default)
//   pricing_service rollup    materialise candle roll-ups, create partitions
//                             ahead, apply retention (k8s CronJob)
//   pricing_service backfill  fetch missing one-minute candles from the
//                             exchange's REST API (k8s CronJob / start-up)
// Both jobs are idempotent upserts/deletes, safe beside a running service.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "services/common/config.h"
#include "services/common/db.h"
#include "services/common/logging.h"
#include "services/common/migrations.h"
#include "services/common/server.h"
#include "services/pricing-service/handler/price_stream.h"
#include "services/pricing-service/handler/pricing_handler.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/history_source.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/migrations.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing {
namespace {

constexpr const char* kServiceName = "pricing-service";
constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

struct Config {
  common::ServerConfig server;
  common::DatabaseConfig database;
  std::chrono::seconds price_stale_after{60};
  std::chrono::seconds candle_flush_interval{5};
  // One-minute candles are kept this long; roll-ups (5m..1d) much longer.
  int candle_retention_days = 30;
  int rollup_retention_days = 1095;
  // The rollup job recomputes buckets this far back, so that candles
  // repaired late (gap repair, backfill) reach their roll-ups.
  int rollup_lookback_hours = 48;
  // How far back `backfill` fills one-minute candles for a pair with none.
  int backfill_days = 7;
  // Optional comma-separated subset of the catalogue to track.
  std::vector<std::string> symbols;
  // For the providers library (exchange clients).
  std::string binance_rest_url;
  std::string binance_ws_url;
  std::string coingecko_url;
  std::string coingecko_api_key;
};

std::vector<std::string> SplitSymbols(const std::string& text) {
  std::vector<std::string> symbols;
  std::string current;
  for (char c : text + ",") {
    if (c == ',' || c == ' ') {
      if (!current.empty()) symbols.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
    }
  }
  return symbols;
}

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
  config.candle_retention_days = env.Int("CANDLE_RETENTION_DAYS", 30, 1, 3650);
  config.rollup_retention_days =
      env.Int("CANDLE_ROLLUP_RETENTION_DAYS", 1095, 1, 36500);
  config.rollup_lookback_hours =
      env.Int("CANDLE_ROLLUP_LOOKBACK_HOURS", 48, 1, 24 * 366);
  config.backfill_days = env.Int("CANDLE_BACKFILL_DAYS", 7, 1, 3650);
  config.symbols = SplitSymbols(env.String("SYMBOLS", ""));
  config.binance_rest_url = env.String("BINANCE_REST_URL", "");
  config.binance_ws_url = env.String("BINANCE_WS_URL", "");
  config.coingecko_url = env.String("COINGECKO_URL", "");
  config.coingecko_api_key = env.String("COINGECKO_API_KEY", "");
  env.Finish();
  return config;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A database that is still starting is waited for a while; a schema this
// binary must not run against fails at once.
void ApplyMigrationsWithRetry(common::ConnectionPool& pool) {
  constexpr int kAttempts = 30;
  for (int attempt = 1;; ++attempt) {
    try {
      common::ApplyMigrations(pool, kServiceName, migrations::Migrations());
      return;
    } catch (const common::MigrationError&) {
      throw;
    } catch (const std::exception& error) {
      if (attempt >= kAttempts) throw;
      common::LogWarn("database not ready for migrations; retrying",
                      {{"attempt", attempt}, {"error", error.what()}});
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  }
}

// The catalogue narrowed to SYMBOLS; throws ConfigError for a symbol the
// catalogue does not have.
std::vector<storage::AssetRecord> TrackedAssets(
    storage::PricingRepository& repository, const Config& config) {
  std::vector<storage::AssetRecord> all = repository.ListAssets();
  if (config.symbols.empty()) return all;
  std::vector<storage::AssetRecord> tracked;
  for (const std::string& symbol : config.symbols) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& asset) {
      return asset.symbol == symbol;
    });
    if (it == all.end()) {
      throw common::ConfigError("SYMBOLS: " + symbol +
                                " is not in the asset catalogue");
    }
    tracked.push_back(*it);
  }
  // Keep catalogue (rank) order whatever order SYMBOLS used.
  std::stable_sort(tracked.begin(), tracked.end(),
                   [](const auto& a, const auto& b) {
                     const int ra = a.rank == 0 ? INT32_MAX : a.rank;
                     const int rb = b.rank == 0 ? INT32_MAX : b.rank;
                     return ra < rb;
                   });
  return tracked;
}

std::vector<std::string> PairsOf(
    const std::vector<storage::AssetRecord>& assets, bool with_rates) {
  std::vector<std::string> pairs;
  for (const auto& asset : assets) pairs.push_back(asset.pair);
  if (with_rates) {
    for (std::string_view rate : {market::kEurRatePair, market::kBtcRatePair}) {
      if (std::find(pairs.begin(), pairs.end(), rate) == pairs.end()) {
        pairs.emplace_back(rate);
      }
    }
  }
  return pairs;
}

// ---------------------------------------------------------------------------
// WIRING POINT for the providers library (services/pricing-service/providers).
// Once it exists, construct its Binance stream client (BINANCE_WS_URL,
// config.binance_*), CoinGecko client (COINGECKO_URL, COINGECKO_API_KEY) and
// REST history client (BINANCE_REST_URL) here, subscribed to
// MarketState::RequiredPairs(), with a MarketFeedListener adapter that
// forwards OnTrade/OnTicker/closed OnKline to `sink`, and return the clients
// so that they live as long as the server. Until then the service runs
// without a feed: prices are UNAVAILABLE, candles come from storage only.
// ---------------------------------------------------------------------------
struct Feed {
  // Owns the provider clients; empty while no provider is linked.
};

std::unique_ptr<Feed> StartFeed(const Config& config,
                                const std::vector<std::string>& pairs,
                                market::TickSink& sink) {
  (void)sink;
  common::LogWarn(
      "no market-data provider linked into this build; serving without a "
      "live feed",
      {{"pairs", static_cast<int64_t>(pairs.size())},
       {"binance_ws_url_set", !config.binance_ws_url.empty()}});
  return std::make_unique<Feed>();
}

// The REST history client, or null while no provider is linked.
std::unique_ptr<market::HistorySource> MakeHistorySource(const Config&) {
  return nullptr;
}

int Serve(const Config& config) {
  common::ConnectionPool pool(config.database.ConnectionString(),
                              config.database.pool_size);
  ApplyMigrationsWithRetry(pool);
  storage::PricingRepository repository(pool);
  const std::vector<storage::AssetRecord> assets =
      TrackedAssets(repository, config);

  std::vector<market::TrackedAsset> tracked;
  for (const auto& asset : assets)
    tracked.push_back({asset.symbol, asset.pair});
  market::MarketState market(std::move(tracked),
                             {.stale_after = config.price_stale_after});
  market::CandleRecorder recorder(
      repository, PairsOf(assets, true),
      {.flush_interval = config.candle_flush_interval});
  market::TickFanout sink({&market, &recorder});

  handler::PriceStreamHub streams(market, {});
  handler::PricingHandler service(market, repository, &recorder, streams);

  recorder.Start();
  streams.Start();
  std::unique_ptr<Feed> feed = StartFeed(config, market.RequiredPairs(), sink);

  common::ServerOptions options;
  options.port = config.server.grpc_port;
  options.shutdown_grace = config.server.shutdown_grace;
  options.service_name = kServiceName;
  common::GrpcServer server(options, {&service});
  server.SetReadinessCheck([&pool] {
    return pool.Ping() &&
           common::MigrationsUpToDate(pool, migrations::Migrations());
  });
  common::LogInfo("starting",
                  {{"grpc_port", config.server.grpc_port},
                   {"assets", static_cast<int64_t>(assets.size())},
                   {"price_stale_seconds", config.price_stale_after.count()}});
  server.Run();
  feed.reset();
  streams.Stop();
  recorder.Stop();
  common::LogInfo("stopped",
                  {{"candles_written", recorder.stats().candles_written}});
  return EXIT_SUCCESS;
}

int Rollup(const Config& config) {
  common::ConnectionPool pool(config.database.ConnectionString(), 2);
  ApplyMigrationsWithRetry(pool);
  storage::PricingRepository repository(pool);
  const int64_t now = NowMs();
  // Next month's partition exists before the first candle needs it.
  repository.EnsurePartitions(now, now + 40 * kDayMs);
  // Buckets whose minutes may still sit in a service's flush buffer are left
  // for the next run.
  const int64_t to = now - 5 * kMinuteMs;
  const int64_t from =
      to - int64_t{config.rollup_lookback_hours} * 60 * kMinuteMs;
  for (Interval interval : kAllIntervals) {
    if (interval == Interval::k1m) continue;
    const int64_t rows = repository.MaterializeRollups(interval, from, to);
    common::LogInfo(
        "roll-up materialised",
        {{"interval", std::string(IntervalName(interval))}, {"rows", rows}});
  }
  const storage::RetentionResult retention = repository.ApplyRetention(
      now - int64_t{config.candle_retention_days} * kDayMs,
      now - int64_t{config.rollup_retention_days} * kDayMs);
  common::LogInfo(
      "retention applied",
      {{"one_minute_deleted", retention.one_minute_deleted},
       {"partitions_dropped",
        static_cast<int64_t>(retention.partitions_dropped.size())}});
  return EXIT_SUCCESS;
}

int Backfill(const Config& config) {
  std::unique_ptr<market::HistorySource> source = MakeHistorySource(config);
  if (source == nullptr) {
    common::LogError(
        "backfill needs the exchange REST client, which is not linked into "
        "this build");
    return 2;
  }
  common::ConnectionPool pool(config.database.ConnectionString(), 2);
  ApplyMigrationsWithRetry(pool);
  storage::PricingRepository repository(pool);
  const int64_t now = NowMs();
  const int64_t end = AlignToInterval(now, Interval::k1m);
  int failures = 0;
  for (const std::string& pair :
       PairsOf(TrackedAssets(repository, config), true)) {
    const std::optional<int64_t> latest =
        repository.LatestOpenTime(pair, Interval::k1m);
    const int64_t from = latest.has_value()
                             ? *latest + kMinuteMs
                             : end - int64_t{config.backfill_days} * kDayMs;
    if (from >= end) continue;
    try {
      std::vector<market::SourcedCandle> batch;
      for (Candle& candle : source->FetchOneMinuteCandles(pair, from, end)) {
        if (!candle.closed || candle.interval != Interval::k1m) continue;
        batch.push_back({std::move(candle), source->name() + ":klines"});
      }
      repository.UpsertCandles(batch);
      common::LogInfo(
          "backfilled",
          {{"pair", pair}, {"candles", static_cast<int64_t>(batch.size())}});
    } catch (const std::exception& error) {
      ++failures;
      common::LogError("backfill failed",
                       {{"pair", pair}, {"error", error.what()}});
    }
  }
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int Run(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "serve";
  if (argc > 2 ||
      (command != "serve" && command != "rollup" && command != "backfill")) {
    std::cerr << "usage: pricing_service [serve|rollup|backfill]" << std::endl;
    return 2;
  }
  Config config;
  try {
    config = ReadConfig(command == "serve");
    common::InitLogging(kServiceName, config.server.log_level);
  } catch (const common::ConfigError& error) {
    std::cerr << kServiceName << ": " << error.what() << std::endl;
    return EXIT_FAILURE;
  }
  if (command == "rollup") return Rollup(config);
  if (command == "backfill") return Backfill(config);
  return Serve(config);
}

}  // namespace
}  // namespace cryptotracker::pricing

int main(int argc, char** argv) {
  try {
    return cryptotracker::pricing::Run(argc, argv);
  } catch (const std::exception& error) {
    cryptotracker::common::LogError("fatal error", {{"error", error.what()}});
    return EXIT_FAILURE;
  }
}
