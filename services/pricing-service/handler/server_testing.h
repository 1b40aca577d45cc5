// Helpers of the tests that call pricing's gRPC surface over a real channel
// (handler/, stream/): a call context with a deadline, a status check, and
// market data fed the way the exchange feed delivers it.
#ifndef CRYPTOTRACKER_PRICING_HANDLER_SERVER_TESTING_H_
#define CRYPTOTRACKER_PRICING_HANDLER_SERVER_TESTING_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "services/pricing-service/market/market_state.h"

namespace cryptotracker::pricing::handler::testing {

// A client context whose call fails after 20 seconds instead of hanging.
std::unique_ptr<grpc::ClientContext> CallContext();

// Expects `status` to have `code` and a message containing `fragment`.
void ExpectStatus(const grpc::Status& status, grpc::StatusCode code,
                  const std::string& fragment);

// A 24-hour ticker of `pair` received now: `last` and `open`, the range
// they span, base volume 10 and quote volume 1000.
void FeedTicker(market::MarketState& market, const char* pair, const char* last,
                const char* open);

// A trade of quantity 1 at `price`, received now.
void FeedTrade(market::MarketState& market, const char* pair,
               const std::string& price);

}  // namespace cryptotracker::pricing::handler::testing

#endif  // CRYPTOTRACKER_PRICING_HANDLER_SERVER_TESTING_H_
