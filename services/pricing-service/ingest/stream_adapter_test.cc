#include "services/pricing-service/ingest/stream_adapter.h"

#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pricing-service/ingest/test_candles.h"

namespace cryptotracker::pricing::ingest {
namespace {

using ::testing::ElementsAre;

// Records what reaches the service side.
class RecordingSink final : public market::TickSink {
 public:
  void OnTick(const domain::Tick& tick, std::string_view source) override {
    ticks.push_back(tick.symbol + "@" + tick.price.ToString() + "/" +
                    std::string(source));
  }
  void OnTicker(const market::MarketTicker& ticker,
                std::string_view source) override {
    tickers.push_back(ticker);
    sources.emplace_back(source);
  }
  void OnClosedCandle(const domain::Candle& candle, std::string_view) override {
    candles.push_back(candle);
  }
  std::vector<std::string> ticks;
  std::vector<market::MarketTicker> tickers;
  std::vector<std::string> sources;
  std::vector<domain::Candle> candles;
};

TEST(StreamAdapterTest, ForwardsTradesTickersAndOnlyClosedMinuteKlines) {
  RecordingSink sink;
  std::vector<std::string> gaps;
  StreamAdapter adapter(
      sink, "binance", [&](const std::string& pair, int64_t from, int64_t to) {
        gaps.push_back(pair + ":" + std::to_string(to - from));
      });
  adapter.OnTrade(domain::Tick{.symbol = "BTCUSDT",
                               .price = D("97000.12"),
                               .quantity = D("0.5"),
                               .time_ms = kT0,
                               .trade_id = 7});
  providers::Ticker ticker;
  ticker.symbol = "ETHUSDT";
  ticker.event_time_ms = kT0 + 5;
  ticker.close = D("3400.5");
  ticker.open = D("3300");
  ticker.high = D("3450");
  ticker.low = D("3290.25");
  ticker.base_volume = D("1000");
  ticker.quote_volume = D("3400000");
  adapter.OnTicker(ticker);
  adapter.OnKline(Minute("BTCUSDT", kT0, /*closed=*/false));
  adapter.OnKline(Minute("BTCUSDT", kT0, /*closed=*/true));
  domain::Candle hourly = Minute("BTCUSDT", kT0);
  hourly.interval = domain::Interval::k1h;
  adapter.OnKline(hourly);
  adapter.OnGap("SOLUSDT", kT0, kT0 + 90'000);

  EXPECT_THAT(sink.ticks, ElementsAre("BTCUSDT@97000.12/binance"));
  ASSERT_EQ(sink.tickers.size(), 1u);
  EXPECT_EQ(sink.tickers[0].pair, "ETHUSDT");
  EXPECT_EQ(sink.tickers[0].last_price, D("3400.5"));
  EXPECT_EQ(sink.tickers[0].low, D("3290.25"));
  EXPECT_EQ(sink.tickers[0].quote_volume, D("3400000"));
  EXPECT_EQ(sink.tickers[0].event_time_ms, kT0 + 5);
  EXPECT_THAT(sink.sources, ElementsAre("binance"));
  ASSERT_EQ(sink.candles.size(), 1u);
  EXPECT_TRUE(sink.candles[0].closed);
  EXPECT_THAT(gaps, ElementsAre("SOLUSDT:90000"));
}

TEST(StreamAdapterTest, TracksConnectionState) {
  RecordingSink sink;
  StreamAdapter adapter(sink, "binance", nullptr);
  EXPECT_FALSE(adapter.connected());
  adapter.OnStatus(true, "subscribed");
  EXPECT_TRUE(adapter.connected());
  adapter.OnStatus(false, "closed by server");
  adapter.OnStatus(false, "connect failed");
  EXPECT_FALSE(adapter.connected());
  adapter.OnStatus(true, "subscribed");
  EXPECT_TRUE(adapter.connected());
}

TEST(StreamAdapterTest, GapWithoutHandlerReachesNothing) {
  RecordingSink sink;
  StreamAdapter adapter(sink, "binance", nullptr);
  adapter.OnGap("BTCUSDT", 1, 2);
  EXPECT_TRUE(sink.ticks.empty());
  EXPECT_TRUE(sink.candles.empty());
}

}  // namespace
}  // namespace cryptotracker::pricing::ingest
