// The pricing client against the real pricing-service binary: GetPrices,
// GetCandles, and a subscription whose price book goes stale when the
// server is killed and recovers when it is started again.
//
// The server runs as a child process on a database of its own (PgTestDb,
// TEST_DATABASE_URL) and is fed by an in-process exchange simulator, with
// the environment scripts/lib/services.sh gives it in the local stack.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "services/common/testing/bound_port.h"
#include "services/common/testing/pg_test_db.h"
#include "services/pricing-service/client/price_subscription.h"
#include "services/pricing-service/client/pricing_client.h"
#include "services/pricing-service/client/wait_for.h"
#include "testing/exchange-sim/simulator.h"

namespace cryptotracker::pricing::client {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using testing::WaitFor;

// A port nobody listens on now (the kernel's pick, released at once).
int FreePort() {
  common::testing::BoundPort port;
  return port.port();
}

// The libpq parameters of a connection string, by keyword.
std::map<std::string, std::string> ConnectionParameters(
    const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    throw std::runtime_error("unparsable connection string");
  }
  std::map<std::string, std::string> parameters;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) parameters[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return parameters;
}

// The pricing-service binary as a child process that can be killed and
// started again with the same settings.
class PricingServer {
 public:
  explicit PricingServer(std::vector<std::string> environment)
      : environment_(std::move(environment)) {}
  ~PricingServer() { Kill(); }

  void Start() {
    const char* binary = std::getenv("PRICING_SERVICE_BINARY");
    ASSERT_NE(binary, nullptr) << "PRICING_SERVICE_BINARY is not set";
    const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    const std::string log_path =
        std::string(outputs != nullptr ? outputs : "/tmp") +
        "/pricing_service.log";
    std::vector<char*> envp;
    for (std::string& assignment : environment_) {
      envp.push_back(assignment.data());
    }
    envp.push_back(nullptr);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const int log =
          open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
      }
      char* argv[] = {const_cast<char*>(binary), nullptr};
      execve(binary, argv, envp.data());
      _exit(127);
    }
  }

  // SIGKILL: no drain, no goodbye to the streams, as in a crash.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::vector<std::string> environment_;
  pid_t pid_ = -1;
};

class PricingClientIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    exchange_sim::SimulatorOptions sim_options;
    sim_options.tick_rate = 2;  // two trades a second per symbol
    simulator_ = new exchange_sim::ExchangeSimulator(sim_options);
    simulator_->Start();
    database_ = new common::testing::PgTestDb("pricing_client");
    auto db = ConnectionParameters(database_->connection_string());
    const std::string exchange =
        "127.0.0.1:" + std::to_string(simulator_->port());
    address_ = new std::string("127.0.0.1:" + std::to_string(FreePort()));
    server_ = new PricingServer({
        "GRPC_PORT=" + address_->substr(address_->rfind(':') + 1),
        "LOG_LEVEL=warn",
        "DB_HOST=" + (db.contains("host") ? db["host"] : db["hostaddr"]),
        "DB_PORT=" + (db.contains("port") ? db["port"] : "5432"),
        "DB_NAME=" + db["dbname"],
        "DB_USER=" + db["user"],
        // Required by the service; a trust-authenticated server ignores it.
        "DB_PASSWORD=" + (db.contains("password") ? db["password"] : "unused"),
        "DB_POOL_SIZE=4",
        "BINANCE_REST_URL=http://" + exchange,
        "BINANCE_WS_URL=ws://" + exchange,
        "COINGECKO_URL=http://" + exchange + "/api/v3",
        "SYMBOLS=BTC,ETH",
        "CANDLE_STARTUP_BACKFILL_DAYS=1",
        "SHUTDOWN_GRACE_SECONDS=1",
    });
    server_->Start();
  }

  static void TearDownTestSuite() {
    delete server_;
    delete database_;
    simulator_->Stop();
    delete simulator_;
    delete address_;
  }

  void SetUp() override {
    ASSERT_TRUE(WaitForPrices()) << "pricing-service gave no prices within "
                                    "90 s (see pricing_service.log in the "
                                    "test's outputs)";
  }

  // True once GetPrices answers for both symbols (the feed is live).
  static bool WaitForPrices() {
    PricingClient pricing(PricingClient::NewChannel(*address_));
    return WaitFor([&] { return pricing.GetPrices({"BTC", "ETH"}).ok(); }, 90s);
  }

  static exchange_sim::ExchangeSimulator* simulator_;
  static common::testing::PgTestDb* database_;
  static PricingServer* server_;
  static std::string* address_;
};

exchange_sim::ExchangeSimulator* PricingClientIntegrationTest::simulator_;
common::testing::PgTestDb* PricingClientIntegrationTest::database_;
PricingServer* PricingClientIntegrationTest::server_;
std::string* PricingClientIntegrationTest::address_;

TEST_F(PricingClientIntegrationTest, GetPricesAnswersTypedLivePrices) {
  PricingClient pricing(PricingClient::NewChannel(*address_));
  auto prices = pricing.GetPrices({"eth", "BTC"});
  ASSERT_TRUE(prices.ok()) << prices.status();
  ASSERT_EQ(prices->size(), 2u);
  EXPECT_EQ((*prices)[0].symbol, "ETH");  // in the order asked
  EXPECT_EQ((*prices)[1].symbol, "BTC");
  for (const Price& price : *prices) {
    EXPECT_EQ(price.quote, "USD");
    EXPECT_EQ(price.derivation, v1::PRICE_DERIVATION_STABLECOIN);
    EXPECT_TRUE(price.last.IsPositive()) << price.last;
    EXPECT_LE(price.low_24h, price.high_24h);
    EXPECT_FALSE(price.stale);
    EXPECT_LT(std::chrono::system_clock::now() - price.update_time, 60s);
  }
  auto in_btc = pricing.GetPrices({"ETH"}, "btc");
  ASSERT_TRUE(in_btc.ok()) << in_btc.status();
  EXPECT_EQ(in_btc->front().quote, "BTC");
  EXPECT_LT(in_btc->front().last, Decimal::FromInteger(1));
}

TEST_F(PricingClientIntegrationTest, GetPricesErrorsKeepTheirCodes) {
  PricingClient pricing(PricingClient::NewChannel(*address_));
  auto unknown = pricing.GetPrices({"BTC", "NOPE"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("pricing GetPrices: "));
  EXPECT_THAT(unknown.status().message(), HasSubstr("NOPE"));
  EXPECT_EQ(pricing.GetPrices({"BTC"}, "XYZ").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pricing.GetPrices({"B-TC"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Nobody listens there.
  PricingClient nowhere(
      PricingClient::NewChannel("127.0.0.1:" + std::to_string(FreePort())),
      {.call_timeout = 2s});
  EXPECT_EQ(nowhere.GetPrices({"BTC"}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(PricingClientIntegrationTest, GetCandlesAnswersTypedCandles) {
  PricingClient pricing(PricingClient::NewChannel(*address_));
  const auto now = std::chrono::system_clock::now();
  CandleQuery query{.symbol = "BTC",
                    .interval = v1::INTERVAL_1M,
                    .start_time = now - 3h,
                    .limit = 10};
  // The start-up backfill fills the last day in the background.
  absl::StatusOr<CandleSeries> series;
  ASSERT_TRUE(WaitFor(
      [&] {
        series = pricing.GetCandles(query);
        return series.ok() && series->candles.size() == 10;
      },
      60s))
      << (series.ok() ? std::to_string(series->candles.size()) + " candles"
                      : series.status().ToString());
  EXPECT_EQ(series->symbol, "BTC");
  EXPECT_EQ(series->quote, "USD");
  EXPECT_EQ(series->pair, "BTCUSDT");
  EXPECT_EQ(series->interval, v1::INTERVAL_1M);
  TimePoint previous;
  for (const Candle& candle : series->candles) {
    EXPECT_GE(candle.open_time, now - 3h - 1min);
    EXPECT_GT(candle.open_time, previous);  // ascending
    previous = candle.open_time;
    EXPECT_EQ(candle.close_time - candle.open_time, 1min);
    EXPECT_LE(candle.low, candle.open);
    EXPECT_LE(candle.low, candle.close);
    EXPECT_GE(candle.high, candle.open);
    EXPECT_GE(candle.high, candle.close);
    EXPECT_TRUE(candle.volume.IsPositive());
    EXPECT_TRUE(candle.closed);
  }
  // The latest ones, by end time.
  auto latest = pricing.GetCandles(
      {.symbol = "ETH", .interval = v1::INTERVAL_1H, .limit = 3});
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_LE(latest->candles.size(), 3u);

  // More than one page: 20 hours of one-minute candles from the backfill.
  const TimePoint to = std::chrono::floor<std::chrono::minutes>(now) - 2h;
  absl::StatusOr<CandleSeries> range;
  ASSERT_TRUE(WaitFor(
      [&] {
        range = pricing.GetCandlesBetween("BTC", v1::INTERVAL_1M, to - 20h, to);
        return range.ok() && range->candles.size() == 1200;
      },
      60s))
      << (range.ok() ? std::to_string(range->candles.size()) + " candles"
                     : range.status().ToString());
  EXPECT_EQ(range->candles.front().open_time, to - 20h);
  EXPECT_EQ(range->candles.back().close_time, to);
  for (std::size_t i = 1; i < range->candles.size(); ++i) {
    ASSERT_EQ(range->candles[i].open_time, range->candles[i - 1].close_time);
  }
  EXPECT_EQ(pricing
                .GetCandlesBetween("BTC", v1::INTERVAL_1M, to - 20h, to,
                                   /*max_candles=*/1100)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);

  EXPECT_EQ(
      pricing
          .GetCandles(
              {.symbol = "BTC", .interval = v1::INTERVAL_1M, .limit = 5000})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pricing.GetCandles({.symbol = "BTC"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto unknown =
      pricing.GetCandles({.symbol = "NOPE", .interval = v1::INTERVAL_1M});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("pricing GetCandles: "));
}

TEST_F(PricingClientIntegrationTest,
       SubscriptionFeedsTheBookAndRecoversFromARestart) {
  auto book = std::make_shared<PriceBook>(
      BookOptions{.max_age = 60s, .disconnect_grace = 2s});
  std::atomic<int> moves = 0;
  std::atomic<int> updates = 0;
  book->AddListener([&](const PriceMove& move) {
    ++updates;
    if (move.moved() && move.previous_last) ++moves;
  });
  std::atomic<int> state_changes = 0;
  PriceSubscription subscription(
      PricingClient::NewChannel(*address_), book,
      {.symbols = {"BTC", "ETH"},
       .quote = "USD",
       .backoff = {.initial = 100ms, .max = 1s},
       .on_state_change = [&](const SubscriptionStatus&) { ++state_changes; }});
  subscription.Start();
  ASSERT_TRUE(subscription.WaitUntilConnected(20s))
      << subscription.status().last_error;
  ASSERT_TRUE(WaitFor([&] { return book->size() == 2; }, 10s));
  // Prices arrive and move (two trades a second per symbol).
  ASSERT_TRUE(WaitFor([&] { return moves >= 2; }, 20s)) << moves;
  auto btc = book->Get("BTC", "USD");
  ASSERT_TRUE(btc.has_value());
  EXPECT_FALSE(btc->stale);
  EXPECT_TRUE(btc->price.last.IsPositive());

  // The book agrees with GetPrices for the same update.
  PricingClient pricing(PricingClient::NewChannel(*address_));
  bool compared = false;
  for (int attempt = 0; attempt < 50 && !compared; ++attempt) {
    auto answer = pricing.GetPrices({"BTC"});
    ASSERT_TRUE(answer.ok()) << answer.status();
    auto entry = book->Get("BTC", "USD");
    if (entry->price.update_time == answer->front().update_time) {
      EXPECT_EQ(entry->price.last, answer->front().last);
      EXPECT_EQ(entry->price.high_24h, answer->front().high_24h);
      compared = true;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(compared) << "the book and GetPrices never showed one update";

  // Killed: the stream ends, and after the grace period the book says stale.
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return !subscription.status().connected; }, 5s));
  EXPECT_FALSE(book->IsConnected("USD"));
  EXPECT_FALSE(book->Get("BTC", "USD")->stale);  // still within the grace
  ASSERT_TRUE(WaitFor([&] { return book->Get("BTC", "USD")->stale; }, 5s));
  EXPECT_TRUE(book->Get("ETH", "USD")->stale);
  EXPECT_EQ(subscription.status().last_error.code(),
            absl::StatusCode::kUnavailable)
      << subscription.status().last_error;
  // It keeps trying meanwhile.
  ASSERT_TRUE(WaitFor(
      [&] { return subscription.status().failures_since_connected >= 3; },
      10s));

  // Started again on the same port: the subscription comes back by itself.
  const auto restarted_at = std::chrono::system_clock::now();
  server_->Start();
  ASSERT_TRUE(
      WaitFor([&] { return subscription.status().connections >= 2; }, 60s))
      << subscription.status().last_error;
  EXPECT_TRUE(subscription.status().connected);
  EXPECT_EQ(subscription.status().failures_since_connected, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto entry = book->Get("BTC", "USD");
        return !entry->stale && entry->received_at > restarted_at;
      },
      20s));
  const int moves_before = moves;
  ASSERT_TRUE(WaitFor([&] { return moves > moves_before; }, 20s));
  EXPECT_GE(state_changes, 3);  // up, down, up

  // Stop ends the stream promptly.
  const auto stop_started = SteadyClock::now();
  subscription.Stop();
  EXPECT_LT(SteadyClock::now() - stop_started, 3s);
}

TEST_F(PricingClientIntegrationTest,
       AnUnknownSymbolKeepsTheSubscriptionRetrying) {
  auto book = std::make_shared<PriceBook>();
  PriceSubscription subscription(
      PricingClient::NewChannel(*address_), book,
      {.symbols = {"NOPE"}, .backoff = {.initial = 50ms, .max = 200ms}});
  subscription.Start();
  ASSERT_TRUE(WaitFor(
      [&] { return subscription.status().failures_since_connected >= 2; },
      10s));
  const SubscriptionStatus status = subscription.status();
  EXPECT_FALSE(status.connected);
  EXPECT_EQ(status.connections, 0);
  EXPECT_EQ(status.last_error.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.last_error.message(), HasSubstr("NOPE"));
  EXPECT_EQ(book->size(), 0u);
}

}  // namespace
}  // namespace cryptotracker::pricing::client
