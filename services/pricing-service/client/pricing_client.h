// The pricing-service's client for other services (portfolio, alert), its
// benchmarks and end-to-end tests: unary calls with deadlines and typed
// answers. For live prices see PriceSubscription (price_subscription.h),
// which keeps a PriceBook current over StreamPrices.
//
//   PricingClient pricing(PricingClient::NewChannel("pricing-service:50052"));
//   absl::StatusOr<std::vector<Price>> prices = pricing.GetPrices({"BTC"},
//   "EUR");
//
// Errors keep the server's gRPC code (NOT_FOUND for an untracked symbol,
// INVALID_ARGUMENT for a bad request, UNAVAILABLE while pricing is down or
// has no price yet, DEADLINE_EXCEEDED after the call timeout) with a message
// that starts with the method, e.g. "pricing GetPrices: unknown symbol NOPE".
// The pricing-service is public: no call needs credentials.
#ifndef CRYPTOTRACKER_PRICING_CLIENT_PRICING_CLIENT_H_
#define CRYPTOTRACKER_PRICING_CLIENT_PRICING_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cryptotracker/pricing/v1/pricing_service.grpc.pb.h"
#include "services/pricing-service/client/prices.h"

namespace cryptotracker::pricing::client {

struct ClientOptions {
  // Deadline of each unary call.
  std::chrono::milliseconds call_timeout{5'000};
};

struct CandleQuery {
  std::string symbol;
  Interval interval = v1::INTERVAL_UNSPECIFIED;
  // Open times: start inclusive, end exclusive (the server's default: now).
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> end_time;
  // 1..1000; 0 asks for the server's default of 500.
  int limit = 0;
};

class PricingClient {
 public:
  // A plaintext channel to `address` ("host:port") whose reconnection
  // backoff is capped at a few seconds (gRPC's default grows to two
  // minutes), so a restarted pricing-service is found again quickly.
  static std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

  explicit PricingClient(std::shared_ptr<grpc::Channel> channel,
                         ClientOptions options = {});

  // Latest prices of `symbols` (empty: every tracked asset) in `quote`
  // ("USD", "EUR" or "BTC"), in the order asked.
  absl::StatusOr<std::vector<Price>> GetPrices(
      const std::vector<std::string>& symbols, std::string_view quote = "USD");

  // Candles of one asset in USD, oldest first.
  absl::StatusOr<CandleSeries> GetCandles(const CandleQuery& query);

  // Every candle with an open time in [start, end), oldest first, paging
  // forward 1000 at a time (the contract's largest page). RESOURCE_EXHAUSTED
  // when the range holds more than `max_candles`, so a mistaken range (years
  // of one-minute candles) fails instead of filling memory.
  absl::StatusOr<CandleSeries> GetCandlesBetween(
      const std::string& symbol, Interval interval, TimePoint start,
      TimePoint end, std::size_t max_candles = 100'000);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  void SetDeadline(grpc::ClientContext& ctx) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PricingService::Stub> stub_;
  ClientOptions options_;
};

// `status` as an absl::Status with the same code, its message prefixed with
// "pricing <method>: ".
absl::Status FromGrpcStatus(const grpc::Status& status,
                            std::string_view method);

}  // namespace cryptotracker::pricing::client

#endif  // CRYPTOTRACKER_PRICING_CLIENT_PRICING_CLIENT_H_
