// StreamPrices' engine over a real in-process gRPC channel: a stand-in
// service opens every stream straight on the PriceStreamHub (the request
// validation in front of it is the handler's, tested in handler/), fed by
// a real MarketState. No database.
#include "services/pricing-service/stream/price_stream.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cryptotracker/pricing/v1/pricing_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/testing/test_server.h"
#include "services/pricing-service/handler/server_testing.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/quotes.h"
#include "services/pricing-service/stream/price_cache.h"

namespace cryptotracker::pricing::stream {
namespace {

using handler::testing::CallContext;
using handler::testing::ExpectStatus;
using handler::testing::FeedTicker;
using handler::testing::FeedTrade;

// Short, so that the test of held statistics does not wait long.
constexpr std::chrono::milliseconds kStatisticsHold{500};
// Small, so that the test of the stream limit reaches it.
constexpr int kMaxStreams = 2;

// Streams the request's symbols (every asset when none) in its quote, with
// the ones priced now first, as the handler does after validating.
class StreamOnlyService final
    : public v1::PricingService::WithRawCallbackMethod_StreamPrices<
          v1::PricingService::CallbackService> {
 public:
  StreamOnlyService(market::MarketState& market, PriceCache& prices,
                    PriceStreamHub& hub)
      : market_(market), prices_(prices), hub_(hub) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamPrices(
      grpc::CallbackServerContext*, const grpc::ByteBuffer* raw) override {
    v1::StreamPricesRequest request;
    grpc::ByteBuffer input(*raw);
    if (!grpc::SerializationTraits<v1::StreamPricesRequest>::Deserialize(
             &input, &request)
             .ok()) {
      return PriceStreamHub::Fail(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request"));
    }
    const market::QuoteCurrency quote =
        *market::ParseQuoteCurrency(request.quote());
    std::vector<size_t> watched;
    for (const std::string& symbol : request.symbols()) {
      watched.push_back(*market_.FindAsset(symbol));
    }
    if (watched.empty()) {
      for (size_t i = 0; i < market_.assets().size(); ++i) watched.push_back(i);
    }
    std::vector<size_t> priced;
    for (size_t index : watched) {
      if (prices_.Get(index, quote, market_.NowMs()).ok()) {
        priced.push_back(index);
      }
    }
    return hub_.Open(watched, priced, quote);
  }

 private:
  market::MarketState& market_;
  PriceCache& prices_;
  PriceStreamHub& hub_;
};

class PriceStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    market_ = std::make_unique<market::MarketState>(
        std::vector<market::TrackedAsset>{
            {"BTC", "BTCUSDT"}, {"ETH", "ETHUSDT"}, {"SOL", "SOLUSDT"}},
        market::MarketStateOptions{.stale_after = std::chrono::seconds(60)});
    prices_ = std::make_unique<PriceCache>(*market_);
    hub_ = std::make_unique<PriceStreamHub>(
        *market_, *prices_,
        PriceStreamOptions{
            .heartbeat_interval = std::chrono::milliseconds(300),
            .maintenance_interval = std::chrono::milliseconds(50),
            .max_streams = kMaxStreams,
            // One shard: the slow and the fast stream of the slow-reader
            // test share its thread, the case where one could hold up the
            // other.
            .fan_out_threads = 1,
            .statistics_hold = kStatisticsHold});
    hub_->Start();
    service_ = std::make_unique<StreamOnlyService>(*market_, *prices_, *hub_);
    server_ = std::make_unique<common::testing::TestServer>(
        "price-stream-test", std::vector<grpc::Service*>{service_.get()});
    ASSERT_TRUE(server_->WaitUntilServing());
    stub_ = v1::PricingService::NewStub(server_->NewChannel());
  }

  // The hub ends its streams first; the members then go in reverse order
  // of declaration, the server before the hub it calls.
  void TearDown() override { hub_->Stop(); }

  std::unique_ptr<market::MarketState> market_;
  std::unique_ptr<PriceCache> prices_;
  std::unique_ptr<PriceStreamHub> hub_;
  std::unique_ptr<StreamOnlyService> service_;
  std::unique_ptr<common::testing::TestServer> server_;
  std::unique_ptr<v1::PricingService::Stub> stub_;
};

TEST_F(PriceStreamTest, HoldsStatisticsForTheNextTrade) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  v1::StreamPricesRequest request;
  request.add_symbols("BTC");
  auto context = CallContext();
  auto reader = stub_->StreamPrices(context.get(), request);
  auto next_price = [&reader] {
    v1::StreamPricesResponse message;
    do {
      if (!reader->Read(&message)) return v1::Price();
    } while (message.has_heartbeat());
    return message.price();
  };
  EXPECT_EQ(next_price().last_price(), "100");

  // A ticker that leaves the price where it was rides with the next trade:
  // no message of its own.
  FeedTicker(*market_, "BTCUSDT", "100", "90");
  FeedTrade(*market_, "BTCUSDT", "101");
  v1::Price price = next_price();
  EXPECT_EQ(price.last_price(), "101");
  EXPECT_EQ(price.open_24h(), "90");

  // Without a trade it goes out when the hold ends.
  const auto held_from = std::chrono::steady_clock::now();
  FeedTicker(*market_, "BTCUSDT", "101", "95");
  price = next_price();
  const auto waited = std::chrono::steady_clock::now() - held_from;
  EXPECT_EQ(price.last_price(), "101");
  EXPECT_EQ(price.open_24h(), "95");
  EXPECT_GE(waited, kStatisticsHold - std::chrono::milliseconds(50));
  context->TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(PriceStreamTest, EurRateMoveReachesEurStreamsOnly) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  FeedTicker(*market_, "EURUSDT", "1.25", "1.25");
  v1::StreamPricesRequest request;
  request.add_symbols("BTC");
  request.set_quote("EUR");
  auto eur_context = CallContext();
  auto eur = stub_->StreamPrices(eur_context.get(), request);
  request.set_quote("USD");
  auto usd_context = CallContext();
  auto usd = stub_->StreamPrices(usd_context.get(), request);
  v1::StreamPricesResponse message;
  ASSERT_TRUE(eur->Read(&message));
  EXPECT_EQ(message.price().last_price(), "80");
  ASSERT_TRUE(usd->Read(&message));
  EXPECT_EQ(message.price().last_price(), "100");

  // Only the EUR rate moves: BTC's own pair is unchanged.
  FeedTrade(*market_, "EURUSDT", "1.6");
  ASSERT_TRUE(eur->Read(&message));
  while (message.has_heartbeat()) ASSERT_TRUE(eur->Read(&message));
  EXPECT_EQ(message.price().symbol(), "BTC");
  EXPECT_EQ(message.price().quote(), "EUR");
  EXPECT_EQ(message.price().last_price(), "62.5");

  // The USD stream got nothing but heartbeats meanwhile.
  FeedTrade(*market_, "BTCUSDT", "120");
  ASSERT_TRUE(usd->Read(&message));
  while (message.has_heartbeat()) ASSERT_TRUE(usd->Read(&message));
  EXPECT_EQ(message.price().last_price(), "120");
  eur_context->TryCancel();
  usd_context->TryCancel();
  eur->Finish();
  usd->Finish();
}

TEST_F(PriceStreamTest, IdleStreamGetsHeartbeats) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  v1::StreamPricesRequest request;
  auto context = CallContext();
  auto reader = stub_->StreamPrices(context.get(), request);
  v1::StreamPricesResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_TRUE(message.has_price());
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.has_heartbeat());
  const auto waited = std::chrono::steady_clock::now() - before;
  // heartbeat_interval is 300 ms in this fixture.
  EXPECT_GE(waited, std::chrono::milliseconds(200));
  EXPECT_GT(message.heartbeat().server_time().seconds(), 1'600'000'000);
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_TRUE(message.has_heartbeat());
  context->TryCancel();
  reader->Finish();
}

TEST_F(PriceStreamTest, SlowReaderIsConflatedAndDoesNotSlowOthers) {
  FeedTicker(*market_, "BTCUSDT", "1", "1");
  v1::StreamPricesRequest request;
  request.add_symbols("BTC");
  // The slow client's channel takes in little before its writes stall: no
  // BDP probing (which would widen the window) and a 16 KiB stream window,
  // so that the burst below really fills what it accepts.
  grpc::ChannelArguments narrow;
  narrow.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  narrow.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto slow_stub = v1::PricingService::NewStub(grpc::CreateCustomChannel(
      server_->address(), grpc::InsecureChannelCredentials(), narrow));
  auto slow_context = CallContext();
  auto slow = slow_stub->StreamPrices(slow_context.get(), request);
  auto fast_context = CallContext();
  auto fast = stub_->StreamPrices(fast_context.get(), request);
  v1::StreamPricesResponse message;
  ASSERT_TRUE(slow->Read(&message));
  ASSERT_TRUE(fast->Read(&message));

  // The fast client reads concurrently and must see the final price while
  // the slow one still reads nothing.
  constexpr int kUpdates = 30'000;
  const std::string final_price = std::to_string(kUpdates + 1);
  std::atomic<bool> fast_saw_final{false};
  std::thread fast_reader([&] {
    v1::StreamPricesResponse m;
    while (fast->Read(&m)) {
      if (m.has_price() && m.price().last_price() == final_price) {
        fast_saw_final = true;
        return;
      }
    }
  });
  // The first updates come paced, so that each is a write of its own to the
  // slow client until its window is full and its writes stall; the rest
  // come as one burst.
  constexpr int kPacedUpdates = 2'000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 2; i <= kUpdates + 1; ++i) {
    FeedTrade(*market_, "BTCUSDT", std::to_string(i));
    if (i <= kPacedUpdates) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  const auto publish_time = std::chrono::steady_clock::now() - start;
  fast_reader.join();
  // Publishing never waited for the stalled client, and neither did the
  // fast one (it would otherwise only stop at its deadline, without the
  // final price).
  EXPECT_LT(publish_time, std::chrono::seconds(10));
  EXPECT_TRUE(fast_saw_final);

  int slow_messages = 0;
  std::string last_seen;
  while (slow->Read(&message)) {
    if (!message.has_price()) continue;
    ++slow_messages;
    last_seen = message.price().last_price();
    if (last_seen == final_price) break;
  }
  EXPECT_EQ(last_seen, final_price);   // the newest price always arrives
  EXPECT_LT(slow_messages, kUpdates);  // the burst was conflated
  slow_context->TryCancel();
  fast_context->TryCancel();
  slow->Finish();
  fast->Finish();
}

TEST_F(PriceStreamTest, LimitRefusesUntilAStreamEnds) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  v1::StreamPricesRequest request;
  request.add_symbols("BTC");
  // Whether a stream was accepted: an accepted one sends the current price
  // first, a refused one ends with RESOURCE_EXHAUSTED before any message.
  struct Opened {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::StreamPricesResponse>> reader;
    bool accepted = false;
  };
  auto open = [&] {
    Opened opened;
    opened.context = CallContext();
    opened.reader = stub_->StreamPrices(opened.context.get(), request);
    v1::StreamPricesResponse message;
    opened.accepted = opened.reader->Read(&message);
    return opened;
  };
  std::vector<Opened> open_streams;
  for (int i = 0; i < kMaxStreams; ++i) {
    open_streams.push_back(open());
    ASSERT_TRUE(open_streams.back().accepted) << i;
  }
  Opened refused = open();
  EXPECT_FALSE(refused.accepted);
  ExpectStatus(refused.reader->Finish(), grpc::StatusCode::RESOURCE_EXHAUSTED,
               "too many price streams");

  // A stream that ends gives its place back (once the server saw it end).
  open_streams.front().context->TryCancel();
  open_streams.front().reader->Finish();
  Opened next;
  for (int attempt = 0; attempt < 100 && !next.accepted; ++attempt) {
    if (attempt > 0) {
      next.reader->Finish();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    next = open();
  }
  EXPECT_TRUE(next.accepted);
  open_streams.push_back(std::move(next));
  for (size_t i = 1; i < open_streams.size(); ++i) {
    open_streams[i].context->TryCancel();
    open_streams[i].reader->Finish();
  }
}

}  // namespace
}  // namespace cryptotracker::pricing::stream
