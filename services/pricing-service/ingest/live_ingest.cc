#include "services/pricing-service/ingest/live_ingest.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/config_error.h"
#include "services/common/logging.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/ingest/catalogue_update.h"

namespace cryptotracker::pricing::ingest {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;
// The periodic sweep looks this far back for holes; it leaves out the
// newest minutes, which may still wait in the recorder's flush buffer.
constexpr int64_t kSweepWindowMs = 2 * 60 * kMinuteMs;
constexpr int64_t kSweepLagMs = 3 * kMinuteMs;
constexpr std::chrono::minutes kSweepEvery{10};
constexpr std::chrono::seconds kStatusEvery{60};
// A gap is repaired at most this far back with a full refetch; older parts
// only get their missing minutes.
constexpr int64_t kMaxRefetchMs = kDayMs;

}  // namespace

LiveIngest::LiveIngest(LiveIngestOptions options,
                       std::vector<std::string> pairs,
                       std::vector<storage::AssetRecord> assets,
                       market::TickSink& sink, market::MarketState& market,
                       market::CandleRecorder& recorder,
                       storage::PricingRepository& repository)
    : options_(std::move(options)),
      pairs_(std::move(pairs)),
      assets_(std::move(assets)),
      market_(market),
      recorder_(recorder),
      repository_(repository) {
  history_ = MakeBinanceHistory(options_.binance_rest_url,
                                options_.history_weight_per_minute);
  if (history_ != nullptr) {
    filler_ = std::make_unique<HistoryFiller>(
        RepositoryHistoryFiller(*history_, repository_));
  }
  adapter_ = std::make_unique<StreamAdapter>(
      sink, "binance",
      [this](const std::string& pair, int64_t from, int64_t to) {
        ScheduleGapRepair(pair, from, to);
      });
  if (!options_.binance_ws_url.empty()) {
    absl::StatusOr<std::unique_ptr<providers::BinanceStreamClient>> stream =
        providers::BinanceStreamClient::Create(
            {.base_url = options_.binance_ws_url, .symbols = pairs_},
            *adapter_);
    if (!stream.ok()) {
      throw common::ConfigError("BINANCE_WS_URL: " +
                                std::string(stream.status().message()));
    }
    stream_ = std::move(*stream);
  }
  if (!options_.coingecko_url.empty() &&
      options_.coingecko_refresh.count() > 0) {
    providers::CoinGeckoOptions client_options{.base_url =
                                                   options_.coingecko_url};
    if (!options_.coingecko_api_key.empty()) {
      client_options.plan = options_.coingecko_plan;
      client_options.api_key = options_.coingecko_api_key;
    }
    absl::StatusOr<std::unique_ptr<providers::CoinGeckoClient>> gecko =
        providers::CoinGeckoClient::Create(std::move(client_options));
    if (!gecko.ok()) {
      throw common::ConfigError("COINGECKO_URL: " +
                                std::string(gecko.status().message()));
    }
    coingecko_ = std::move(*gecko);
  }
}

LiveIngest::~LiveIngest() { Stop(); }

void LiveIngest::Start() {
  if (stream_ != nullptr) {
    stream_->Start();
  } else {
    common::LogWarn(
        "BINANCE_WS_URL is not set: no exchange stream; prices stay "
        "unavailable");
  }
  if (filler_ != nullptr && options_.fill_history_at_startup) {
    history_fill_ = std::make_unique<HistoryFill>(
        *filler_,
        PlanHistoryFill(pairs_, options_.history_depth, common::WallClockMs()),
        [this](const std::string& pair) {
          return repository_.OldestExchangeOpenTime(pair,
                                                    domain::Interval::k1d);
        });
    worker_.Post("start-up history fill", [this] { StepHistoryFill(); });
  }
  if (filler_ != nullptr) ScheduleSweep();
  if (coingecko_ != nullptr) {
    worker_.Post("coingecko refresh", [this] { RefreshCatalogue(); });
  }
  ScheduleStatusLog();
}

void LiveIngest::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (stream_ != nullptr) stream_->Stop();
  // Unblocks a request the worker may be waiting on.
  if (history_ != nullptr) history_->Shutdown();
  if (coingecko_ != nullptr) coingecko_->Shutdown();
  worker_.Stop();
}

void LiveIngest::StepHistoryFill() {
  if (!history_fill_->Step()) {
    const HistoryFillStats& stats = history_fill_->stats();
    common::LogInfo("start-up history fill done",
                    {{"requests", stats.requests},
                     {"candles", stats.candles_written},
                     {"failed_tasks", stats.failed_tasks}});
    return;
  }
  // Queued behind what is due already (a gap repair, the status log), so
  // the fill never holds them up for more than one request.
  worker_.Post("start-up history fill", [this] { StepHistoryFill(); });
}

void LiveIngest::FillMissing(const std::string& pair, int64_t from,
                             int64_t to) {
  const FillResult result =
      filler_->FillMissing(pair, domain::Interval::k1m, from, to);
  if (result.candles_written > 0) {
    common::LogInfo("filled missing candles",
                    {{"pair", pair}, {"candles", result.candles_written}});
  }
}

// Called on the stream's network thread: only schedules. The repair runs
// once the minute in which the connection came back has closed, so that its
// exchange kline replaces the candle built from the trades after the
// reconnect.
void LiveIngest::ScheduleGapRepair(const std::string& pair, int64_t from,
                                   int64_t to) {
  if (filler_ == nullptr) {
    common::LogWarn("stream gap not repaired: BINANCE_REST_URL is not set",
                    {{"pair", pair}, {"from_ms", from}, {"to_ms", to}});
    return;
  }
  const int64_t end =
      domain::AlignToInterval(to, domain::Interval::k1m) + kMinuteMs;
  const int64_t wait_ms =
      std::max<int64_t>(0, end - common::WallClockMs()) + 3000;
  worker_.PostAt(
      Clock::now() + std::chrono::milliseconds(wait_ms), "gap repair " + pair,
      [this, pair, from, end] {
        const int64_t refetch_from = std::max(from, end - kMaxRefetchMs);
        if (refetch_from > from) {
          FillMissing(pair, from, refetch_from);
        }
        const FillResult result = filler_->Refetch(pair, refetch_from, end);
        common::LogInfo("stream gap repaired from REST klines",
                        {{"pair", pair},
                         {"from_ms", from},
                         {"to_ms", end},
                         {"candles", result.candles_written}});
      });
}

void LiveIngest::ScheduleSweep() {
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

void LiveIngest::RefreshCatalogue() {
  // Re-posted first, so that a failure does not end the refreshes.
  worker_.PostAt(Clock::now() + options_.coingecko_refresh, "coingecko refresh",
                 [this] { RefreshCatalogue(); });
  std::vector<std::string> ids;
  for (const storage::AssetRecord& asset : assets_) {
    ids.push_back(asset.coingecko_id);
  }
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
    updates.push_back(ToAssetMarketData(coin));
  }
  const int64_t changed = repository_.UpdateAssetMarketData(updates);
  common::LogInfo(
      "catalogue refreshed from CoinGecko",
      {{"coins", static_cast<int64_t>(updates.size())},
       {"rows_changed", changed},
       {"rejected", static_cast<int64_t>(markets->rejected.size())}});
}

// Health in the log: whether the stream is connected, how many prices are
// fresh, and what was skipped.
void LiveIngest::ScheduleStatusLog() {
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
        "ingest status",
        {{"connected", adapter_->connected()},
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

}  // namespace cryptotracker::pricing::ingest
