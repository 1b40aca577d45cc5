// Integration test: LiveIngest against the exchange simulator (in process)
// and a real PostgreSQL database (TEST_DATABASE_URL, see
// docs/conventions.md): what `serve` gets from it within seconds of start.
#include "services/pricing-service/ingest/live_ingest.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/ingest/tracked_assets.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/tick_sink.h"
#include "services/pricing-service/storage/pricing_repository.h"
#include "services/pricing-service/storage/test_database.h"
#include "testing/exchange-sim/simulator.h"

namespace cryptotracker::pricing::ingest {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

// Polls `done` until it holds or `limit` passes.
bool Eventually(const std::function<bool()>& done,
                std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

const storage::AssetRecord* Find(
    const std::vector<storage::AssetRecord>& assets,
    const std::string& symbol) {
  for (const storage::AssetRecord& asset : assets) {
    if (asset.symbol == symbol) return &asset;
  }
  return nullptr;
}

class LiveIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exchange_sim::SimulatorOptions options;
    options.tick_rate = 4;
    simulator_ = std::make_unique<exchange_sim::ExchangeSimulator>(options);
    simulator_->Start();
    database_ = std::make_unique<storage::TestDatabase>("pricing_ingest");
    repository_ = &database_->repository();
  }
  void TearDown() override {
    database_.reset();
    simulator_->Stop();
  }

  LiveIngestOptions Options() const {
    const std::string host = "127.0.0.1:" + std::to_string(simulator_->port());
    return {.binance_rest_url = "http://" + host,
            .binance_ws_url = "ws://" + host,
            .coingecko_url = "http://" + host + "/api/v3",
            // A day of minutes, three of hours, 400 of days: the deep
            // default is the manual run's (see the report's figures).
            .history_depth = {.daily_since_ms = started_ - 400 * kDayMs,
                              .four_hour_days = 0,
                              .hourly_days = 3,
                              .one_minute_days = 1},
            .history_weight_per_minute = 6000};
  }

  const int64_t started_ = common::WallClockMs();
  std::unique_ptr<exchange_sim::ExchangeSimulator> simulator_;
  std::unique_ptr<storage::TestDatabase> database_;
  storage::PricingRepository* repository_ = nullptr;
};

TEST_F(LiveIngestTest, StreamsPricesFillsTheHistoryAndRefreshesTheCatalogue) {
  const std::vector<storage::AssetRecord> assets =
      TrackedAssets(repository_->ListAssets(), {"BTC", "ETH"});
  ASSERT_EQ(Find(assets, "BTC")->logo_url, "");  // the seed has none
  std::vector<market::TrackedAsset> tracked;
  for (const storage::AssetRecord& asset : assets) {
    tracked.push_back({asset.symbol, asset.pair});
  }
  market::MarketState market(std::move(tracked), {});
  market::CandleRecorder recorder(*repository_,
                                  PairsOf(assets, /*with_rates=*/true),
                                  {.flush_interval = std::chrono::seconds(1)});
  market::TickFanout sink({&market, &recorder});
  LiveIngest ingest(Options(), market.RequiredPairs(), assets, sink, market,
                    recorder, *repository_);
  const int64_t started = common::WallClockMs();
  recorder.Start();
  ingest.Start();

  // Trades from the stream make both prices fresh.
  EXPECT_TRUE(Eventually([&] { return market.FreshAssetCount() == 2; }));
  // The start-up history fill stores the closed minutes of the last day,
  // and the exchange's hours and days.
  const int64_t day_start = domain::AlignToInterval(
      started - 24 * 60 * kMinuteMs, domain::Interval::k1m);
  const size_t day_minutes = static_cast<size_t>(
      (domain::AlignToInterval(started, domain::Interval::k1m) - day_start) /
      kMinuteMs);
  for (const std::string& pair : market.RequiredPairs()) {
    EXPECT_TRUE(Eventually([&] {
      return repository_
                 ->StoredOpenTimes(pair, domain::Interval::k1m, day_start,
                                   started - kMinuteMs)
                 .size() >= day_minutes - 1;
    })) << pair;
    EXPECT_TRUE(Eventually([&] {
      return repository_
                 ->StoredOpenTimes(pair, domain::Interval::k1h,
                                   started - 3 * kDayMs, started)
                 .size() >= 3 * 24 - 1;
    })) << pair;
    EXPECT_TRUE(Eventually([&] {
      return repository_
                 ->StoredOpenTimes(pair, domain::Interval::k1d,
                                   started - 401 * kDayMs, started)
                 .size() >= 399;
    })) << pair;
  }
  // The CoinGecko refresh writes logo and market capitalisation.
  EXPECT_TRUE(Eventually([&] {
    const std::vector<storage::AssetRecord> now = repository_->ListAssets();
    const storage::AssetRecord* btc = Find(now, "BTC");
    return btc != nullptr && !btc->logo_url.empty() &&
           !btc->market_cap_usd.empty();
  }));

  ingest.Stop();
  recorder.Stop();
  // Stopped: nothing reaches the market any more.
  const int64_t ticks = market.stats().ticks_applied;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(market.stats().ticks_applied, ticks);
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
