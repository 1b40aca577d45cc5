// PriceSubscription against a scripted in-process PricingService: what the
// real server cannot easily be made to do (hang without a word, send a
// malformed price) and the stream's bookkeeping.
#include "services/pricing-service/client/price_subscription.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "services/common/testing/test_server.h"
#include "services/pricing-service/client/pricing_client.h"
#include "services/pricing-service/client/wait_for.h"

namespace cryptotracker::pricing::client {
namespace {

using namespace std::chrono_literals;
using testing::WaitFor;

v1::StreamPricesResponse PriceMessage(const std::string& last) {
  v1::StreamPricesResponse message;
  v1::Price* price = message.mutable_price();
  price->set_symbol("BTC");
  price->set_quote("USD");
  for (std::string* field :
       {price->mutable_last_price(), price->mutable_open_24h(),
        price->mutable_high_24h(), price->mutable_low_24h(),
        price->mutable_change_24h(), price->mutable_volume_24h(),
        price->mutable_quote_volume_24h()}) {
    *field = last;
  }
  *price->mutable_update_time() = ToProtoTime(std::chrono::system_clock::now());
  return message;
}

// Call 1: a price, then silence (a hung server or a dead connection that
// never says so). Later calls: a heartbeat, a malformed price and a good
// one, then the stream stays open until cancelled.
class ScriptedPricing final : public v1::PricingService::Service {
 public:
  grpc::Status StreamPrices(
      grpc::ServerContext* ctx, const v1::StreamPricesRequest* request,
      grpc::ServerWriter<v1::StreamPricesResponse>* writer) override {
    const int call = ++calls;
    last_quote = request->quote();
    if (call == 1) {
      writer->Write(PriceMessage("100"));
    } else {
      v1::StreamPricesResponse heartbeat;
      *heartbeat.mutable_heartbeat()->mutable_server_time() =
          ToProtoTime(std::chrono::system_clock::now());
      writer->Write(heartbeat);
      writer->Write(PriceMessage("not a number"));
      writer->Write(PriceMessage("101"));
    }
    while (!ctx->IsCancelled()) std::this_thread::sleep_for(10ms);
    return grpc::Status::CANCELLED;
  }

  std::atomic<int> calls = 0;
  std::string last_quote;
};

TEST(PriceSubscriptionTest, ASilentStreamIsAbandonedAndResubscribed) {
  ScriptedPricing service;
  common::testing::TestServer server("scripted-pricing", {&service});
  ASSERT_TRUE(server.WaitUntilServing());
  auto book = std::make_shared<PriceBook>();
  std::atomic<int> moves = 0;
  book->AddListener([&](const PriceMove&) { ++moves; });
  PriceSubscription subscription(PricingClient::NewChannel(server.address()),
                                 book,
                                 {.symbols = {"BTC"},
                                  .quote = "USD",
                                  .backoff = {.initial = 10ms, .max = 50ms},
                                  .idle_timeout = 1s});
  subscription.Start();
  ASSERT_TRUE(subscription.WaitUntilConnected(5s));
  ASSERT_TRUE(WaitFor([&] { return moves == 1; }, 5s));
  EXPECT_EQ(book->Get("BTC", "USD")->price.last, Decimal::FromInteger(100));
  // Nothing more comes on the first stream: after idle_timeout (checked
  // once a second) the client cancels it and subscribes again.
  ASSERT_TRUE(
      WaitFor([&] { return subscription.status().connections == 2; }, 5s));
  ASSERT_TRUE(WaitFor([&] { return moves == 2; }, 5s));
  EXPECT_EQ(book->Get("BTC", "USD")->price.last, Decimal::FromInteger(101));
  const SubscriptionStatus status = subscription.status();
  EXPECT_TRUE(status.connected);
  EXPECT_EQ(status.prices_received, 2);  // the heartbeat is no price
  EXPECT_EQ(status.prices_rejected, 1);  // "not a number" was skipped
  EXPECT_EQ(status.last_error.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(service.last_quote, "USD");

  // Stop cancels the open stream at once.
  const auto started = std::chrono::steady_clock::now();
  subscription.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(book->IsConnected("USD"));
  subscription.Stop();  // idempotent
}

TEST(PriceSubscriptionTest, StopWithoutStartAndWhileServerIsAbsent) {
  auto book = std::make_shared<PriceBook>();
  {
    PriceSubscription never_started(PricingClient::NewChannel("127.0.0.1:1"),
                                    book, {});
  }
  PriceSubscription subscription(PricingClient::NewChannel("127.0.0.1:1"), book,
                                 {.backoff = {.initial = 10s, .max = 10s}});
  subscription.Start();
  ASSERT_TRUE(WaitFor(
      [&] { return subscription.status().failures_since_connected >= 1; }, 5s));
  EXPECT_EQ(subscription.status().last_error.code(),
            absl::StatusCode::kUnavailable);
  // Stop interrupts the ten-second backoff wait.
  const auto started = std::chrono::steady_clock::now();
  subscription.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

}  // namespace
}  // namespace cryptotracker::pricing::client
