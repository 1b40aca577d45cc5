#include "services/pricing-service/stream/price_cache.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cryptotracker/pricing/v1/pricing_service.pb.h"
#include "gtest/gtest.h"

namespace cryptotracker::pricing::stream {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

class PriceCacheTest : public ::testing::Test {
 protected:
  PriceCacheTest()
      : market_({{"BTC", "BTCUSDT"}, {"ETH", "ETHUSDT"}},
                {.stale_after = std::chrono::seconds(60),
                 .clock = [this] { return now_ms_.load(); }}),
        cache_(market_) {}

  void Trade(const char* pair, const char* price) {
    market_.OnTick({pair, D(price), D("1"), ++source_ms_, std::nullopt},
                   "binance");
  }

  static v1::Price Decode(const EncodedPrice& encoded) {
    v1::StreamPricesResponse message;
    EXPECT_TRUE(message.ParseFromString(std::string(encoded.bytes())));
    EXPECT_TRUE(message.has_price());
    return message.price();
  }

  std::atomic<int64_t> now_ms_{1'700'000'000'000};
  int64_t source_ms_ = 1'700'000'000'000;
  market::MarketState market_;
  PriceCache cache_;
};

TEST_F(PriceCacheTest, RendersOncePerChangeOfItsInputs) {
  EXPECT_EQ(cache_.Get(0, market::QuoteCurrency::kUsd, now_ms_).status().code(),
            absl::StatusCode::kUnavailable);
  Trade("BTCUSDT", "100");
  auto first = cache_.Get(0, market::QuoteCurrency::kUsd, now_ms_);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Decode(**first).last_price(), "100");
  auto again = cache_.Get(0, market::QuoteCurrency::kUsd, now_ms_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get());  // the same bytes, not re-rendered

  Trade("ETHUSDT", "10");  // another asset: BTC stays cached
  EXPECT_EQ(cache_.Get(0, market::QuoteCurrency::kUsd, now_ms_)->get(),
            first->get());
  Trade("BTCUSDT", "101");
  auto moved = cache_.Get(0, market::QuoteCurrency::kUsd, now_ms_);
  EXPECT_NE(moved->get(), first->get());
  EXPECT_EQ(Decode(**moved).last_price(), "101");
}

TEST_F(PriceCacheTest, CrossRateMoveAndStalenessRenderAgain) {
  Trade("ETHUSDT", "3000");
  EXPECT_EQ(cache_.Get(1, market::QuoteCurrency::kEur, now_ms_).status().code(),
            absl::StatusCode::kUnavailable);  // no EUR rate yet
  Trade("EURUSDT", "1.5");
  auto eur = cache_.Get(1, market::QuoteCurrency::kEur, now_ms_);
  ASSERT_TRUE(eur.ok());
  EXPECT_EQ(Decode(**eur).last_price(), "2000");
  Trade("EURUSDT", "1.2");
  eur = cache_.Get(1, market::QuoteCurrency::kEur, now_ms_);
  EXPECT_EQ(Decode(**eur).last_price(), "2500");
  // USD is a separate entry, untouched by the EUR rate.
  auto usd = cache_.Get(1, market::QuoteCurrency::kUsd, now_ms_);
  EXPECT_EQ(Decode(**usd).last_price(), "3000");
  EXPECT_FALSE(Decode(**usd).stale());

  now_ms_ += 61'000;  // nothing arrived for a minute
  auto stale = cache_.Get(1, market::QuoteCurrency::kUsd, now_ms_);
  EXPECT_NE(stale->get(), usd->get());
  EXPECT_TRUE(Decode(**stale).stale());
  EXPECT_EQ(Decode(**stale).last_price(), "3000");
}

TEST_F(PriceCacheTest, ConcatenatedEntriesAreAGetPricesResponse) {
  Trade("BTCUSDT", "100");
  Trade("ETHUSDT", "10");
  std::string body;
  for (size_t asset : {1, 0}) {
    body += (*cache_.Get(asset, market::QuoteCurrency::kUsd, now_ms_))->bytes();
  }
  v1::GetPricesResponse response;
  ASSERT_TRUE(response.ParseFromString(body));
  ASSERT_EQ(response.prices_size(), 2);
  EXPECT_EQ(response.prices(0).symbol(), "ETH");
  EXPECT_EQ(response.prices(1).symbol(), "BTC");
}

class PricesResponseCacheTest : public PriceCacheTest {
 protected:
  // Builds and stores the USD response of `assets` the way GetPrices does.
  void Store(const std::string& request, std::vector<size_t> assets) {
    const uint64_t version = market_.version();
    std::vector<std::shared_ptr<const EncodedPrice>> prices;
    std::string body;
    for (size_t asset : assets) {
      prices.push_back(
          *cache_.Get(asset, market::QuoteCurrency::kUsd, now_ms_));
      body += prices.back()->bytes();
    }
    responses_.Store(request, version, prices, grpc::Slice(body));
  }

  std::optional<std::string> Find(const std::string& request) {
    std::optional<grpc::Slice> found = responses_.Find(request, now_ms_);
    if (!found.has_value()) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(found->begin()),
                       found->size());
  }

  PricesResponseCache responses_{market_, /*max_entries=*/2};
};

TEST_F(PricesResponseCacheTest, ServesUntilTheMarketMovesOrAPriceGoesStale) {
  Trade("BTCUSDT", "100");
  Trade("ETHUSDT", "10");
  Store("both", {0, 1});
  const std::optional<std::string> body = Find("both");
  ASSERT_TRUE(body.has_value());
  v1::GetPricesResponse response;
  ASSERT_TRUE(response.ParseFromString(*body));
  EXPECT_EQ(response.prices(1).last_price(), "10");
  EXPECT_FALSE(Find("other").has_value());

  Trade("ETHUSDT", "11");  // any change makes every entry old
  EXPECT_FALSE(Find("both").has_value());
  Store("both", {0, 1});
  ASSERT_TRUE(Find("both").has_value());

  now_ms_ += 60'000;  // the limit itself is still fresh
  EXPECT_TRUE(Find("both").has_value());
  now_ms_ += 1;  // BTC went stale: the stored `stale: false` is wrong now
  EXPECT_FALSE(Find("both").has_value());
  Store("both", {0, 1});
  now_ms_ += 3'600'000;  // stale stays stale until new data
  EXPECT_TRUE(Find("both").has_value());
}

TEST_F(PricesResponseCacheTest, StartsOverWhenFull) {
  Trade("BTCUSDT", "100");
  Store("a", {0});
  Store("b", {0});
  Store("b", {0});  // replacing does not count as a new entry
  EXPECT_TRUE(Find("a").has_value());
  Store("c", {0});
  EXPECT_FALSE(Find("a").has_value());
  EXPECT_FALSE(Find("b").has_value());
  EXPECT_TRUE(Find("c").has_value());
}

}  // namespace
}  // namespace cryptotracker::pricing::stream
