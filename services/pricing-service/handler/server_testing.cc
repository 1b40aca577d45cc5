#include "services/pricing-service/handler/server_testing.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/decimal.h"

namespace cryptotracker::pricing::handler::testing {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

}  // namespace

std::unique_ptr<grpc::ClientContext> CallContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(20));
  return context;
}

void ExpectStatus(const grpc::Status& status, grpc::StatusCode code,
                  const std::string& fragment) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr(fragment));
}

void FeedTicker(market::MarketState& market, const char* pair, const char* last,
                const char* open) {
  const common::Decimal last_price = D(last);
  const common::Decimal open_price = D(open);
  market.OnTicker(
      {pair, last_price, open_price, std::max(last_price, open_price),
       std::min(last_price, open_price), D("10"), D("1000"),
       common::WallClockMs()},
      "binance");
}

void FeedTrade(market::MarketState& market, const char* pair,
               const std::string& price) {
  market.OnTick(
      {pair, D(price.c_str()), D("1"), common::WallClockMs(), std::nullopt},
      "binance");
}

}  // namespace cryptotracker::pricing::handler::testing
