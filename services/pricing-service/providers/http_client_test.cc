// The REST clients against a tiny scripted HTTP server that answers each
// request with the next scripted response and records what it received.
#include "services/pricing-service/providers/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "services/pricing-service/providers/binance_rest_client.h"
#include "services/pricing-service/providers/coingecko_client.h"

namespace cryptotracker::pricing::providers {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::steady_clock;

struct Scripted {
  int status = 200;
  std::string body;
  std::string retry_after;  // empty: no header
};

struct Received {
  std::string target;
  std::string demo_key;
  std::string pro_key;
  steady_clock::time_point at;
};

class ScriptedHttpServer {
 public:
  explicit ScriptedHttpServer(std::vector<Scripted> script)
      : script_(script.begin(), script.end()),
        acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedHttpServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    // Unblock accept() with a throwaway connection.
    beast::error_code ignored;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" +
           std::to_string(acceptor_.local_endpoint().port());
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  void Serve() {
    while (true) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
      }
      if (ec) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) continue;
      Scripted reply{500, "{}", ""};
      {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back({std::string(request.target()),
                             std::string(request["x-cg-demo-api-key"]),
                             std::string(request["x-cg-pro-api-key"]),
                             steady_clock::now()});
        if (!script_.empty()) {
          reply = script_.front();
          script_.pop_front();
        }
      }
      http::response<http::string_body> response(
          static_cast<http::status>(reply.status), 11);
      response.set(http::field::content_type, "application/json");
      if (!reply.retry_after.empty()) {
        response.set(http::field::retry_after, reply.retry_after);
      }
      response.keep_alive(false);
      response.body() = reply.body;
      response.prepare_payload();
      http::write(socket, response, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  std::mutex mutex_;
  std::deque<Scripted> script_;
  std::vector<Received> received_;
  bool stopping_ = false;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

constexpr char kOneKline[] =
    R"([[1712513340000,"66251.10","66260.00","66230.01","66237.49","12.48",)"
    R"(1712513399999,"826975.23",1222,"5.10","337908.15","0"]])";

HttpClientOptions FastRetries() {
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(3000);
  options.retry.initial_backoff = std::chrono::milliseconds(10);
  options.retry.max_backoff = std::chrono::milliseconds(40);
  options.retry.max_retry_wait = std::chrono::seconds(5);
  return options;
}

std::unique_ptr<BinanceRestClient> Binance(const ScriptedHttpServer& server) {
  auto client = BinanceRestClient::Create({server.url(), FastRetries()});
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

// The one minute of kOneKline, as a single request.
absl::StatusOr<std::vector<parsers::Kline>> OneKline(
    BinanceRestClient& client) {
  return client.GetKlines("BTCUSDT", domain::Interval::k1m, 1712513340000,
                          1712513399999, 1);
}

TEST(HttpClientTest, TooManyRequestsWaitsForRetryAfterThenSucceeds) {
  ScriptedHttpServer server({{429, R"({"code":-1003,"msg":"Too many."})", "1"},
                             {200, kOneKline, ""}});
  auto client = Binance(server);
  absl::StatusOr<std::vector<parsers::Kline>> klines = client->GetKlines(
      "BTCUSDT", domain::Interval::k1m, 1712513340000, 1712513399999, 1);
  ASSERT_TRUE(klines.ok()) << klines.status();
  ASSERT_EQ(klines->size(), 1u);
  EXPECT_EQ(klines->front().close.ToString(), "66237.49");
  const std::vector<Received> received = server.received();
  ASSERT_EQ(received.size(), 2u);
  // The retry came only after the server's Retry-After.
  EXPECT_GE(received[1].at - received[0].at, std::chrono::milliseconds(950));
  EXPECT_EQ(received[0].target,
            "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime="
            "1712513340000&endTime=1712513399999&limit=1");
}

TEST(HttpClientTest, BanLongerThanTheRetryBudgetFailsFastAndStopsRequests) {
  ScriptedHttpServer server({{418, R"({"code":-1003,"msg":"banned"})", "3600"},
                             {200, kOneKline, ""}});
  auto client = Binance(server);
  const auto started = steady_clock::now();
  EXPECT_EQ(OneKline(*client).status().code(),
            absl::StatusCode::kResourceExhausted);
  // The next request is refused locally: the server is not hammered.
  EXPECT_EQ(OneKline(*client).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(server.received().size(), 1u);
}

TEST(HttpClientTest, ServerErrorsAreRetriedWithBackoff) {
  ScriptedHttpServer server({{503, "unavailable", ""},
                             {502, "bad gateway", ""},
                             {200, kOneKline, ""}});
  auto client = Binance(server);
  absl::StatusOr<std::vector<parsers::Kline>> klines = OneKline(*client);
  ASSERT_TRUE(klines.ok()) << klines.status();
  EXPECT_EQ(klines->size(), 1u);
  EXPECT_EQ(server.received().size(), 3u);
}

TEST(HttpClientTest, PersistentServerErrorsBecomeUnavailable) {
  ScriptedHttpServer server(std::vector<Scripted>(4, {500, "oops", ""}));
  auto client = Binance(server);
  EXPECT_EQ(OneKline(*client).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.received().size(), 4u);  // max_attempts
}

TEST(HttpClientTest, UnreachableServerIsUnavailable) {
  // A port nobody listens on: bind, read the port, close.
  uint16_t port = 0;
  {
    net::io_context ioc;
    tcp::acceptor acceptor(
        ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto client = BinanceRestClient::Create(
      {"http://127.0.0.1:" + std::to_string(port), FastRetries()});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(OneKline(**client).status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpClientTest, BinanceErrorsAreReportedWithCodeAndNotRetried) {
  ScriptedHttpServer server(
      {{400, R"({"code":-1121,"msg":"Invalid symbol."})", ""}});
  auto client = Binance(server);
  absl::StatusOr<std::vector<parsers::Kline>> klines = OneKline(*client);
  EXPECT_EQ(klines.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(klines.status().message()).find("-1121"),
            std::string::npos);
  EXPECT_NE(std::string(klines.status().message()).find("Invalid symbol."),
            std::string::npos);
  EXPECT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received().size(), 1u);
}

TEST(HttpClientTest, MalformedBodiesAreDataLoss) {
  ScriptedHttpServer server({{200, "[[1,2,3]", ""}, {200, "{}", ""}});
  auto client = Binance(server);
  EXPECT_EQ(client->GetKlines("BTCUSDT", domain::Interval::k1m, 0, 1, 1)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(client->GetKlines("BTCUSDT", domain::Interval::k1m, 0, 1, 1)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(HttpClientTest, RequestArgumentsAreValidatedLocally) {
  ScriptedHttpServer server({});
  auto client = Binance(server);
  EXPECT_EQ(
      client->GetKlines("btc", domain::Interval::k1m, 0, 1, 1).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->GetKlines("BTCUSDT", domain::Interval::k1m, 10, 1, 1)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->GetKlines("BTCUSDT", domain::Interval::k1m, 0, 1, 1001)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server.received().empty());
}

TEST(CoinGeckoClientTest, SendsTheDemoOrProKeyHeader) {
  const std::string body =
      R"([{"id":"bitcoin","symbol":"btc","name":"Bitcoin","image":null,)"
      R"("current_price":70187.5,"market_cap":1381651251183,)"
      R"("market_cap_rank":1,"total_volume":20154184933,"high_24h":70215,)"
      R"("low_24h":68060,"price_change_percentage_24h":3.12502,)"
      R"("circulating_supply":19675987,)"
      R"("last_updated":"2024-04-07T16:49:31.736Z"}])";
  ScriptedHttpServer server({{200, body, ""}, {200, body, ""}});
  CoinGeckoOptions demo{server.url() + "/api/v3", CoinGeckoPlan::kDemo,
                        "demo-key-123", FastRetries()};
  auto demo_client = CoinGeckoClient::Create(demo);
  ASSERT_TRUE(demo_client.ok()) << demo_client.status();
  absl::StatusOr<parsers::Batch<parsers::CoinMarket>> markets =
      (*demo_client)->GetCoinsMarkets("usd", {"bitcoin", "ethereum"}, 50, 2);
  ASSERT_TRUE(markets.ok()) << markets.status();
  ASSERT_EQ(markets->items.size(), 1u);
  EXPECT_EQ(markets->items[0].current_price.ToString(), "70187.5");

  CoinGeckoOptions pro{server.url() + "/api/v3", CoinGeckoPlan::kPro,
                       "pro-key-456", FastRetries()};
  auto pro_client = CoinGeckoClient::Create(pro);
  ASSERT_TRUE(pro_client.ok());
  ASSERT_TRUE((*pro_client)->GetCoinsMarkets("eur", {}).ok());

  const std::vector<Received> received = server.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].target,
            "/api/v3/coins/markets?vs_currency=usd&order=market_cap_desc"
            "&per_page=50&page=2&ids=bitcoin%2Cethereum");
  EXPECT_EQ(received[0].demo_key, "demo-key-123");
  EXPECT_EQ(received[0].pro_key, "");
  EXPECT_EQ(received[1].pro_key, "pro-key-456");
  EXPECT_EQ(received[1].demo_key, "");
}

TEST(CoinGeckoClientTest, RateLimitAndErrors) {
  ScriptedHttpServer server(
      {{429, R"({"status":{"error_code":429,"error_message":"limit"}})", "1"},
       {400, R"({"error":"invalid vs_currency"})", ""}});
  auto client = CoinGeckoClient::Create(
      {server.url() + "/api/v3", CoinGeckoPlan::kPublic, "", FastRetries()});
  ASSERT_TRUE(client.ok());
  absl::StatusOr<parsers::Batch<parsers::CoinMarket>> markets =
      (*client)->GetCoinsMarkets("xyz", {});
  EXPECT_EQ(markets.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(markets.status().message()).find("invalid vs_currency"),
            std::string::npos);
  EXPECT_EQ(server.received().size(), 2u);
  EXPECT_EQ((*client)->GetCoinsMarkets("USD", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CoinGeckoClient::Create(
                {server.url(), CoinGeckoPlan::kDemo, "", FastRetries()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HttpClientTest, ShutdownCancelsAWaitingRequest) {
  ScriptedHttpServer server({{429, "{}", "4"}});
  auto client = Binance(server);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    client->Shutdown();
  });
  const auto started = steady_clock::now();
  EXPECT_EQ(OneKline(*client).status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(3));
  stopper.join();
}

}  // namespace
}  // namespace cryptotracker::pricing::providers
