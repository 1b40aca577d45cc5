#include "services/pricing-service/market/market_state.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::market {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

class RecordingSubscriber : public PriceSubscriber {
 public:
  void OnAssetUpdated(size_t asset_index, PriceChange change) override {
    std::lock_guard lock(mu);
    updates.push_back(asset_index);
    changes.push_back(change);
  }
  void OnRateUpdated(RatePair rate, PriceChange change) override {
    std::lock_guard lock(mu);
    rates.push_back(rate);
    rate_changes.push_back(change);
  }
  std::mutex mu;
  std::vector<size_t> updates;
  std::vector<PriceChange> changes;
  std::vector<RatePair> rates;
  std::vector<PriceChange> rate_changes;
};

class MarketStateTest : public ::testing::Test {
 protected:
  MarketStateTest()
      : state_({{"BTC", "BTCUSDT"}, {"ETH", "ETHUSDT"}},
               {.stale_after = std::chrono::seconds(60),
                .clock = [this] { return now_ms_.load(); }}) {}

  domain::Tick MakeTick(const char* pair, const char* price, int64_t time_ms) {
    return domain::Tick{pair, D(price), D("0.5"), time_ms, std::nullopt};
  }

  std::atomic<int64_t> now_ms_{1'700'000'000'000};
  MarketState state_;
};

TEST_F(MarketStateTest, TickSetsLastPriceSourceAndTimes) {
  EXPECT_EQ(state_.AssetState(0), nullptr);
  state_.OnTick(MakeTick("BTCUSDT", "64250.12", 1'699'999'999'000), "binance");
  const auto btc = state_.AssetState(0);
  ASSERT_NE(btc, nullptr);
  EXPECT_EQ(btc->last_price, D("64250.12"));
  EXPECT_EQ(btc->source, "binance");
  EXPECT_EQ(btc->source_time_ms, 1'699'999'999'000);
  EXPECT_EQ(btc->received_time_ms, now_ms_.load());
  EXPECT_FALSE(btc->open_24h.has_value());
  EXPECT_EQ(state_.AssetState(1), nullptr);
}

TEST_F(MarketStateTest, RejectsUnknownPairsInvalidAndOutOfOrderTicks) {
  state_.OnTick(MakeTick("XYZUSDT", "1", 1000), "binance");
  state_.OnTick(MakeTick("ETHUSDT", "0", 1000), "binance");
  state_.OnTick(MakeTick("ETHUSDT", "-3", 1000), "binance");
  state_.OnTick(MakeTick("ETHUSDT", "3000", 2000), "binance");
  state_.OnTick(MakeTick("ETHUSDT", "2900", 1500), "binance");  // older
  EXPECT_EQ(state_.AssetState(1)->last_price, D("3000"));
  const MarketStateStats stats = state_.stats();
  EXPECT_EQ(stats.unknown_pair, 1);
  EXPECT_EQ(stats.invalid, 2);
  EXPECT_EQ(stats.out_of_order, 1);
  EXPECT_EQ(stats.ticks_applied, 1);
}

TEST_F(MarketStateTest, TickerSetsStatisticsAndTradesWidenTheRange) {
  MarketTicker ticker{"BTCUSDT", D("100"),  D("90"),    D("110"),
                      D("80"),   D("1000"), D("95000"), 5000};
  state_.OnTicker(ticker, "binance");
  state_.OnTick(MakeTick("BTCUSDT", "120", 6000), "binance");
  auto btc = state_.AssetState(0);
  EXPECT_EQ(btc->last_price, D("120"));
  EXPECT_EQ(*btc->open_24h, D("90"));
  EXPECT_EQ(*btc->high_24h, D("120"));
  EXPECT_EQ(*btc->low_24h, D("80"));
  // A ticker older than the last trade keeps the trade's price.
  ticker.event_time_ms = 5500;
  ticker.high = D("111");
  state_.OnTicker(ticker, "binance");
  btc = state_.AssetState(0);
  EXPECT_EQ(btc->last_price, D("120"));
  EXPECT_EQ(*btc->high_24h, D("120"));
}

TEST_F(MarketStateTest, InconsistentTickerIsRejected) {
  state_.OnTicker(
      {"BTCUSDT", D("100"), D("90"), D("80"), D("110"), D("1"), D("1"), 5000},
      "binance");
  EXPECT_EQ(state_.AssetState(0), nullptr);
  EXPECT_EQ(state_.stats().invalid, 1);
}

TEST_F(MarketStateTest, StalenessFollowsOurClockAndIsPublishedOnChange) {
  auto subscriber = std::make_shared<RecordingSubscriber>();
  state_.broadcaster().Subscribe(subscriber);
  state_.OnTick(MakeTick("ETHUSDT", "3000", 1000), "binance");
  EXPECT_EQ(subscriber->updates, std::vector<size_t>{1});
  EXPECT_FALSE(state_.IsStale(*state_.AssetState(1), now_ms_.load()));
  EXPECT_EQ(state_.FreshAssetCount(), 1u);

  now_ms_ += 61'000;
  EXPECT_TRUE(state_.IsStale(*state_.AssetState(1), now_ms_.load()));
  state_.PublishStalenessChanges();
  state_.PublishStalenessChanges();  // no change the second time
  EXPECT_EQ(subscriber->updates, (std::vector<size_t>{1, 1}));
  EXPECT_EQ(state_.FreshAssetCount(), 0u);

  state_.broadcaster().Unsubscribe(subscriber.get());
  state_.OnTick(MakeTick("ETHUSDT", "3001", 2000), "binance");
  EXPECT_EQ(subscriber->updates.size(), 2u);
}

TEST_F(MarketStateTest, CrossRateMovesAndStalenessArePublishedAsRates) {
  auto subscriber = std::make_shared<RecordingSubscriber>();
  state_.broadcaster().Subscribe(subscriber);
  // EURUSDT has no asset: only the rate notice tells EUR streams.
  state_.OnTick(MakeTick("EURUSDT", "1.08", 1000), "binance");
  EXPECT_TRUE(subscriber->updates.empty());
  EXPECT_EQ(subscriber->rates, std::vector<RatePair>{RatePair::kEurUsdt});
  // BTCUSDT is both the BTC asset and the BTC rate.
  state_.OnTick(MakeTick("BTCUSDT", "64000", 1000), "binance");
  EXPECT_EQ(subscriber->updates, std::vector<size_t>{0});
  EXPECT_EQ(subscriber->rates,
            (std::vector<RatePair>{RatePair::kEurUsdt, RatePair::kBtcUsdt}));

  now_ms_ += 61'000;
  state_.PublishStalenessChanges();
  EXPECT_EQ(subscriber->updates, (std::vector<size_t>{0, 0}));
  EXPECT_EQ(subscriber->rates.size(), 4u);
  state_.broadcaster().Unsubscribe(subscriber.get());
}

TEST_F(MarketStateTest, TickersThatLeaveThePriceAreStatisticsOnly) {
  auto subscriber = std::make_shared<RecordingSubscriber>();
  state_.broadcaster().Subscribe(subscriber);
  using enum PriceChange;
  state_.OnTick(MakeTick("BTCUSDT", "100", 1000), "binance");
  state_.OnTick(MakeTick("BTCUSDT", "100", 2000), "binance");  // same price
  // A ticker with the last trade's price only brings 24-hour figures.
  state_.OnTicker(
      {"BTCUSDT", D("100"), D("90"), D("110"), D("80"), D("1"), D("100"), 2500},
      "binance");
  // A ticker with a newer price moves it.
  state_.OnTicker(
      {"BTCUSDT", D("102"), D("90"), D("110"), D("80"), D("1"), D("100"), 3000},
      "binance");
  const std::vector<PriceChange> expected{kPrice, kPrice, kStatisticsOnly,
                                          kPrice};
  EXPECT_EQ(subscriber->changes, expected);
  EXPECT_EQ(subscriber->rate_changes, expected);  // BTCUSDT is the BTC rate

  // The same price after the old one went stale is news: it is fresh again.
  now_ms_ += 61'000;
  state_.OnTicker({"BTCUSDT", D("102"), D("90"), D("110"), D("80"), D("1"),
                   D("100"), 70'000},
                  "binance");
  EXPECT_EQ(subscriber->changes.back(), kPrice);
  state_.broadcaster().Unsubscribe(subscriber.get());
}

TEST_F(MarketStateTest, RequiredPairsIncludeCrossRatePairsOnce) {
  const std::vector<std::string> pairs = state_.RequiredPairs();
  EXPECT_EQ(pairs, (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "EURUSDT"}));
  EXPECT_EQ(state_.FindAsset("ETH"), std::optional<size_t>(1));
  EXPECT_EQ(state_.FindAsset("eth"), std::nullopt);  // callers upper-case
}

TEST_F(MarketStateTest, ConcurrentWritersAndReadersSeeWholeStates) {
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      const auto state = state_.AssetState(0);
      if (state == nullptr) continue;
      // Every published state has its price and time from the same tick.
      EXPECT_EQ(state->last_price,
                common::Decimal::FromInteger(state->source_time_ms));
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 1; i <= 2000; ++i) {
        const int64_t time = i * 2 + w;
        state_.OnTick({"BTCUSDT", common::Decimal::FromInteger(time), D("1"),
                       time, std::nullopt},
                      "binance");
      }
    });
  }
  for (auto& writer : writers) writer.join();
  stop = true;
  reader.join();
  EXPECT_EQ(state_.AssetState(0)->source_time_ms, 4001);
}

}  // namespace
}  // namespace cryptotracker::pricing::market
