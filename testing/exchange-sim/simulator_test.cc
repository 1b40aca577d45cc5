#include "testing/exchange-sim/simulator.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/exchange-sim/wire_format.h"

namespace cryptotracker::exchange_sim {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

struct Response {
  int status = 0;
  std::string body;
};

Response Get(uint16_t port, const std::string& target) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(response.result_int()), response.body()};
}

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatorOptions options;
    options.seed = 99;
    options.tick_rate = 17;  // 1024 trades per minute: events arrive fast
    options.ping_interval = std::chrono::milliseconds(200);
    options.max_connection_age = std::chrono::milliseconds(1500);
    simulator_ = std::make_unique<ExchangeSimulator>(options);
    simulator_->Start();
  }

  uint16_t port() const { return simulator_->port(); }

  std::unique_ptr<ExchangeSimulator> simulator_;
};

TEST_F(SimulatorTest, PingAndTime) {
  EXPECT_EQ(Get(port(), "/api/v3/ping").body, "{}");
  const Response time = Get(port(), "/api/v3/time");
  ASSERT_EQ(time.status, 200);
  const int64_t server_time = json::parse(time.body)["serverTime"];
  EXPECT_NEAR(static_cast<double>(server_time),
              static_cast<double>(simulator_->NowMs()), 5'000);
}

TEST_F(SimulatorTest, KlinesAreCappedContiguousAndEndNow) {
  const Response response =
      Get(port(), "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5000");
  ASSERT_EQ(response.status, 200) << response.body;
  const json rows = json::parse(response.body);
  ASSERT_EQ(rows.size(), 1000u);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 12u);
    EXPECT_TRUE(rows[i][1].is_string());
    if (i > 0) {
      EXPECT_EQ(rows[i][0].get<int64_t>() - rows[i - 1][0].get<int64_t>(),
                60'000);
    }
  }
  const int64_t last_open = rows.back()[0];
  EXPECT_LE(last_open, simulator_->NowMs());
  EXPECT_GT(last_open + 60'000, simulator_->NowMs() - 1'000);
}

TEST_F(SimulatorTest, KlinesHonourStartAndEndTime) {
  const int64_t start = 1'741'608'000'000;  // 2025-03-10T12:00:00Z
  const Response response =
      Get(port(), "/api/v3/klines?symbol=ETHUSDT&interval=1h&startTime=" +
                      std::to_string(start - 1) +
                      "&endTime=" + std::to_string(start + 5 * 3'600'000));
  ASSERT_EQ(response.status, 200) << response.body;
  const json rows = json::parse(response.body);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0][0].get<int64_t>(), start);
  EXPECT_EQ(rows[5][6].get<int64_t>(), start + 6 * 3'600'000 - 1);
  EXPECT_EQ(rows[0][8].get<int64_t>(), 60 * 1024);
}

TEST_F(SimulatorTest, KlinesRejectBadInputLikeBinance) {
  Response r = Get(port(), "/api/v3/klines?symbol=NOPE&interval=1m");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  r = Get(port(), "/api/v3/klines?symbol=BTCUSDT&interval=7m");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["code"], -1120);
  r = Get(port(), "/api/v3/klines?interval=1m");
  EXPECT_EQ(json::parse(r.body)["code"], -1102);
  r = Get(port(), "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=abc");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["code"], -1100);
  r = Get(port(),
          "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=20&endTime=10");
  EXPECT_EQ(json::parse(r.body)["code"], -1128);
  EXPECT_EQ(Get(port(), "/api/v3/nothing").status, 404);
}

TEST_F(SimulatorTest, Ticker24hrForOneSomeAndAllSymbols) {
  Response r = Get(port(), "/api/v3/ticker/24hr?symbol=SOLUSDT");
  ASSERT_EQ(r.status, 200);
  json one = json::parse(r.body);
  EXPECT_EQ(one["symbol"], "SOLUSDT");
  EXPECT_EQ(one["count"].get<int64_t>(), 1024 * 1440);
  EXPECT_EQ(one["closeTime"].get<int64_t>() - one["openTime"].get<int64_t>(),
            86'400'000);
  r = Get(port(),
          "/api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22,%22EURUSDT%22%5D");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).size(), 2u);
  r = Get(port(), "/api/v3/ticker/24hr");
  EXPECT_EQ(json::parse(r.body).size(), simulator_->model().assets().size());
  EXPECT_EQ(Get(port(), "/api/v3/ticker/24hr?symbol=XYZ").status, 400);
}

TEST_F(SimulatorTest, CoinsMarketsRanksAndPages) {
  Response r = Get(port(), "/api/v3/coins/markets?vs_currency=usd&per_page=5");
  ASSERT_EQ(r.status, 200) << r.body;
  json page = json::parse(r.body);
  ASSERT_EQ(page.size(), 5u);
  for (size_t i = 0; i < page.size(); ++i) {
    EXPECT_EQ(page[i]["market_cap_rank"].get<int>(), static_cast<int>(i) + 1);
  }
  EXPECT_EQ(page[0]["id"], "bitcoin");
  r = Get(port(), "/api/v3/coins/markets?vs_currency=usd&per_page=5&page=4");
  EXPECT_EQ(json::parse(r.body).size(), 5u);
  r = Get(port(), "/api/v3/coins/markets?vs_currency=eur&ids=bitcoin,dogecoin");
  page = json::parse(r.body);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_TRUE(page[1]["current_price"].is_number());
  EXPECT_EQ(Get(port(), "/api/v3/coins/markets?vs_currency=xyz").status, 400);
  EXPECT_EQ(Get(port(), "/api/v3/coins/markets").status, 400);
}

// Daily history from 2017: a startTime before the listing starts at the
// listing, rows ascend without gaps, an endTime before the listing gives
// nothing, and without startTime the `limit` latest klines end now.
TEST_F(SimulatorTest, KlinesServeHistoryFromEachListing) {
  const int64_t before_exchange = 1'483'228'800'000;  // 2017-01-01
  Response r = Get(port(),
                   "/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=1000&"
                   "startTime=" +
                       std::to_string(before_exchange));
  ASSERT_EQ(r.status, 200) << r.body;
  json rows = json::parse(r.body);
  ASSERT_EQ(rows.size(), 1000u);
  EXPECT_EQ(rows[0][0].get<int64_t>(), kFirstKlineMs);
  EXPECT_EQ(rows[0][1], "4261.00000000");
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i][0].get<int64_t>() - rows[i - 1][0].get<int64_t>(),
              86'400'000);
  }
  const MarketModel& model = simulator_->model();
  const int64_t sol_listing = model.ListingMs(model.FindPair("SOLUSDT"));
  r = Get(port(),
          "/api/v3/klines?symbol=SOLUSDT&interval=1h&limit=3&"
          "startTime=" +
              std::to_string(before_exchange));
  rows = json::parse(r.body);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].get<int64_t>(), sol_listing);
  r = Get(port(), "/api/v3/klines?symbol=SOLUSDT&interval=1h&endTime=" +
                      std::to_string(sol_listing - 1));
  EXPECT_EQ(r.body, "[]");
  // No startTime: the default 500 most recent, ending with the one forming.
  r = Get(port(), "/api/v3/klines?symbol=ETHUSDT&interval=1h");
  rows = json::parse(r.body);
  ASSERT_EQ(rows.size(), 500u);
  EXPECT_EQ(rows.back()[0].get<int64_t>(),
            simulator_->NowMs() / 3'600'000 * 3'600'000);
  // endTime alone: the `limit` klines up to the one holding it.
  const int64_t end = 1'741'608'000'000 + 123;  // 2025-03-10T12:00:00.123Z
  r = Get(port(),
          "/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=10&"
          "endTime=" +
              std::to_string(end));
  rows = json::parse(r.body);
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows.back()[0].get<int64_t>(), end - 123);
  EXPECT_EQ(rows.front()[0].get<int64_t>(), end - 123 - 9 * 60'000);
}

// The live stream continues the REST history: a minute's final @kline_1m
// equals its REST kline, and its trades aggregate to it.
TEST(SimulatorHistoryTest, StreamedMinuteEqualsItsRestKline) {
  SimulatorOptions options;
  options.seed = 42;
  options.tick_rate = 1;  // 64 trades a minute
  options.speed = 10;     // a simulated minute in six seconds
  const int64_t minute = 1'796'083'200'000;  // 2026-12-01T00:00:00Z
  // The clock runs from construction; start-up and the handshake happen
  // in the 40 simulated seconds before the minute.
  options.start_time_ms = minute - 40'000;
  ExchangeSimulator simulator(options);
  simulator.Start();
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), simulator.port()));
  ws.handshake("127.0.0.1", "/stream?streams=btcusdt@trade/btcusdt@kline_1m");
  json final_kline;
  std::vector<json> trades;
  while (final_kline.is_null()) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    const json message = json::parse(beast::buffers_to_string(buffer.data()));
    const json& data = message["data"];
    if (message["stream"] == "btcusdt@trade") {
      if (data["T"].get<int64_t>() / 60'000 * 60'000 == minute) {
        trades.push_back(data);
      }
    } else if (data["k"]["x"].get<bool>() &&
               data["k"]["t"].get<int64_t>() == minute) {
      final_kline = data["k"];
    }
  }
  const Response rest = Get(simulator.port(),
                            "/api/v3/klines?symbol=BTCUSDT&interval=1m&"
                            "startTime=" +
                                std::to_string(minute) + "&limit=1");
  const json row = json::parse(rest.body).at(0);
  EXPECT_EQ(row[0], final_kline["t"]);
  EXPECT_EQ(row[1], final_kline["o"]);
  EXPECT_EQ(row[2], final_kline["h"]);
  EXPECT_EQ(row[3], final_kline["l"]);
  EXPECT_EQ(row[4], final_kline["c"]);
  EXPECT_EQ(row[5], final_kline["v"]);
  EXPECT_EQ(row[7], final_kline["q"]);
  EXPECT_EQ(row[8], final_kline["n"]);
  EXPECT_EQ(row[9], final_kline["V"]);
  EXPECT_EQ(row[10], final_kline["Q"]);
  // The streamed trades are the model's trades of that minute (on a loaded
  // machine the pump may skip some when it falls seconds behind).
  ASSERT_FALSE(trades.empty());
  const MarketModel& model = simulator.model();
  const int btc = model.FindPair("BTCUSDT");
  const std::vector<Trade> expected = model.TradesInMinute(btc, minute);
  for (const json& trade : trades) {
    const auto it = std::find_if(
        expected.begin(), expected.end(),
        [&](const Trade& t) { return t.id == trade["t"].get<int64_t>(); });
    ASSERT_NE(it, expected.end());
    EXPECT_EQ(trade["p"], PriceText(model.asset(btc), it->price_ticks));
    EXPECT_EQ(trade["q"], QuantityText(model.asset(btc), it->quantity_units));
  }
  EXPECT_EQ(PriceText(model.asset(btc), expected.front().price_ticks), row[1]);
  EXPECT_EQ(PriceText(model.asset(btc), expected.back().price_ticks), row[4]);
  // And the hour holding it, from REST, opens with it.
  const Response hour = Get(simulator.port(),
                            "/api/v3/klines?symbol=BTCUSDT&interval=1h&"
                            "startTime=" +
                                std::to_string(minute) + "&limit=1");
  EXPECT_EQ(json::parse(hour.body).at(0)[1], row[1]);
  simulator.Stop();
}

TEST_F(SimulatorTest, CombinedStreamDeliversTradesPingsAndTheDailyClose) {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  ws.handshake("127.0.0.1", "/stream?streams=btcusdt@trade/ethusdt@kline_1m");
  int pings = 0;
  ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings;
  });
  int trades = 0;
  int64_t last_id = 0;
  beast::error_code ec;
  while (true) {
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
    if (ec) break;
    const json message = json::parse(beast::buffers_to_string(buffer.data()));
    ASSERT_TRUE(message.contains("stream"));
    if (message["stream"] == "btcusdt@trade") {
      EXPECT_EQ(message["data"]["e"], "trade");
      const int64_t id = message["data"]["t"];
      EXPECT_GT(id, last_id);
      last_id = id;
      ++trades;
    } else {
      EXPECT_EQ(message["stream"], "ethusdt@kline_1m");
      EXPECT_EQ(message["data"]["k"]["i"], "1m");
    }
  }
  // The connection ends by the server's close after max_connection_age.
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws.reason().code, websocket::close_code::going_away);
  EXPECT_GT(trades, 10);
  EXPECT_GE(pings, 3);
}

// A stream URL over every asset: "/stream?streams=btcusdt@trade/...".
std::string AllStreams(const MarketModel& model, const std::string& kind) {
  std::string target = "/stream?streams=";
  for (size_t i = 0; i < model.assets().size(); ++i) {
    if (i > 0) target += "/";
    target += StreamName(model.asset(static_cast<int>(i)), kind);
  }
  return target;
}

int64_t Median(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Like a real exchange, a trade event goes out when the trade happens: its
// event time E is (within a timer wake-up) its trade time T, not up to a
// pump period later.
TEST_F(SimulatorTest, TradesGoOutAtTheirTimestamps) {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  ws.handshake("127.0.0.1", AllStreams(simulator_->model(), "trade"));
  std::vector<int64_t> delays;
  std::set<int64_t> milliseconds;
  while (delays.size() < 300) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    const json message = json::parse(beast::buffers_to_string(buffer.data()));
    const int64_t event_time = message["data"]["E"];
    const int64_t trade_time = message["data"]["T"];
    EXPECT_GE(event_time, trade_time);
    delays.push_back(event_time - trade_time);
    milliseconds.insert(trade_time);
  }
  // The old 50 ms pump gave a median near 25 ms; allow for a loaded machine.
  EXPECT_LE(Median(delays), 5);
  // The assets' trades are phased apart, not stamped on the same instants.
  EXPECT_GT(milliseconds.size(), delays.size() / 2);
}

// Each symbol's 1-second miniTicker goes out at its own phase of the second
// (a pure function of the seed), so the market is not one burst per second.
TEST(SimulatorTickerTest, MiniTickersAreStaggeredAcrossTheSecond) {
  // One trade a second keeps the 24-hour windows cheap to fill.
  SimulatorOptions options;
  options.seed = 42;
  ExchangeSimulator simulator(options);
  simulator.Start();
  // Fill the minute cache, so the pump is not busy computing a day of trades
  // when the first tickers fall due.
  ASSERT_EQ(Get(simulator.port(), "/api/v3/ticker/24hr").status, 200);
  const MarketModel& model = simulator.model();
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), simulator.port()));
  ws.handshake("127.0.0.1", AllStreams(model, "miniTicker"));
  std::map<std::string, int64_t> first_event;
  std::vector<int64_t> lateness;
  while (first_event.size() < model.assets().size()) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    const json data =
        json::parse(beast::buffers_to_string(buffer.data()))["data"];
    const std::string symbol = data["s"];
    const int64_t event_time = data["E"];
    if (!first_event.emplace(symbol, event_time).second) continue;
    const int64_t phase = static_cast<int64_t>(
        model.PhaseFraction(model.FindPair(symbol), "miniTicker") * 1000);
    lateness.push_back(((event_time - phase) % 1000 + 1000) % 1000);
  }
  std::set<int64_t> tenths;
  for (const auto& [symbol, time] : first_event)
    tenths.insert(time % 1000 / 100);
  EXPECT_GE(tenths.size(), 6u);
  EXPECT_LE(Median(lateness), 5);
}

// Raw (/ws/...) and combined (/stream?...) subscribers of one stream get the
// same events, each in its own shape.
TEST_F(SimulatorTest, RawAndCombinedSubscribersGetTheSameEvents) {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> raw(ioc);
  websocket::stream<beast::tcp_stream> combined(ioc);
  for (auto* ws : {&raw, &combined}) {
    beast::get_lowest_layer(*ws).connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  }
  raw.handshake("127.0.0.1", "/ws/ethusdt@trade");
  combined.handshake("127.0.0.1", "/stream?streams=ethusdt@trade");
  std::set<int64_t> raw_ids;
  std::set<int64_t> combined_ids;
  // About 17 trades a second, and the fixture closes connections at 1.5 s.
  for (int i = 0; i < 12; ++i) {
    beast::flat_buffer buffer;
    raw.read(buffer);
    const json data = json::parse(beast::buffers_to_string(buffer.data()));
    EXPECT_EQ(data["e"], "trade");
    raw_ids.insert(data["t"].get<int64_t>());
  }
  for (int i = 0; i < 12; ++i) {
    beast::flat_buffer buffer;
    combined.read(buffer);
    const json message = json::parse(beast::buffers_to_string(buffer.data()));
    EXPECT_EQ(message["stream"], "ethusdt@trade");
    EXPECT_EQ(message["data"]["e"], "trade");
    combined_ids.insert(message["data"]["t"].get<int64_t>());
  }
  std::vector<int64_t> common;
  std::set_intersection(raw_ids.begin(), raw_ids.end(), combined_ids.begin(),
                        combined_ids.end(), std::back_inserter(common));
  EXPECT_GE(common.size(), 8u);
}

TEST_F(SimulatorTest, UnknownStreamsAreRefusedAtHandshake) {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  beast::error_code ec;
  ws.handshake("127.0.0.1", "/stream?streams=nopeusdt@trade", ec);
  EXPECT_TRUE(ec);
}

TEST_F(SimulatorTest, SubscribeMethodAddsStreams) {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  ws.handshake("127.0.0.1", "/stream?streams=btcusdt@miniTicker");
  ws.write(net::buffer(std::string(
      R"({"method":"SUBSCRIBE","params":["dogeusdt@trade"],"id":7})")));
  bool acknowledged = false;
  bool doge = false;
  for (int i = 0; i < 200 && !(acknowledged && doge); ++i) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    const json message = json::parse(beast::buffers_to_string(buffer.data()));
    if (message.contains("id")) {
      EXPECT_EQ(message["id"], 7);
      EXPECT_TRUE(message["result"].is_null());
      acknowledged = true;
    } else if (message["stream"] == "dogeusdt@trade") {
      doge = true;
    }
  }
  EXPECT_TRUE(acknowledged);
  EXPECT_TRUE(doge);
}

}  // namespace
}  // namespace cryptotracker::exchange_sim
