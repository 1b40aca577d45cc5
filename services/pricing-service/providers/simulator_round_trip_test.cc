// The provider clients against //testing/exchange-sim running in-process on
// a free localhost port (the same code path as against the exchanges), and
// the simulator's wire format through the domain parsers.
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/pricing-service/parsers/binance_parse.h"
#include "services/pricing-service/parsers/coingecko_parse.h"
#include "services/pricing-service/providers/binance_rest_client.h"
#include "services/pricing-service/providers/binance_stream_client.h"
#include "services/pricing-service/providers/coingecko_client.h"
#include "testing/exchange-sim/simulator.h"
#include "testing/exchange-sim/wire_format.h"

namespace cryptotracker::pricing::providers {
namespace {

namespace sim = exchange_sim;
using std::chrono::milliseconds;

constexpr int64_t kMinute = 60'000;
// 2025-03-10T12:00:00Z.
constexpr int64_t kHistoryMs = 1'741'608'000'000;

common::Decimal Ticks(const sim::AssetSpec& asset, int64_t ticks) {
  absl::StatusOr<common::Decimal> value = common::Decimal::Parse(
      sim::FixedPoint{ticks, asset.price_decimals}.ToString());
  EXPECT_TRUE(value.ok());
  return *value;
}

// --- Wire format through the domain parsers -------------------------------

TEST(WireFormatRoundTripTest, EveryDocumentParsesToTheModelValues) {
  const sim::MarketModel model(5, 64);
  const int btc = model.FindPair("BTCUSDT");
  const sim::AssetSpec& asset = model.asset(btc);
  const int64_t now = kHistoryMs + 5 * kMinute + 30'000;
  const std::vector<sim::Trade> trades =
      model.TradesInMinute(btc, kHistoryMs + 5 * kMinute);

  // @trade in the combined envelope.
  const std::string trade_frame = sim::CombinedEnvelope(
      "btcusdt@trade", sim::TradeEvent(asset, trades[3], now));
  parsers::ParseResult<parsers::StreamMessage> trade =
      parsers::ParseStreamMessage(trade_frame);
  ASSERT_TRUE(trade.ok()) << trade.error().detail;
  const auto& trade_event = std::get<parsers::TradeEvent>(trade->events[0]);
  EXPECT_EQ(trade_event.trade_id, trades[3].id);
  EXPECT_EQ(trade_event.trade_time_ms, trades[3].time_ms);
  EXPECT_EQ(trade_event.price, Ticks(asset, trades[3].price_ticks));
  EXPECT_EQ(trade_event.buyer_is_maker, trades[3].buyer_is_maker);

  // @kline_1m, the 12-field REST row and the 1h aggregate agree.
  const sim::Bar minute =
      model.Aggregate(btc, kHistoryMs + 5 * kMinute, kMinute, now + kMinute);
  parsers::ParseResult<parsers::StreamMessage> kline =
      parsers::ParseStreamMessage(sim::CombinedEnvelope(
          "btcusdt@kline_1m",
          sim::KlineEvent(asset, minute, "1m", kMinute, true, now)));
  ASSERT_TRUE(kline.ok()) << kline.error().detail;
  const auto& kline_event = std::get<parsers::KlineEvent>(kline->events[0]);
  EXPECT_TRUE(kline_event.closed);
  EXPECT_EQ(kline_event.high, Ticks(asset, minute.high_ticks));
  EXPECT_EQ(kline_event.trade_count, 64);

  parsers::ParseResult<parsers::Batch<parsers::Kline>> rows =
      parsers::ParseKlines("[" + sim::KlineRow(asset, minute, kMinute) + "]");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->items.size(), 1u);
  const domain::Candle rest = parsers::KlineToCandle(
      rows->items[0], "BTCUSDT", domain::Interval::k1m, now + kMinute);
  domain::Candle stream = parsers::KlineEventToCandle(kline_event);
  EXPECT_EQ(rest, stream);

  // @miniTicker.
  const sim::Bar day = model.Aggregate(btc, now - 86'400'000, 86'400'000, now);
  parsers::ParseResult<parsers::StreamMessage> mini =
      parsers::ParseStreamMessage(sim::CombinedEnvelope(
          "btcusdt@miniTicker", sim::MiniTickerEvent(asset, day, now)));
  ASSERT_TRUE(mini.ok()) << mini.error().detail;
  EXPECT_EQ(std::get<parsers::MiniTickerEvent>(mini->events[0]).close,
            Ticks(asset, trades[31].price_ticks));

  // CoinGecko: numbers, not strings.
  parsers::ParseResult<parsers::Batch<parsers::CoinMarket>> coins =
      parsers::ParseCoinsMarkets(
          "[" + sim::CoinMarket(asset, day, 1.0, 1, now) + "]");
  ASSERT_TRUE(coins.ok());
  ASSERT_EQ(coins->items.size(), 1u) << coins->rejected[0].error.detail;
  EXPECT_EQ(coins->items[0].id, "bitcoin");
  EXPECT_EQ(coins->items[0].current_price, Ticks(asset, day.close_ticks));
  EXPECT_EQ(coins->items[0].last_updated_ms, now);
}

TEST(WireFormatRoundTripTest, EveryAssetsPricesParseExactly) {
  const sim::MarketModel model(77, 4);
  for (size_t i = 0; i < model.assets().size(); ++i) {
    const sim::AssetSpec& asset = model.asset(static_cast<int>(i));
    for (const sim::Trade& trade :
         model.TradesInMinute(static_cast<int>(i), kHistoryMs)) {
      parsers::ParseResult<parsers::StreamMessage> parsed =
          parsers::ParseStreamMessage(
              sim::TradeEvent(asset, trade, kHistoryMs));
      ASSERT_TRUE(parsed.ok()) << asset.pair << ": " << parsed.error().detail;
      const auto& event = std::get<parsers::TradeEvent>(parsed->events[0]);
      EXPECT_EQ(event.price, Ticks(asset, trade.price_ticks)) << asset.pair;
      EXPECT_TRUE(event.quantity.IsPositive()) << asset.pair;
    }
  }
}

// --- Clients against the running simulator --------------------------------

class SimulatorFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimulatorOptions options;
    options.seed = 1234;
    options.tick_rate = 8;  // 512 trades per minute
    options.ping_interval = milliseconds(300);
    options.kline_update_interval = milliseconds(500);
    options.ticker_interval = milliseconds(500);
    Configure(options);
    simulator_ = std::make_unique<sim::ExchangeSimulator>(options);
    simulator_->Start();
  }
  virtual void Configure(sim::SimulatorOptions&) {}

  std::string HttpUrl() const {
    return "http://127.0.0.1:" + std::to_string(simulator_->port());
  }
  std::string WsUrl() const {
    return "ws://127.0.0.1:" + std::to_string(simulator_->port());
  }

  std::unique_ptr<sim::ExchangeSimulator> simulator_;
};

TEST_F(SimulatorFixture, RestPagingCoversRangesLongerThanOnePage) {
  auto client = BinanceRestClient::Create({HttpUrl(), {}});
  ASSERT_TRUE(client.ok());
  const int64_t from = kHistoryMs;
  const int64_t to = kHistoryMs + 2500 * kMinute;  // three pages
  absl::StatusOr<std::vector<domain::Candle>> candles = (*client)->GetCandles(
      "ETHUSDT", domain::Interval::k1m, from, to, simulator_->NowMs());
  ASSERT_TRUE(candles.ok()) << candles.status();
  ASSERT_EQ(candles->size(), 2500u);
  const sim::MarketModel& model = simulator_->model();
  const int eth = model.FindPair("ETHUSDT");
  for (size_t i = 0; i < candles->size(); ++i) {
    const domain::Candle& candle = (*candles)[i];
    ASSERT_EQ(candle.open_time_ms, from + static_cast<int64_t>(i) * kMinute);
    EXPECT_TRUE(candle.closed);
    EXPECT_EQ(candle.trade_count, 512);
    if (i % 499 == 0) {
      const sim::Bar bar = model.Aggregate(eth, candle.open_time_ms, kMinute,
                                           simulator_->NowMs());
      EXPECT_EQ(candle.close, Ticks(model.asset(eth), bar.close_ticks));
      EXPECT_EQ(candle.low, Ticks(model.asset(eth), bar.low_ticks));
    }
  }

  // 90 days back, hourly: the backfill shape.
  absl::StatusOr<std::vector<domain::Candle>> hourly = (*client)->GetCandles(
      "BTCUSDT", domain::Interval::k1h, kHistoryMs - 90LL * 86'400'000,
      kHistoryMs - 89LL * 86'400'000, simulator_->NowMs());
  ASSERT_TRUE(hourly.ok()) << hourly.status();
  EXPECT_EQ(hourly->size(), 24u);

  absl::StatusOr<std::vector<parsers::Kline>> unknown =
      (*client)->GetKlines("NOPEUSDT", domain::Interval::k1m, from, to, 10);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SimulatorFixture, CoinMarketsParse) {
  auto gecko = CoinGeckoClient::Create(
      {HttpUrl() + "/api/v3", CoinGeckoPlan::kDemo, "sim-key", {}});
  ASSERT_TRUE(gecko.ok());
  absl::StatusOr<parsers::Batch<parsers::CoinMarket>> markets =
      (*gecko)->GetCoinsMarkets("usd", {}, 250, 1);
  ASSERT_TRUE(markets.ok()) << markets.status();
  // Every simulated coin: the 23 pairs but EURUSDT.
  EXPECT_EQ(markets->items.size(), 22u);
  EXPECT_TRUE(markets->rejected.empty());
  for (size_t i = 0; i < markets->items.size(); ++i) {
    EXPECT_EQ(markets->items[i].market_cap_rank, static_cast<int64_t>(i) + 1);
  }
  absl::StatusOr<parsers::Batch<parsers::CoinMarket>> eur =
      (*gecko)->GetCoinsMarkets("eur", {"ethereum"});
  ASSERT_TRUE(eur.ok()) << eur.status();
  ASSERT_EQ(eur->items.size(), 1u);
  EXPECT_EQ(eur->items[0].symbol, "eth");
}

// Records listener calls; every accessor is thread-safe.
class RecordingListener : public StreamListener {
 public:
  struct Gap {
    std::string symbol;
    int64_t from_ms;
    int64_t to_ms;
  };

  void OnTrade(const domain::Tick& tick) override {
    std::lock_guard<std::mutex> lock(mutex_);
    trades_.push_back(tick);
    changed_.notify_all();
  }
  void OnTicker(const Ticker& ticker) override {
    std::lock_guard<std::mutex> lock(mutex_);
    tickers_.push_back(ticker);
    changed_.notify_all();
  }
  void OnKline(const domain::Candle& candle) override {
    std::lock_guard<std::mutex> lock(mutex_);
    klines_.push_back(candle);
    changed_.notify_all();
  }
  void OnGap(std::string symbol, int64_t from_ms, int64_t to_ms) override {
    std::lock_guard<std::mutex> lock(mutex_);
    gaps_.push_back({std::move(symbol), from_ms, to_ms});
    changed_.notify_all();
  }
  void OnStatus(bool connected, std::string detail) override {
    std::lock_guard<std::mutex> lock(mutex_);
    statuses_.emplace_back(connected, std::move(detail));
    changed_.notify_all();
  }

  // Waits up to `timeout` for `condition` (evaluated under the lock).
  bool WaitFor(const std::function<bool()>& condition,
               milliseconds timeout = milliseconds(10'000)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, condition);
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<domain::Tick> trades_;
  std::vector<Ticker> tickers_;
  std::vector<domain::Candle> klines_;
  std::vector<Gap> gaps_;
  std::vector<std::pair<bool, std::string>> statuses_;
};

BinanceStreamOptions StreamOptions(const std::string& url) {
  BinanceStreamOptions options;
  options.base_url = url;
  options.symbols = {"BTCUSDT", "ETHUSDT"};
  options.initial_backoff = milliseconds(50);
  options.max_backoff = milliseconds(400);
  options.idle_timeout = milliseconds(5'000);
  return options;
}

TEST_F(SimulatorFixture, StreamDeliversTradesKlinesAndTickersInOrder) {
  RecordingListener listener;
  auto client = BinanceStreamClient::Create(StreamOptions(WsUrl()), listener);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->target(),
            "/stream?streams=btcusdt@trade/btcusdt@kline_1m/btcusdt@miniTicker/"
            "ethusdt@trade/ethusdt@kline_1m/ethusdt@miniTicker");
  (*client)->Start();
  ASSERT_TRUE(listener.WaitFor([&] {
    return listener.trades_.size() >= 50 && listener.klines_.size() >= 2 &&
           listener.tickers_.size() >= 2;
  }));
  (*client)->Stop();
  std::lock_guard<std::mutex> lock(listener.mutex_);
  ASSERT_FALSE(listener.statuses_.empty());
  EXPECT_TRUE(listener.statuses_.front().first);
  std::map<std::string, int64_t> last_id;
  const sim::MarketModel& model = simulator_->model();
  for (const domain::Tick& tick : listener.trades_) {
    ASSERT_TRUE(tick.trade_id.has_value());
    EXPECT_GT(*tick.trade_id, last_id[tick.symbol]);
    last_id[tick.symbol] = *tick.trade_id;
    // Live trades are the model's trades: history and live agree.
    const int asset = model.FindPair(tick.symbol);
    const int64_t minute = tick.time_ms - tick.time_ms % kMinute;
    bool found = false;
    for (const sim::Trade& trade : model.TradesInMinute(asset, minute)) {
      if (trade.id == *tick.trade_id) {
        found = true;
        EXPECT_EQ(tick.price, Ticks(model.asset(asset), trade.price_ticks));
      }
    }
    EXPECT_TRUE(found) << *tick.trade_id;
  }
  for (const domain::Candle& candle : listener.klines_) {
    EXPECT_EQ(candle.interval, domain::Interval::k1m);
    EXPECT_TRUE(candle.high >= candle.low);
  }
  const StreamStats stats = (*client)->stats();
  EXPECT_EQ(stats.connects, 1);
  EXPECT_GT(stats.pings_received, 0);
  EXPECT_TRUE(stats.rejected.empty());
  EXPECT_EQ(stats.duplicates, 0);
}

TEST_F(SimulatorFixture, ReconnectsAfterADropAndReportsTheGap) {
  RecordingListener listener;
  auto client = BinanceStreamClient::Create(StreamOptions(WsUrl()), listener);
  ASSERT_TRUE(client.ok());
  (*client)->Start();
  ASSERT_TRUE(listener.WaitFor([&] { return listener.trades_.size() >= 20; }));
  int64_t last_before = 0;
  {
    std::lock_guard<std::mutex> lock(listener.mutex_);
    for (const domain::Tick& tick : listener.trades_) {
      last_before = std::max(last_before, tick.time_ms);
    }
  }
  const int64_t dropped_at = simulator_->NowMs();
  simulator_->DropAllConnections();
  ASSERT_TRUE(listener.WaitFor([&] { return listener.gaps_.size() >= 2; }));
  const size_t trades_after_gap = [&] {
    std::lock_guard<std::mutex> lock(listener.mutex_);
    return listener.trades_.size();
  }();
  ASSERT_TRUE(listener.WaitFor(
      [&] { return listener.trades_.size() >= trades_after_gap + 20; }));
  (*client)->Stop();

  std::lock_guard<std::mutex> lock(listener.mutex_);
  std::set<std::string> symbols;
  for (const auto& gap : listener.gaps_) {
    symbols.insert(gap.symbol);
    EXPECT_LT(gap.from_ms, gap.to_ms);
    EXPECT_LE(gap.from_ms, dropped_at);
    EXPECT_GE(gap.to_ms, dropped_at);
    if (gap.symbol == "BTCUSDT" || gap.symbol == "ETHUSDT") {
      EXPECT_GE(gap.from_ms, last_before - 60'000);
    }
  }
  EXPECT_EQ(symbols, (std::set<std::string>{"BTCUSDT", "ETHUSDT"}));
  // connected, disconnected, connected again.
  ASSERT_GE(listener.statuses_.size(), 3u);
  EXPECT_TRUE(listener.statuses_[0].first);
  EXPECT_FALSE(listener.statuses_[1].first);
  EXPECT_TRUE(listener.statuses_[2].first);
  const StreamStats stats = (*client)->stats();
  EXPECT_EQ(stats.connects, 2);
  EXPECT_EQ(stats.disconnects, 1);
  EXPECT_EQ(stats.gaps_reported, 2);
  EXPECT_EQ(stats.duplicates + stats.out_of_order, 0);
}

TEST_F(SimulatorFixture, MalformedDuplicateAndOutOfOrderMessagesAreSkipped) {
  RecordingListener listener;
  BinanceStreamOptions options = StreamOptions(WsUrl());
  options.symbols = {"BTCUSDT"};
  options.klines = false;
  options.mini_tickers = false;
  auto client = BinanceStreamClient::Create(options, listener);
  ASSERT_TRUE(client.ok());
  (*client)->Start();
  ASSERT_TRUE(listener.WaitFor([&] { return listener.trades_.size() >= 5; }));
  const sim::MarketModel& model = simulator_->model();
  const int btc = model.FindPair("BTCUSDT");
  const int64_t now = simulator_->NowMs();
  // A trade from an hour ago: out of order. The latest trade: a duplicate.
  const sim::Trade old_trade =
      model.TradesInMinute(btc, now - now % kMinute - 3'600'000)[0];
  const sim::AssetSpec& asset = model.asset(btc);
  simulator_->InjectFrame("{\"stream\":\"btcusdt@trade\",\"data\":{");
  simulator_->InjectFrame("not json at all");
  simulator_->InjectFrame(sim::CombinedEnvelope(
      "btcusdt@trade",
      R"({"e":"trade","E":1712513371740,"s":"BTCUSDT","t":5,"p":"-1",)"
      R"("q":"1","T":1712513371739,"m":true})"));
  simulator_->InjectFrame(sim::CombinedEnvelope(
      "btcusdt@trade", sim::TradeEvent(asset, old_trade, now)));
  simulator_->InjectFrame(R"({"result":null,"id":1})");
  ASSERT_TRUE(listener.WaitFor([&] {
    const StreamStats s = (*client)->stats();
    int64_t rejected = 0;
    for (const auto& [reason, count] : s.rejected) rejected += count;
    return rejected >= 3 && s.out_of_order >= 1 && s.control_messages >= 1;
  }));
  // Now the duplicate: the newest trade delivered so far, sent again.
  domain::Tick newest;
  {
    std::lock_guard<std::mutex> lock(listener.mutex_);
    newest = listener.trades_.back();
  }
  const int64_t minute = newest.time_ms - newest.time_ms % kMinute;
  for (const sim::Trade& trade : model.TradesInMinute(btc, minute)) {
    if (trade.id == *newest.trade_id) {
      simulator_->InjectFrame(sim::CombinedEnvelope(
          "btcusdt@trade", sim::TradeEvent(asset, trade, now)));
    }
  }
  ASSERT_TRUE(listener.WaitFor([&] {
    return (*client)->stats().duplicates + (*client)->stats().out_of_order >= 2;
  }));
  // The stream kept going through all of it.
  const size_t seen = [&] {
    std::lock_guard<std::mutex> lock(listener.mutex_);
    return listener.trades_.size();
  }();
  ASSERT_TRUE(listener.WaitFor([&] { return listener.trades_.size() > seen; }));
  (*client)->Stop();
  const StreamStats stats = (*client)->stats();
  EXPECT_GE(stats.rejected.at("malformed_json"), 2);
  EXPECT_GE(stats.rejected.at("non_positive_price"), 1);
  EXPECT_EQ(stats.connects, 1);
  std::lock_guard<std::mutex> lock(listener.mutex_);
  for (const domain::Tick& tick : listener.trades_) {
    EXPECT_NE(*tick.trade_id, old_trade.id);
    EXPECT_TRUE(tick.price.IsPositive());
  }
}

class DailyDisconnectTest : public SimulatorFixture {
  void Configure(sim::SimulatorOptions& options) override {
    options.max_connection_age = milliseconds(1'000);  // "24 hours"
  }
};

TEST_F(DailyDisconnectTest, ServerCloseAfterMaxAgeIsFollowedByAReconnect) {
  RecordingListener listener;
  auto client = BinanceStreamClient::Create(StreamOptions(WsUrl()), listener);
  ASSERT_TRUE(client.ok());
  (*client)->Start();
  ASSERT_TRUE(listener.WaitFor([&] { return listener.gaps_.size() >= 4; }));
  (*client)->Stop();
  const StreamStats stats = (*client)->stats();
  EXPECT_GE(stats.connects, 3);
  std::lock_guard<std::mutex> lock(listener.mutex_);
  bool saw_close = false;
  for (const auto& [connected, detail] : listener.statuses_) {
    if (!connected &&
        detail.find("closed by server (code 1001") != std::string::npos) {
      saw_close = true;
    }
  }
  EXPECT_TRUE(saw_close);
}

TEST(StreamClientConfigTest, RejectsBadConfiguration) {
  RecordingListener listener;
  BinanceStreamOptions options = StreamOptions("http://127.0.0.1:1");
  EXPECT_EQ(BinanceStreamClient::Create(options, listener).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = StreamOptions("ws://127.0.0.1:1");
  options.symbols = {"btcusdt"};
  EXPECT_EQ(BinanceStreamClient::Create(options, listener).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.symbols = {};
  EXPECT_FALSE(BinanceStreamClient::Create(options, listener).ok());
  options.symbols = {"BTCUSDT"};
  options.trades = options.klines = options.mini_tickers = false;
  EXPECT_FALSE(BinanceStreamClient::Create(options, listener).ok());
}

TEST(StreamClientConfigTest, UnreachableServerBacksOffWithoutCrashing) {
  uint16_t port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(
        ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  RecordingListener listener;
  auto client = BinanceStreamClient::Create(
      StreamOptions("ws://127.0.0.1:" + std::to_string(port)), listener);
  ASSERT_TRUE(client.ok());
  (*client)->Start();
  ASSERT_TRUE(listener.WaitFor([&] { return listener.statuses_.size() >= 3; }));
  (*client)->Stop();
  EXPECT_FALSE((*client)->connected());
  std::lock_guard<std::mutex> lock(listener.mutex_);
  for (const auto& [connected, detail] : listener.statuses_) {
    EXPECT_FALSE(connected);
  }
  EXPECT_TRUE(listener.gaps_.empty());
}

}  // namespace
}  // namespace cryptotracker::pricing::providers
