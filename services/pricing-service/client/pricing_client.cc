#include "services/pricing-service/client/pricing_client.h"

#include <utility>

namespace cryptotracker::pricing::client {

std::shared_ptr<grpc::Channel> PricingClient::NewChannel(
    const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5'000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

PricingClient::PricingClient(std::shared_ptr<grpc::Channel> channel,
                             ClientOptions options)
    : channel_(std::move(channel)),
      stub_(v1::PricingService::NewStub(channel_)),
      options_(options) {}

void PricingClient::SetDeadline(grpc::ClientContext& ctx) const {
  ctx.set_deadline(std::chrono::system_clock::now() + options_.call_timeout);
}

absl::StatusOr<std::vector<Price>> PricingClient::GetPrices(
    const std::vector<std::string>& symbols, std::string_view quote) {
  v1::GetPricesRequest request;
  for (const std::string& symbol : symbols) request.add_symbols(symbol);
  request.set_quote(std::string(quote));
  v1::GetPricesResponse response;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  grpc::Status status = stub_->GetPrices(&ctx, request, &response);
  if (!status.ok()) return FromGrpcStatus(status, "GetPrices");
  std::vector<Price> prices;
  prices.reserve(response.prices_size());
  for (const v1::Price& proto : response.prices()) {
    absl::StatusOr<Price> price = PriceFromProto(proto);
    if (!price.ok()) return price.status();
    prices.push_back(*std::move(price));
  }
  return prices;
}

absl::StatusOr<CandleSeries> PricingClient::GetCandles(
    const CandleQuery& query) {
  v1::GetCandlesRequest request;
  request.set_symbol(query.symbol);
  request.set_interval(query.interval);
  if (query.start_time) {
    *request.mutable_start_time() = ToProtoTime(*query.start_time);
  }
  if (query.end_time)
    *request.mutable_end_time() = ToProtoTime(*query.end_time);
  request.set_limit(query.limit);
  v1::GetCandlesResponse response;
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  grpc::Status status = stub_->GetCandles(&ctx, request, &response);
  if (!status.ok()) return FromGrpcStatus(status, "GetCandles");
  return CandleSeriesFromProto(response);
}

absl::StatusOr<CandleSeries> PricingClient::GetCandlesBetween(
    const std::string& symbol, Interval interval, TimePoint start,
    TimePoint end, std::size_t max_candles) {
  constexpr int kPage = 1000;
  CandleQuery query{.symbol = symbol,
                    .interval = interval,
                    .start_time = start,
                    .end_time = end,
                    .limit = kPage};
  CandleSeries all;
  while (true) {
    absl::StatusOr<CandleSeries> page = GetCandles(query);
    if (!page.ok()) return page.status();
    const bool last_page = page->candles.size() < kPage;
    if (all.candles.empty()) {
      all = *std::move(page);
    } else {
      all.candles.insert(all.candles.end(),
                         std::make_move_iterator(page->candles.begin()),
                         std::make_move_iterator(page->candles.end()));
    }
    if (all.candles.size() > max_candles) {
      return absl::ResourceExhaustedError(
          "pricing GetCandles: more than " + std::to_string(max_candles) +
          " candles of " + symbol + " in the range");
    }
    if (last_page || all.candles.empty()) return all;
    // The next page starts where the last candle ended.
    query.start_time = all.candles.back().close_time;
    if (*query.start_time >= end) return all;
  }
}

absl::Status FromGrpcStatus(const grpc::Status& status,
                            std::string_view method) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl share the canonical code numbers.
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      "pricing " + std::string(method) + ": " + status.error_message());
}

}  // namespace cryptotracker::pricing::client
