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

#include "services/common/blocking_executor.h"
#include "services/common/clock.h"
#include "services/common/config.h"
#include "services/common/db.h"
#include "services/common/logging.h"
#include "services/common/migrations.h"
#include "services/common/server.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/feed/history_filler.h"
#include "services/pricing-service/feed/market_feed.h"
#include "services/pricing-service/handler/pricing_handler.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/history_source.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/migrations.h"
#include "services/pricing-service/providers/binance_rest_client.h"
#include "services/pricing-service/providers/binance_stream_client.h"
#include "services/pricing-service/providers/coingecko_client.h"
#include "services/pricing-service/storage/pricing_repository.h"
#include "services/pricing-service/stream/price_stream.h"

namespace cryptotracker::pricing {
namespace {

constexpr const char* kServiceName = "pricing-service";
constexpr int64_t kMinuteMs = 60'000;
// Calls waiting for a database thread beyond this are refused with
// RESOURCE_EXHAUSTED rather than queued without bound.
constexpr size_t kMaxQueuedDatabaseCalls = 1024;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

struct Config {
  common::ServerConfig server;
  common::DatabaseConfig database;
  std::chrono::seconds price_stale_after{60};
  std::chrono::seconds candle_flush_interval{5};
  // How long GetCandles/GetAnalysis reuse the newest stored candles of a
  // (pair, interval) before reading them again (0: always read).
  std::chrono::seconds candle_cache{5};
  // One-minute candles are kept this long; roll-ups (5m..1d) much longer.
  int candle_retention_days = 30;
  int rollup_retention_days = 1095;
  // The rollup job recomputes buckets this far back, so that candles
  // repaired late (gap repair, backfill) reach their roll-ups.
  int rollup_lookback_hours = 48;
  // How far back `backfill` looks for missing one-minute candles.
  int backfill_days = 7;
  // How far back `serve` fills missing one-minute candles in the
  // background at start-up (0: not at all), so that candles and analysis
  // work soon after a fresh start.
  int startup_backfill_days = 2;
  // How often `serve` refreshes rank and market capitalisation from
  // CoinGecko (0: never).
  std::chrono::seconds coingecko_refresh{600};
  // Optional comma-separated subset of the catalogue to track.
  std::vector<std::string> symbols;
  // For the providers library (exchange clients).
  std::string binance_rest_url;
  std::string binance_ws_url;
  std::string coingecko_url;
  std::string coingecko_api_key;
  // "demo" or "pro": which CoinGecko header carries the key.
  std::string coingecko_api_plan;
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
  config.candle_cache =
      env.Seconds("CANDLE_CACHE_SECONDS", seconds(5), seconds(0), seconds(300));
  config.candle_retention_days = env.Int("CANDLE_RETENTION_DAYS", 30, 1, 3650);
  config.rollup_retention_days =
      env.Int("CANDLE_ROLLUP_RETENTION_DAYS", 1095, 1, 36500);
  config.rollup_lookback_hours =
      env.Int("CANDLE_ROLLUP_LOOKBACK_HOURS", 48, 1, 24 * 366);
  config.backfill_days = env.Int("CANDLE_BACKFILL_DAYS", 7, 1, 3650);
  config.startup_backfill_days =
      env.Int("CANDLE_STARTUP_BACKFILL_DAYS", 2, 0, 3650);
  config.coingecko_refresh = env.Seconds(
      "COINGECKO_REFRESH_SECONDS", seconds(600), seconds(0), seconds(86400));
  config.symbols = SplitSymbols(env.String("SYMBOLS", ""));
  config.binance_rest_url = env.String("BINANCE_REST_URL", "");
  config.binance_ws_url = env.String("BINANCE_WS_URL", "");
  config.coingecko_url = env.String("COINGECKO_URL", "");
  config.coingecko_api_key = env.String("COINGECKO_API_KEY", "");
  config.coingecko_api_plan = env.String("COINGECKO_API_PLAN", "demo");
  if (config.coingecko_api_plan != "demo" &&
      config.coingecko_api_plan != "pro") {
    throw common::ConfigError("COINGECKO_API_PLAN must be demo or pro");
  }
  env.Finish();
  return config;
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

// The REST history client, or null when BINANCE_REST_URL is not set.
// Throws ConfigError for a URL the client cannot use.
std::unique_ptr<feed::BinanceHistorySource> MakeBinanceHistory(
    const Config& config) {
  if (config.binance_rest_url.empty()) return nullptr;
  absl::StatusOr<std::unique_ptr<providers::BinanceRestClient>> client =
      providers::BinanceRestClient::Create(
          {.base_url = config.binance_rest_url});
  if (!client.ok()) {
    throw common::ConfigError("BINANCE_REST_URL: " +
                              std::string(client.status().message()));
  }
  return std::make_unique<feed::BinanceHistorySource>(std::move(*client),
                                                      common::WallClockMs);
}

// The live market feed of `serve` and the background work around it. Owns
// the provider clients, so it lives as long as the server.
//  - the Binance stream (trades, 1m klines, mini tickers) into the sink;
//  - a background worker for REST work: start-up backfill, repair of the
//    gaps a reconnect leaves, a periodic sweep for holes, the CoinGecko
//    catalogue refresh and a periodic status log.
class Feed {
 public:
  Feed(const Config& config, std::vector<std::string> pairs,
       std::vector<storage::AssetRecord> assets, market::TickSink& sink,
       market::MarketState& market, market::CandleRecorder& recorder,
       storage::PricingRepository& repository)
      : config_(config),
        pairs_(std::move(pairs)),
        assets_(std::move(assets)),
        market_(market),
        recorder_(recorder),
        repository_(repository) {
    history_ = MakeBinanceHistory(config);
    if (history_ != nullptr) {
      filler_ = std::make_unique<feed::HistoryFiller>(
          *history_, repository_,
          [this](const std::string& pair, int64_t from, int64_t to) {
            return repository_.StoredOpenTimes(pair, Interval::k1m, from, to);
          },
          common::WallClockMs);
    }
    bridge_ = std::make_unique<feed::FeedBridge>(
        sink, "binance",
        [this](const std::string& pair, int64_t from, int64_t to) {
          ScheduleGapRepair(pair, from, to);
        });
    if (!config.binance_ws_url.empty()) {
      absl::StatusOr<std::unique_ptr<providers::BinanceStreamClient>> stream =
          providers::BinanceStreamClient::Create(
              {.base_url = config.binance_ws_url, .symbols = pairs_}, *bridge_);
      if (!stream.ok()) {
        throw common::ConfigError("BINANCE_WS_URL: " +
                                  std::string(stream.status().message()));
      }
      stream_ = std::move(*stream);
    }
    if (!config.coingecko_url.empty() && config.coingecko_refresh.count() > 0) {
      providers::CoinGeckoOptions options{.base_url = config.coingecko_url};
      if (!config.coingecko_api_key.empty()) {
        options.plan = config.coingecko_api_plan == "pro"
                           ? providers::CoinGeckoPlan::kPro
                           : providers::CoinGeckoPlan::kDemo;
        options.api_key = config.coingecko_api_key;
      }
      absl::StatusOr<std::unique_ptr<providers::CoinGeckoClient>> gecko =
          providers::CoinGeckoClient::Create(std::move(options));
      if (!gecko.ok()) {
        throw common::ConfigError("COINGECKO_URL: " +
                                  std::string(gecko.status().message()));
      }
      coingecko_ = std::move(*gecko);
    }
  }

  ~Feed() { Stop(); }

  void Start() {
    if (stream_ != nullptr) {
      stream_->Start();
    } else {
      common::LogWarn(
          "BINANCE_WS_URL is not set: no live feed; prices stay unavailable");
    }
    if (filler_ != nullptr && config_.startup_backfill_days > 0) {
      const int64_t now = common::WallClockMs();
      const int64_t from = now - config_.startup_backfill_days * kDayMs;
      for (const std::string& pair : pairs_) {
        worker_.Post("start-up backfill " + pair,
                     [this, pair, from, now] { FillMissing(pair, from, now); });
      }
    }
    if (filler_ != nullptr) ScheduleSweep();
    if (coingecko_ != nullptr) {
      worker_.Post("coingecko refresh", [this] { RefreshCatalogue(); });
    }
    ScheduleStatusLog();
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    if (stream_ != nullptr) stream_->Stop();
    // Unblocks a request the worker may be waiting on.
    if (history_ != nullptr) history_->Shutdown();
    if (coingecko_ != nullptr) coingecko_->Shutdown();
    worker_.Stop();
  }

 private:
  using Clock = feed::BackgroundWorker::Clock;
  // The periodic sweep looks this far back for holes; it leaves out the
  // newest minutes, which may still wait in the recorder's flush buffer.
  static constexpr int64_t kSweepWindowMs = 2 * 60 * kMinuteMs;
  static constexpr int64_t kSweepLagMs = 3 * kMinuteMs;
  static constexpr std::chrono::minutes kSweepEvery{10};
  static constexpr std::chrono::seconds kStatusEvery{60};
  // A gap is repaired at most this far back with a full refetch; older
  // parts only get their missing minutes.
  static constexpr int64_t kMaxRefetchMs = kDayMs;

  void FillMissing(const std::string& pair, int64_t from, int64_t to) {
    const feed::FillResult result = filler_->FillMissing(pair, from, to);
    if (result.candles_written > 0) {
      common::LogInfo("filled missing candles",
                      {{"pair", pair}, {"candles", result.candles_written}});
    }
  }

  // Called on the stream's network thread: only schedules. The repair runs
  // once the minute in which the connection came back has closed, so that
  // its exchange kline replaces the candle built from the trades after the
  // reconnect.
  void ScheduleGapRepair(const std::string& pair, int64_t from, int64_t to) {
    if (filler_ == nullptr) {
      common::LogWarn("feed gap not repaired: BINANCE_REST_URL is not set",
                      {{"pair", pair}, {"from_ms", from}, {"to_ms", to}});
      return;
    }
    const int64_t end = AlignToInterval(to, Interval::k1m) + kMinuteMs;
    const int64_t wait_ms =
        std::max<int64_t>(0, end - common::WallClockMs()) + 3000;
    worker_.PostAt(Clock::now() + std::chrono::milliseconds(wait_ms),
                   "gap repair " + pair, [this, pair, from, end] {
                     const int64_t refetch_from =
                         std::max(from, end - kMaxRefetchMs);
                     if (refetch_from > from)
                       FillMissing(pair, from, refetch_from);
                     const feed::FillResult result =
                         filler_->Refetch(pair, refetch_from, end);
                     common::LogInfo("feed gap repaired from REST klines",
                                     {{"pair", pair},
                                      {"from_ms", from},
                                      {"to_ms", end},
                                      {"candles", result.candles_written}});
                   });
  }

  void ScheduleSweep() {
    worker_.PostAt(Clock::now() + kSweepEvery, "gap sweep", [this] {
      const int64_t to = common::WallClockMs() - kSweepLagMs;
      for (const std::string& pair : pairs_) {
        try {
          FillMissing(pair, to - kSweepWindowMs, to);
        } catch (const std::exception& error) {
          common::LogWarn("gap sweep failed",
                          {{"pair", pair}, {"error", error.what()}});
        }
      }
      ScheduleSweep();
    });
  }

  void RefreshCatalogue() {
    // Re-posted first, so that a failure does not end the refreshes.
    worker_.PostAt(Clock::now() + config_.coingecko_refresh,
                   "coingecko refresh", [this] { RefreshCatalogue(); });
    std::vector<std::string> ids;
    for (const auto& asset : assets_) ids.push_back(asset.coingecko_id);
    absl::StatusOr<parsers::Batch<parsers::CoinMarket>> markets =
        coingecko_->GetCoinsMarkets("usd", ids,
                                    providers::CoinGeckoClient::kMaxPerPage);
    if (!markets.ok()) {
      common::LogWarn("CoinGecko refresh failed; keeping the catalogue",
                      {{"error", markets.status().ToString()}});
      return;
    }
    std::vector<storage::AssetMarketData> updates;
    for (const parsers::CoinMarket& coin : markets->items) {
      storage::AssetMarketData update{.coingecko_id = coin.id,
                                      .logo_url = coin.image};
      if (coin.market_cap_rank.has_value() && *coin.market_cap_rank > 0 &&
          *coin.market_cap_rank <= INT32_MAX) {
        update.rank = static_cast<int32_t>(*coin.market_cap_rank);
      }
      if (coin.market_cap.has_value() && coin.market_cap->IsPositive()) {
        update.market_cap_usd = coin.market_cap->ToString();
      }
      if (coin.circulating_supply.has_value() &&
          coin.circulating_supply->IsPositive()) {
        update.circulating_supply = coin.circulating_supply->ToString();
      }
      updates.push_back(std::move(update));
    }
    const int64_t changed = repository_.UpdateAssetMarketData(updates);
    common::LogInfo(
        "catalogue refreshed from CoinGecko",
        {{"coins", static_cast<int64_t>(updates.size())},
         {"rows_changed", changed},
         {"rejected", static_cast<int64_t>(markets->rejected.size())}});
  }

  // Health in the log: whether the feed is connected, how many prices are
  // fresh, and what was skipped.
  void ScheduleStatusLog() {
    worker_.PostAt(Clock::now() + kStatusEvery, "status log", [this] {
      const market::MarketStateStats state = market_.stats();
      const market::CandleRecorderStats candles = recorder_.stats();
      int64_t rejected = 0, gaps = 0, messages = 0;
      if (stream_ != nullptr) {
        const providers::StreamStats stream = stream_->stats();
        for (const auto& [reason, count] : stream.rejected) rejected += count;
        gaps = stream.gaps_reported;
        messages = stream.messages;
      }
      const int64_t fresh = static_cast<int64_t>(market_.FreshAssetCount());
      const int64_t total = static_cast<int64_t>(market_.assets().size());
      common::Log(
          fresh == total ? common::LogLevel::kInfo : common::LogLevel::kWarn,
          "market feed status",
          {{"connected", bridge_->connected()},
           {"fresh_assets", fresh},
           {"assets", total},
           {"stream_messages", messages},
           {"stream_rejected", rejected},
           {"gaps", gaps},
           {"ticks_applied", state.ticks_applied},
           {"invalid", state.invalid},
           {"out_of_order", state.out_of_order},
           {"candles_written", candles.candles_written},
           {"candle_flush_failures", candles.flush_failures},
           {"candles_buffered", static_cast<int64_t>(candles.buffered)},
           {"background_failures", worker_.failures()}});
      ScheduleStatusLog();
    });
  }

  const Config& config_;
  const std::vector<std::string> pairs_;
  const std::vector<storage::AssetRecord> assets_;
  market::MarketState& market_;
  market::CandleRecorder& recorder_;
  storage::PricingRepository& repository_;
  std::unique_ptr<feed::BinanceHistorySource> history_;
  std::unique_ptr<feed::HistoryFiller> filler_;
  std::unique_ptr<providers::CoinGeckoClient> coingecko_;
  std::unique_ptr<feed::FeedBridge> bridge_;
  std::unique_ptr<providers::BinanceStreamClient> stream_;
  // Last: its tasks use everything above.
  feed::BackgroundWorker worker_;
  bool stopped_ = false;
};

int Serve(const Config& config) {
  common::ConnectionPool pool(config.database.ConnectionString(),
                              config.database.pool_size);
  common::ApplyMigrationsWithRetry(pool, kServiceName,
                                   migrations::Migrations());
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

  stream::PriceCache prices(market);
  stream::PriceStreamHub streams(market, prices, {});
  // Database work of the calls; declared before the server so that it
  // outlives the server's drain (queued calls still finish).
  common::BlockingExecutor blocking(config.database.pool_size,
                                    kMaxQueuedDatabaseCalls);
  handler::PricingHandler service(market, prices, blocking, repository,
                                  &recorder, streams,
                                  {.candle_cache_ttl = config.candle_cache});

  Feed feed(config, market.RequiredPairs(), assets, sink, market, recorder,
            repository);
  recorder.Start();
  streams.Start();
  feed.Start();

  common::ServerOptions options;
  options.port = config.server.grpc_port;
  options.shutdown_grace = config.server.shutdown_grace;
  options.service_name = kServiceName;
  common::GrpcServer server(options, {&service});
  // Hashed once: the probe runs every few seconds.
  const common::MigrationChecksums schema =
      common::ChecksumsOf(migrations::Migrations());
  server.SetReadinessCheck([&pool, &schema] {
    return pool.Ping() && common::MigrationsUpToDate(pool, schema);
  });
  common::LogInfo("starting",
                  {{"grpc_port", config.server.grpc_port},
                   {"assets", static_cast<int64_t>(assets.size())},
                   {"price_stale_seconds", config.price_stale_after.count()}});
  server.Run();
  feed.Stop();
  streams.Stop();
  recorder.Stop();
  common::LogInfo("stopped",
                  {{"candles_written", recorder.stats().candles_written}});
  return EXIT_SUCCESS;
}

int Rollup(const Config& config) {
  common::ConnectionPool pool(config.database.ConnectionString(), 2);
  common::ApplyMigrationsWithRetry(pool, kServiceName,
                                   migrations::Migrations());
  storage::PricingRepository repository(pool);
  const int64_t now = common::WallClockMs();
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
  std::unique_ptr<market::HistorySource> source = MakeBinanceHistory(config);
  if (source == nullptr) {
    common::LogError("backfill needs BINANCE_REST_URL");
    return 2;
  }
  common::ConnectionPool pool(config.database.ConnectionString(), 2);
  common::ApplyMigrationsWithRetry(pool, kServiceName,
                                   migrations::Migrations());
  storage::PricingRepository repository(pool);
  feed::HistoryFiller filler(
      *source, repository,
      [&repository](const std::string& pair, int64_t from, int64_t to) {
        return repository.StoredOpenTimes(pair, Interval::k1m, from, to);
      },
      common::WallClockMs);
  const int64_t now = common::WallClockMs();
  const int64_t from = now - int64_t{config.backfill_days} * kDayMs;
  int failures = 0;
  for (const std::string& pair :
       PairsOf(TrackedAssets(repository, config), true)) {
    try {
      const feed::FillResult result = filler.FillMissing(pair, from, now);
      common::LogInfo("backfilled", {{"pair", pair},
                                     {"candles", result.candles_written},
                                     {"requests", result.ranges_fetched}});
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
