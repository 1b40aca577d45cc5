// GetCandles at rate: the newest 1,000 candles of one pair, asked for again
// and again over a real gRPC channel to the handler in this process (server
// and client share the machine's cores), against a real PostgreSQL database
// (TEST_DATABASE_URL, as the integration tests) holding 1,500 one-minute
// candles with their roll-ups and 1,000 hourly candles. The figure is the
// service's cost per call plus the client's (a raw call: the client does not
// decode the 1,000 candles). BM_LoadCandles is the service's own part without
// gRPC: the read model's answer for the same request (what the handler turns
// into its response).
//
//   TEST_DATABASE_URL=postgresql://... \
//     bazel run -c opt
//     //services/pricing-service/benchmark:get_candles_benchmark
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "services/common/blocking_executor.h"
#include "services/common/clock.h"
#include "services/common/testing/test_server.h"
#include "services/pricing-service/candles/candle_reader.h"
#include "services/pricing-service/contract/proto_convert.h"
#include "services/pricing-service/handler/pricing_handler.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/storage/test_database.h"
#include "services/pricing-service/stream/price_cache.h"
#include "services/pricing-service/stream/price_stream.h"

namespace cryptotracker::pricing {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kHourMs = 3'600'000;

domain::Candle MakeCandle(domain::Interval interval, int64_t open_time_ms,
                          int64_t step) {
  domain::Candle candle;
  candle.symbol = "BTCUSDT";
  candle.interval = interval;
  candle.open_time_ms = open_time_ms;
  const common::Decimal base = *common::Decimal::Parse("64250.12345678");
  candle.open = *base.Add(common::Decimal::FromInteger(step % 97));
  candle.close = *base.Add(common::Decimal::FromInteger(step % 89));
  candle.high = *base.Add(common::Decimal::FromInteger(100));
  candle.low = base;
  candle.volume = *common::Decimal::Parse("12.34567891");
  candle.quote_volume = *common::Decimal::Parse("793210.55123456");
  candle.trade_count = 1234 + step;
  candle.closed = true;
  return candle;
}

// The service under load, built once for every benchmark.
class Service {
 public:
  Service()
      : database_("pricing_bench", 8),
        market_({{"BTC", "BTCUSDT"}}, {.stale_after = std::chrono::hours(1)}),
        recorder_(database_.repository(), {"BTCUSDT"}),
        prices_(market_),
        streams_(market_, prices_, {}),
        blocking_(8, common::kMaxQueuedBlockingCalls),
        handler_(market_, prices_, blocking_, database_.repository(),
                 &recorder_, streams_),
        server_("pricing-bench", {&handler_}) {
    const int64_t now = common::WallClockMs();
    const int64_t minute = domain::AlignToInterval(now, domain::Interval::k1m);
    const int64_t hour = domain::AlignToInterval(now, domain::Interval::k1h);
    std::vector<market::SourcedCandle> hours;
    for (int64_t i = 1; i <= 1000; ++i) {
      hours.push_back(
          {MakeCandle(domain::Interval::k1h, hour - i * kHourMs, i), "rollup"});
    }
    database_.repository().UpsertCandles(hours);
    // The minutes as the service writes them, with their roll-ups.
    std::vector<market::SourcedCandle> minutes;
    for (int64_t i = 1; i <= 1500; ++i) {
      minutes.push_back(
          {MakeCandle(domain::Interval::k1m, minute - i * kMinuteMs, i),
           "binance:klines"});
    }
    storage::PricingRepository(database_.pool(), {.roll_up_on_write = true})
        .UpsertCandles(minutes);
    server_.WaitUntilServing();
    stub_ = std::make_unique<grpc::GenericStub>(server_.NewChannel());
  }

  grpc::GenericStub& stub() { return *stub_; }
  storage::PricingRepository& repository() { return database_.repository(); }
  const market::CandleRecorder& recorder() const { return recorder_; }

 private:
  storage::TestDatabase database_;
  market::MarketState market_;
  market::CandleRecorder recorder_;
  stream::PriceCache prices_;
  stream::PriceStreamHub streams_;
  common::BlockingExecutor blocking_;
  handler::PricingHandler handler_;
  common::testing::TestServer server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

Service& TheService() {
  static Service* service = new Service();
  return *service;
}

void BM_GetCandles(benchmark::State& state) {
  Service& service = TheService();
  v1::GetCandlesRequest request;
  request.set_symbol("BTC");
  request.set_interval(static_cast<v1::Interval>(state.range(0)));
  request.set_limit(1000);
  const std::string encoded = request.SerializeAsString();
  grpc::Slice slice(encoded);
  const grpc::ByteBuffer request_bytes(&slice, 1);
  int64_t bytes = 0;
  for (auto _ : state) {
    grpc::ClientContext context;
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    service.stub().UnaryCall(
        &context, "/cryptotracker.pricing.v1.PricingService/GetCandles", {},
        &request_bytes, &response,
        [&done](grpc::Status status) { done.set_value(std::move(status)); });
    const grpc::Status status = done.get_future().get();
    if (!status.ok()) {
      state.SkipWithError(status.error_message().c_str());
      break;
    }
    bytes += static_cast<int64_t>(response.Length());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void BM_LoadCandles(benchmark::State& state) {
  Service& service = TheService();
  candles::CandleReader reader(service.repository(), &service.recorder(),
                               std::chrono::seconds(5),
                               contract::AppendCandleField);
  const auto interval = static_cast<domain::Interval>(state.range(0));
  size_t candles = 0;
  for (auto _ : state) {
    const int64_t now = common::WallClockMs();
    candles::CandleWindow window =
        reader.LoadCandles("BTCUSDT", interval, std::nullopt, now, 1000, now);
    candles += window.size();
    benchmark::DoNotOptimize(window);
  }
  state.counters["candles_per_call"] =
      static_cast<double>(candles) / static_cast<double>(state.iterations());
}

BENCHMARK(BM_LoadCandles)
    ->Arg(static_cast<int>(domain::Interval::k1m))
    ->Arg(static_cast<int>(domain::Interval::k1h))
    ->Arg(static_cast<int>(domain::Interval::k1d));

BENCHMARK(BM_GetCandles)
    ->Arg(v1::INTERVAL_1M)
    ->Arg(v1::INTERVAL_1H)
    ->Threads(1)
    ->Threads(16)
    ->UseRealTime();

}  // namespace
}  // namespace cryptotracker::pricing
