// Integration test: PricingService over a real in-process gRPC channel,
// backed by a real PostgreSQL database (TEST_DATABASE_URL).
#include "services/pricing-service/handler/pricing_handler.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/db.h"
#include "services/common/migrations.h"
#include "services/common/testing/pg_test_db.h"
#include "services/common/testing/test_server.h"
#include "services/pricing-service/handler/server_testing.h"
#include "services/pricing-service/migrations.h"

namespace cryptotracker::pricing::handler {
namespace {

using testing::CallContext;
using testing::ExpectStatus;
using testing::FeedTicker;
using testing::FeedTrade;

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PricingHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<common::testing::PgTestDb>("pricing_handler");
    pool_ =
        std::make_unique<common::ConnectionPool>(db_->connection_string(), 4);
    common::ApplyMigrations(*pool_, "pricing-service",
                            migrations::Migrations());
    repository_ = std::make_unique<storage::PricingRepository>(*pool_);
    market_ = std::make_unique<market::MarketState>(
        std::vector<market::TrackedAsset>{
            {"BTC", "BTCUSDT"}, {"ETH", "ETHUSDT"}, {"SOL", "SOLUSDT"}},
        market::MarketStateOptions{.stale_after = std::chrono::seconds(60)});
    recorder_ = std::make_unique<market::CandleRecorder>(
        *repository_, std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
    prices_ = std::make_unique<stream::PriceCache>(*market_);
    hub_ = std::make_unique<stream::PriceStreamHub>(
        *market_, *prices_,
        stream::PriceStreamOptions{
            .heartbeat_interval = std::chrono::milliseconds(300),
            .maintenance_interval = std::chrono::milliseconds(50)});
    hub_->Start();
    blocking_ = std::make_unique<common::BlockingExecutor>(4, 64);
    handler_ = std::make_unique<PricingHandler>(
        *market_, *prices_, *blocking_, *repository_, recorder_.get(), *hub_);
    server_ = std::make_unique<common::testing::TestServer>(
        "pricing-service-test", std::vector<grpc::Service*>{handler_.get()});
    ASSERT_TRUE(server_->WaitUntilServing());
    stub_ = v1::PricingService::NewStub(server_->NewChannel());
  }

  void TearDown() override {
    hub_->Stop();
    stub_.reset();
    server_.reset();
    blocking_.reset();
    handler_.reset();
    hub_.reset();
    recorder_.reset();
    market_.reset();
    repository_.reset();
    pool_.reset();
    db_.reset();
  }

  grpc::Status GetPrices(std::vector<std::string> symbols,
                         const std::string& quote,
                         v1::GetPricesResponse* response) {
    v1::GetPricesRequest request;
    for (auto& s : symbols) request.add_symbols(s);
    request.set_quote(quote);
    return stub_->GetPrices(CallContext().get(), request, response);
  }

  grpc::Status GetCandles(const v1::GetCandlesRequest& request,
                          v1::GetCandlesResponse* response) {
    return stub_->GetCandles(CallContext().get(), request, response);
  }

  std::unique_ptr<common::testing::PgTestDb> db_;
  std::unique_ptr<common::ConnectionPool> pool_;
  std::unique_ptr<storage::PricingRepository> repository_;
  std::unique_ptr<market::MarketState> market_;
  std::unique_ptr<market::CandleRecorder> recorder_;
  std::unique_ptr<stream::PriceCache> prices_;
  std::unique_ptr<common::BlockingExecutor> blocking_;
  std::unique_ptr<stream::PriceStreamHub> hub_;
  std::unique_ptr<PricingHandler> handler_;
  std::unique_ptr<common::testing::TestServer> server_;
  std::unique_ptr<v1::PricingService::Stub> stub_;
};

TEST_F(PricingHandlerTest, GetPricesInEveryQuote) {
  FeedTicker(*market_, "BTCUSDT", "60000", "50000");
  FeedTicker(*market_, "ETHUSDT", "3000", "3000");
  FeedTicker(*market_, "EURUSDT", "1.2", "1.2");
  v1::GetPricesResponse response;
  ASSERT_TRUE(GetPrices({"eth", "BTC", "ETH"}, "eur", &response).ok());
  ASSERT_EQ(response.prices_size(), 2);  // duplicate dropped, order kept
  EXPECT_EQ(response.prices(0).symbol(), "ETH");
  EXPECT_EQ(response.prices(0).quote(), "EUR");
  EXPECT_EQ(response.prices(0).last_price(), "2500");
  EXPECT_EQ(response.prices(0).derivation(), v1::PRICE_DERIVATION_CROSS_RATE);
  EXPECT_EQ(response.prices(0).via(), "USDT");
  EXPECT_FALSE(response.prices(0).stale());

  response.Clear();
  ASSERT_TRUE(GetPrices({}, "", &response).ok());
  ASSERT_EQ(response.prices_size(), 2);  // SOL has no price yet
  EXPECT_EQ(response.prices(0).symbol(), "BTC");
  EXPECT_EQ(response.prices(0).quote(), "USD");
  EXPECT_EQ(response.prices(0).pair(), "BTCUSDT");
  EXPECT_EQ(response.prices(0).derivation(), v1::PRICE_DERIVATION_STABLECOIN);
  EXPECT_EQ(response.prices(0).change_percent_24h(), "20");
  EXPECT_EQ(response.prices(0).source(), "binance");

  response.Clear();
  ASSERT_TRUE(GetPrices({"ETH"}, "BTC", &response).ok());
  EXPECT_EQ(response.prices(0).last_price(), "0.05");
}

TEST_F(PricingHandlerTest, RepeatedGetPricesSeesEveryChange) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  v1::GetPricesResponse response;
  for (int i = 1; i <= 3; ++i) {
    const std::string price = std::to_string(100 + i);
    FeedTrade(*market_, "BTCUSDT", price);
    for (int repeat = 0; repeat < 2; ++repeat) {  // the second one is cached
      response.Clear();
      ASSERT_TRUE(GetPrices({"BTC"}, "", &response).ok());
      ASSERT_EQ(response.prices_size(), 1);
      EXPECT_EQ(response.prices(0).last_price(), price);
    }
  }
}

TEST_F(PricingHandlerTest, GetPricesBadInput) {
  FeedTicker(*market_, "BTCUSDT", "60000", "50000");
  v1::GetPricesResponse response;
  ExpectStatus(GetPrices({"DOGE"}, "", &response), grpc::StatusCode::NOT_FOUND,
               "DOGE");
  ExpectStatus(GetPrices({"BTC", "nope"}, "", &response),
               grpc::StatusCode::NOT_FOUND, "NOPE");
  ExpectStatus(GetPrices({"BT-C"}, "", &response),
               grpc::StatusCode::INVALID_ARGUMENT, "symbols[0]");
  ExpectStatus(GetPrices({std::string(21, 'A')}, "", &response),
               grpc::StatusCode::INVALID_ARGUMENT, "symbols[0]");
  ExpectStatus(GetPrices(std::vector<std::string>(101, "BTC"), "", &response),
               grpc::StatusCode::INVALID_ARGUMENT, "at most 100");
  ExpectStatus(GetPrices({"BTC"}, "GBP", &response),
               grpc::StatusCode::INVALID_ARGUMENT, "quote");
  ExpectStatus(GetPrices({"SOL"}, "", &response), grpc::StatusCode::UNAVAILABLE,
               "SOL");
  // EUR needs the EURUSDT rate, which has not arrived.
  ExpectStatus(GetPrices({"BTC"}, "EUR", &response),
               grpc::StatusCode::UNAVAILABLE, "BTC");
}

TEST_F(PricingHandlerTest, ListAssetsPagesAndFilters) {
  v1::ListAssetsRequest request;
  request.set_page_size(2);
  v1::ListAssetsResponse page;
  ASSERT_TRUE(stub_->ListAssets(CallContext().get(), request, &page).ok());
  ASSERT_EQ(page.assets_size(), 2);
  EXPECT_EQ(page.assets(0).symbol(), "BTC");
  EXPECT_EQ(page.assets(0).name(), "Bitcoin");
  EXPECT_EQ(page.assets(0).rank(), 1);
  EXPECT_EQ(page.assets(1).symbol(), "ETH");
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  v1::ListAssetsResponse next;
  ASSERT_TRUE(stub_->ListAssets(CallContext().get(), request, &next).ok());
  ASSERT_EQ(next.assets_size(), 1);  // only the three tracked assets
  EXPECT_EQ(next.assets(0).symbol(), "SOL");
  EXPECT_TRUE(next.next_page_token().empty());

  // The token belongs to the query it was issued for.
  request.set_query("sol");
  ExpectStatus(stub_->ListAssets(CallContext().get(), request, &next),
               grpc::StatusCode::INVALID_ARGUMENT, "page_token");
  request.set_page_token("garbage");
  ExpectStatus(stub_->ListAssets(CallContext().get(), request, &next),
               grpc::StatusCode::INVALID_ARGUMENT, "page_token");
  request.clear_page_token();
  next.Clear();
  ASSERT_TRUE(stub_->ListAssets(CallContext().get(), request, &next).ok());
  ASSERT_EQ(next.assets_size(), 1);
  EXPECT_EQ(next.assets(0).symbol(), "SOL");

  request.set_page_size(501);
  ExpectStatus(stub_->ListAssets(CallContext().get(), request, &next),
               grpc::StatusCode::INVALID_ARGUMENT, "page_size");
  request.set_page_size(0);
  request.set_query(std::string(51, 'x'));
  ExpectStatus(stub_->ListAssets(CallContext().get(), request, &next),
               grpc::StatusCode::INVALID_ARGUMENT, "query");
}

TEST_F(PricingHandlerTest, GetCandlesBadInput) {
  v1::GetCandlesRequest request;
  v1::GetCandlesResponse response;
  request.set_symbol("BTC");
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "interval");
  request.set_interval(static_cast<v1::Interval>(42));
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "interval");
  request.set_interval(v1::INTERVAL_1H);
  request.set_limit(1001);
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT,
               "limit: must be between 1 and 1000");
  request.set_limit(-1);
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "limit");
  request.set_limit(10);
  request.mutable_start_time()->set_seconds(2'000'000'000);
  request.mutable_end_time()->set_seconds(1'900'000'000);
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "start_time");
  request.mutable_start_time()->set_nanos(-5);
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "start_time");
  request.clear_start_time();
  request.mutable_end_time()->set_seconds(-1);
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "end_time");
  request.clear_end_time();
  request.set_symbol("DOGE");
  ExpectStatus(GetCandles(request, &response), grpc::StatusCode::NOT_FOUND,
               "DOGE");
  request.set_symbol("");
  ExpectStatus(GetCandles(request, &response),
               grpc::StatusCode::INVALID_ARGUMENT, "symbol");
}

TEST_F(PricingHandlerTest, GetCandlesMergesStoredRollupsAndLiveCandles) {
  const int64_t hour =
      domain::AlignToInterval(WallMs(), domain::Interval::k1h) - 3'600'000;
  std::vector<market::SourcedCandle> batch;
  // The whole previous hour in one-minute candles, closes 100..159.
  for (int i = 0; i < 60; ++i) {
    domain::Candle c;
    c.symbol = "BTCUSDT";
    c.open_time_ms = hour + i * 60'000;
    c.open = c.low = common::Decimal::FromInteger(100 + i);
    c.close = c.high = common::Decimal::FromInteger(100 + i);
    c.volume = D("1");
    c.quote_volume = common::Decimal::FromInteger(100 + i);
    c.trade_count = 1;
    c.closed = true;
    batch.push_back({c, "binance:trades"});
  }
  repository_->UpsertCandles(batch);
  FeedTrade(*market_, "BTCUSDT", "170");  // the live minute, via the recorder
  recorder_->OnTick({"BTCUSDT", D("170"), D("2"), WallMs(), std::nullopt},
                    "binance");

  v1::GetCandlesRequest request;
  request.set_symbol("btc");
  request.set_interval(v1::INTERVAL_1H);
  v1::GetCandlesResponse response;
  ASSERT_TRUE(GetCandles(request, &response).ok());
  EXPECT_EQ(response.symbol(), "BTC");
  EXPECT_EQ(response.quote(), "USD");
  EXPECT_EQ(response.pair(), "BTCUSDT");
  EXPECT_EQ(response.derivation(), v1::PRICE_DERIVATION_STABLECOIN);
  // Not materialised yet: the hour is rolled up from its minutes, and the
  // current hour comes from the open candle.
  ASSERT_EQ(response.candles_size(), 2);
  const v1::Candle& previous = response.candles(0);
  EXPECT_EQ(previous.open_time().seconds() * 1000, hour);
  EXPECT_EQ(previous.open(), "100");
  EXPECT_EQ(previous.close(), "159");
  EXPECT_EQ(previous.high(), "159");
  EXPECT_EQ(previous.volume(), "60");
  EXPECT_EQ(previous.trade_count(), 60);
  EXPECT_TRUE(previous.closed());
  EXPECT_EQ(response.candles(1).close(), "170");
  EXPECT_FALSE(response.candles(1).closed());

  // After materialisation the stored roll-up is served, same values.
  ASSERT_EQ(repository_->MaterializeRollups(domain::Interval::k1h, hour,
                                            hour + 3'600'000),
            1);
  response.Clear();
  request.set_limit(1);
  ASSERT_TRUE(GetCandles(request, &response).ok());
  ASSERT_EQ(response.candles_size(), 1);  // the newest only
  EXPECT_FALSE(response.candles(0).closed());
  response.Clear();
  request.mutable_start_time()->set_seconds(hour / 1000);
  ASSERT_TRUE(GetCandles(request, &response).ok());
  ASSERT_EQ(response.candles_size(), 1);  // the first from start_time
  EXPECT_EQ(response.candles(0).close(), "159");

  // One-minute candles: stored ones then the live one.
  request.clear_start_time();
  request.set_interval(v1::INTERVAL_1M);
  request.set_limit(3);
  response.Clear();
  ASSERT_TRUE(GetCandles(request, &response).ok());
  ASSERT_EQ(response.candles_size(), 3);
  EXPECT_EQ(response.candles(1).close(), "159");
  EXPECT_EQ(response.candles(2).close(), "170");
}

TEST_F(PricingHandlerTest, GetAnalysisComputesIndicatorsFromCandles) {
  v1::GetAnalysisRequest request;
  request.set_symbol("ETH");
  v1::Analysis analysis;
  ExpectStatus(stub_->GetAnalysis(CallContext().get(), request, &analysis),
               grpc::StatusCode::INVALID_ARGUMENT, "interval");
  request.set_interval(v1::INTERVAL_1M);
  ExpectStatus(stub_->GetAnalysis(CallContext().get(), request, &analysis),
               grpc::StatusCode::UNAVAILABLE, "ETH");
  request.set_symbol("XRP");
  ExpectStatus(stub_->GetAnalysis(CallContext().get(), request, &analysis),
               grpc::StatusCode::NOT_FOUND, "XRP");

  // 30 closed minutes rising by 1 from 100.
  const int64_t start =
      domain::AlignToInterval(WallMs(), domain::Interval::k1m) - 40 * 60'000;
  std::vector<market::SourcedCandle> batch;
  for (int i = 0; i < 30; ++i) {
    domain::Candle c;
    c.symbol = "ETHUSDT";
    c.open_time_ms = start + i * 60'000;
    c.open = c.low = common::Decimal::FromInteger(99 + i);
    c.close = c.high = common::Decimal::FromInteger(100 + i);
    c.closed = true;
    batch.push_back({c, "binance:klines"});
  }
  repository_->UpsertCandles(batch);
  request.set_symbol("eth");
  ASSERT_TRUE(stub_->GetAnalysis(CallContext().get(), request, &analysis).ok());
  EXPECT_EQ(analysis.symbol(), "ETH");
  EXPECT_EQ(analysis.candle_range().candle_count(), 30);
  EXPECT_EQ(analysis.last_close(), "129");
  // The values as decimal strings, and "" for those the candles are too
  // few for (the values themselves: domain/analysis_test.cc).
  ASSERT_EQ(analysis.sma_size(), 3);
  EXPECT_EQ(analysis.sma(0).value(), "119.5");  // mean of 110..129
  EXPECT_EQ(analysis.sma(1).value(), "");       // needs 50 candles
  EXPECT_EQ(analysis.ema(0).value(), "123.5");
  EXPECT_EQ(analysis.rsi().value(), "100");  // only gains
  EXPECT_EQ(analysis.macd().macd(), "");     // needs 34 candles
  EXPECT_EQ(analysis.max_drawdown_percent(), "0");
  // 119.5 + 2 * sqrt(33.25) to 8 decimals.
  EXPECT_EQ(analysis.bollinger().upper(), "131.03256259");
  EXPECT_EQ(analysis.atr().value(), "1");  // every true range is 1
  // Price 1 hour ago is unknown (history starts 40 minutes ago).
  EXPECT_EQ(analysis.returns().change_percent_1h(), "");
}

TEST_F(PricingHandlerTest, MarketSummaryRanksFreshAssets) {
  FeedTicker(*market_, "BTCUSDT", "110", "100");  // +10 %
  FeedTicker(*market_, "ETHUSDT", "95", "100");   // -5 %
  v1::GetMarketSummaryRequest request;
  request.set_top_count(1);
  v1::MarketSummary summary;
  ASSERT_TRUE(
      stub_->GetMarketSummary(CallContext().get(), request, &summary).ok());
  EXPECT_EQ(summary.quote(), "USD");
  EXPECT_EQ(summary.asset_count(), 3);
  EXPECT_EQ(summary.stale_count(), 1);  // SOL has no price
  ASSERT_EQ(summary.top_gainers_size(), 1);
  EXPECT_EQ(summary.top_gainers(0).symbol(), "BTC");
  ASSERT_EQ(summary.top_losers_size(), 1);
  EXPECT_EQ(summary.top_losers(0).symbol(), "ETH");
  EXPECT_EQ(summary.total_volume_24h(), "2000");
  EXPECT_EQ(summary.breadth().advancing_count(), 1);
  EXPECT_EQ(summary.breadth().declining_count(), 1);
  EXPECT_EQ(summary.breadth().advance_decline_ratio(), "1");
  EXPECT_EQ(summary.breadth().advancing_percent(), "50");

  request.set_top_count(21);
  ExpectStatus(stub_->GetMarketSummary(CallContext().get(), request, &summary),
               grpc::StatusCode::INVALID_ARGUMENT, "top_count");
  request.set_top_count(0);
  request.set_quote("XXX");
  ExpectStatus(stub_->GetMarketSummary(CallContext().get(), request, &summary),
               grpc::StatusCode::INVALID_ARGUMENT, "quote");
}

// --- Streaming ---------------------------------------------------------------

TEST_F(PricingHandlerTest, StreamRejectsBadInputBeforeTheFirstMessage) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  struct Case {
    std::vector<std::string> symbols;
    std::string quote;
    grpc::StatusCode code;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {{"NOPE"}, "", grpc::StatusCode::NOT_FOUND, "NOPE"},
      {{"B$C"}, "", grpc::StatusCode::INVALID_ARGUMENT, "symbols[0]"},
      {std::vector<std::string>(101, "BTC"), "",
       grpc::StatusCode::INVALID_ARGUMENT, "at most 100"},
      {{"BTC"}, "JPY", grpc::StatusCode::INVALID_ARGUMENT, "quote"},
      {{"SOL"}, "", grpc::StatusCode::UNAVAILABLE, "SOL"},
  };
  for (const Case& c : cases) {
    v1::StreamPricesRequest request;
    for (const auto& s : c.symbols) request.add_symbols(s);
    request.set_quote(c.quote);
    auto context = CallContext();
    auto reader = stub_->StreamPrices(context.get(), request);
    v1::StreamPricesResponse message;
    EXPECT_FALSE(reader->Read(&message));
    ExpectStatus(reader->Finish(), c.code, c.fragment);
  }
}

TEST_F(PricingHandlerTest, StreamFiltersBySymbolAndSendsCurrentPriceFirst) {
  FeedTicker(*market_, "BTCUSDT", "100", "100");
  FeedTicker(*market_, "ETHUSDT", "10", "10");
  v1::StreamPricesRequest request;
  request.add_symbols("ETH");
  auto context = CallContext();
  auto reader = stub_->StreamPrices(context.get(), request);
  v1::StreamPricesResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.has_price());
  EXPECT_EQ(message.price().symbol(), "ETH");
  EXPECT_EQ(message.price().last_price(), "10");

  FeedTrade(*market_, "BTCUSDT", "101");  // not subscribed
  FeedTrade(*market_, "ETHUSDT", "11");
  ASSERT_TRUE(reader->Read(&message));
  // Heartbeats may interleave; skip them.
  while (message.has_heartbeat()) ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(message.price().symbol(), "ETH");
  EXPECT_EQ(message.price().last_price(), "11");
  context->TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(PricingHandlerTest, GetPricesRejectsUndecodableRequest) {
  // A generic call sending bytes that are not a GetPricesRequest (field 1
  // claims 100 bytes that never come).
  grpc::GenericStub generic(server_->NewChannel());
  const std::string garbage = "\x0a\x64truncated";
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto context = CallContext();
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(
      context.get(), "/cryptotracker.pricing.v1.PricingService/GetPrices",
      grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
        std::lock_guard lock(mu);
        status = std::move(s);
        done = true;
        done_cv.notify_one();
      });
  std::unique_lock lock(mu);
  ASSERT_TRUE(
      done_cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  ExpectStatus(status, grpc::StatusCode::INVALID_ARGUMENT,
               "not a valid GetPricesRequest");
}

}  // namespace
}  // namespace cryptotracker::pricing::handler
