#include <chrono>

#include "gtest/gtest.h"
#include "services/pricing-service/providers/backoff.h"
#include "services/pricing-service/providers/binance_rest_client.h"
#include "services/pricing-service/providers/endpoint.h"
#include "services/pricing-service/providers/http_client.h"

namespace cryptotracker::pricing::providers {
namespace {

using std::chrono::milliseconds;

TEST(EndpointTest, ParsesExchangeAndSimulatorUrls) {
  absl::StatusOr<Endpoint> binance =
      ParseEndpoint("wss://stream.binance.com:9443", EndpointKind::kWebSocket);
  ASSERT_TRUE(binance.ok()) << binance.status();
  EXPECT_TRUE(binance->tls);
  EXPECT_EQ(binance->host, "stream.binance.com");
  EXPECT_EQ(binance->port, 9443);
  EXPECT_EQ(binance->path_prefix, "");
  EXPECT_EQ(binance->HostHeader(), "stream.binance.com:9443");

  absl::StatusOr<Endpoint> gecko =
      ParseEndpoint("https://api.example.test/api/v3/", EndpointKind::kHttp);
  ASSERT_TRUE(gecko.ok());
  EXPECT_EQ(gecko->port, 443);
  EXPECT_EQ(gecko->path_prefix, "/api/v3");
  EXPECT_EQ(gecko->HostHeader(), "api.example.test");

  absl::StatusOr<Endpoint> sim =
      ParseEndpoint("http://127.0.0.1:15100", EndpointKind::kHttp);
  ASSERT_TRUE(sim.ok());
  EXPECT_FALSE(sim->tls);
  EXPECT_EQ(sim->port, 15100);

  absl::StatusOr<Endpoint> v6 =
      ParseEndpoint("ws://[::1]:8080/x", EndpointKind::kWebSocket);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->HostHeader(), "[::1]:8080");
}

TEST(EndpointTest, RejectsMalformedUrls) {
  for (const char* url :
       {"127.0.0.1:80", "ftp://host", "ws://host", "http://", "http://:80",
        "http://host:0", "http://host:99999", "http://host:abc",
        "http://user:pw@host", "http://host/path?q=1", "http://ho st"}) {
    EXPECT_FALSE(ParseEndpoint(url, EndpointKind::kHttp).ok()) << url;
  }
  EXPECT_FALSE(ParseEndpoint("https://host", EndpointKind::kWebSocket).ok());
}

TEST(RetryAfterTest, ParsesSecondsAndHttpDates) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);
  EXPECT_EQ(ParseRetryAfter("120", now), std::chrono::seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), std::chrono::seconds(0));
  // 2015-10-21T07:28:00Z is 1445412480.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:29:30 GMT", now),
            std::chrono::seconds(90));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now),
            std::chrono::seconds(0));
  EXPECT_FALSE(ParseRetryAfter("-5", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
}

TEST(BackoffTest, GrowsWithJitterUpToTheMaximumAndResets) {
  Backoff backoff(milliseconds(100), milliseconds(1000), /*seed=*/7);
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t ceiling : ceilings) {
    const int64_t delay = backoff.Next().count();
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next().count(), 100);
}

TEST(BackoffTest, JitterSpreadsClients) {
  Backoff a(milliseconds(1000), milliseconds(60000), 1);
  Backoff b(milliseconds(1000), milliseconds(60000), 2);
  int differ = 0;
  for (int i = 0; i < 5; ++i) differ += a.Next() != b.Next() ? 1 : 0;
  EXPECT_GT(differ, 0);
}

TEST(BinanceSymbolTest, Alphabet) {
  EXPECT_TRUE(IsValidBinanceSymbol("BTCUSDT"));
  EXPECT_TRUE(IsValidBinanceSymbol("1000SATSUSDT"));
  EXPECT_FALSE(IsValidBinanceSymbol("btcusdt"));
  EXPECT_FALSE(IsValidBinanceSymbol(""));
  EXPECT_FALSE(IsValidBinanceSymbol("BTC/USDT"));
  EXPECT_FALSE(IsValidBinanceSymbol(std::string(33, 'A')));
}

}  // namespace
}  // namespace cryptotracker::pricing::providers
