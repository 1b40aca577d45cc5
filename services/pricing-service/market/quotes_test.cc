#include "services/pricing-service/market/quotes.h"

#include <atomic>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::market {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

class QuotesTest : public ::testing::Test {
 protected:
  QuotesTest()
      : market_({{"BTC", "BTCUSDT"}, {"ETH", "ETHUSDT"}},
                {.stale_after = std::chrono::seconds(60),
                 .clock = [this] { return now_ms_.load(); }}) {}

  void Ticker(const char* pair, const char* last, const char* open,
              const char* high, const char* low, const char* base_volume,
              const char* quote_volume) {
    market_.OnTicker({pair, D(last), D(open), D(high), D(low), D(base_volume),
                      D(quote_volume), 1'000},
                     "binance");
  }

  std::atomic<int64_t> now_ms_{1'700'000'000'000};
  MarketState market_;
};

TEST(PercentChangeTest, RoundsHalfEvenToTwoDecimalsAndRefusesZero) {
  EXPECT_EQ(PercentChange(*common::Decimal::Parse("200"),
                          *common::Decimal::Parse("150"))
                ->ToString(),
            "-25");
  // 1/3 of a percent of 3 -> 0.333... -> 33.33 %.
  EXPECT_EQ(
      PercentChange(*common::Decimal::Parse("3"), *common::Decimal::Parse("4"))
          ->ToString(),
      "33.33");
  // 0.125 % rounds half-even to 0.12.
  EXPECT_EQ(PercentChange(*common::Decimal::Parse("800"),
                          *common::Decimal::Parse("801"))
                ->ToString(),
            "0.12");
  EXPECT_FALSE(
      PercentChange(*common::Decimal::Parse("0"), *common::Decimal::Parse("1"))
          .ok());
}

TEST(ParseQuoteCurrencyTest, AcceptsKnownQuotesCaseInsensitively) {
  EXPECT_EQ(*ParseQuoteCurrency(""), QuoteCurrency::kUsd);
  EXPECT_EQ(*ParseQuoteCurrency("usd"), QuoteCurrency::kUsd);
  EXPECT_EQ(*ParseQuoteCurrency("Eur"), QuoteCurrency::kEur);
  EXPECT_EQ(*ParseQuoteCurrency("BTC"), QuoteCurrency::kBtc);
  EXPECT_FALSE(ParseQuoteCurrency("USDT").ok());
  EXPECT_FALSE(ParseQuoteCurrency("GBP").ok());
}

TEST_F(QuotesTest, UsdIsTheUsdtPairLabelledAsStablecoin) {
  Ticker("ETHUSDT", "3100", "3000", "3200", "2900", "10", "31000");
  auto price = QuoteAsset(market_, 1, QuoteCurrency::kUsd, now_ms_);
  ASSERT_TRUE(price.ok()) << price.status();
  EXPECT_EQ(price->symbol, "ETH");
  EXPECT_EQ(price->pair, "ETHUSDT");
  EXPECT_EQ(price->derivation, Derivation::kStablecoin);
  EXPECT_EQ(price->via, "USDT");
  EXPECT_EQ(price->last_price, D("3100"));
  EXPECT_EQ(*price->change_24h, D("100"));
  // 100 / 3000 = 3.333..% rounded half to even to two digits.
  EXPECT_EQ(*price->change_percent_24h, D("3.33"));
  EXPECT_EQ(*price->quote_volume_24h, D("31000"));
  EXPECT_FALSE(price->stale);
}

TEST_F(QuotesTest, EurIsACrossRateThroughEurUsdt) {
  Ticker("ETHUSDT", "3300", "3000", "3300", "3000", "10", "33000");
  // EUR moved from 1.10 to 1.00 USDT over the day.
  Ticker("EURUSDT", "1.1", "1.0", "1.1", "1.0", "5", "5");
  auto price = QuoteAsset(market_, 1, QuoteCurrency::kEur, now_ms_);
  ASSERT_TRUE(price.ok()) << price.status();
  EXPECT_EQ(price->derivation, Derivation::kCrossRate);
  EXPECT_EQ(price->via, "USDT");
  EXPECT_EQ(price->last_price, D("3000"));  // 3300 / 1.1
  EXPECT_EQ(*price->open_24h, D("3000"));   // 3000 / 1.0, the rate's open
  EXPECT_EQ(*price->change_24h, D("0"));
  EXPECT_EQ(*price->quote_volume_24h, D("30000"));
  EXPECT_EQ(*price->volume_24h, D("10"));  // base units do not convert
  // High 3300/1.1 = 3000, low 3000/1.1 = 2727.27...; both contain open/last.
  EXPECT_EQ(*price->high_24h, D("3000"));
  EXPECT_EQ(*price->low_24h, D("2727.2727272727"));
}

TEST_F(QuotesTest, BtcQuoteUsesBtcUsdtAndBtcItselfIsOne) {
  Ticker("BTCUSDT", "60000", "50000", "61000", "49000", "2", "110000");
  Ticker("ETHUSDT", "3000", "3000", "3000", "3000", "1", "3000");
  auto eth = QuoteAsset(market_, 1, QuoteCurrency::kBtc, now_ms_);
  ASSERT_TRUE(eth.ok()) << eth.status();
  EXPECT_EQ(eth->last_price, D("0.05"));
  EXPECT_EQ(*eth->open_24h, D("0.06"));
  EXPECT_EQ(*eth->change_percent_24h, D("-16.67"));
  auto btc = QuoteAsset(market_, 0, QuoteCurrency::kBtc, now_ms_);
  ASSERT_TRUE(btc.ok());
  EXPECT_EQ(btc->derivation, Derivation::kDirect);
  EXPECT_EQ(btc->last_price, D("1"));
  EXPECT_EQ(*btc->change_24h, D("0"));
}

TEST_F(QuotesTest, MissingRateIsUnavailableAndStaleRateMakesPriceStale) {
  Ticker("ETHUSDT", "3000", "3000", "3000", "3000", "1", "3000");
  auto price = QuoteAsset(market_, 1, QuoteCurrency::kEur, now_ms_);
  EXPECT_EQ(price.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      QuoteAsset(market_, 0, QuoteCurrency::kUsd, now_ms_).status().code(),
      absl::StatusCode::kUnavailable);

  Ticker("EURUSDT", "1.25", "1.25", "1.25", "1.25", "1", "1");
  now_ms_ += 50'000;
  // Only the asset is refreshed; the rate ages past the limit.
  market_.OnTick({"ETHUSDT", D("3000"), D("1"), 2'000, std::nullopt},
                 "binance");
  now_ms_ += 20'000;
  price = QuoteAsset(market_, 1, QuoteCurrency::kEur, now_ms_);
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(price->last_price, D("2400"));
  EXPECT_TRUE(price->stale);
  EXPECT_FALSE(QuoteAsset(market_, 1, QuoteCurrency::kUsd, now_ms_)->stale);
}

TEST_F(QuotesTest, TradeOnlyPriceHasNoStatistics) {
  market_.OnTick({"ETHUSDT", D("3000.5"), D("1"), 2'000, std::nullopt},
                 "binance");
  auto price = QuoteAsset(market_, 1, QuoteCurrency::kUsd, now_ms_);
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(price->last_price, D("3000.5"));
  EXPECT_FALSE(price->open_24h.has_value());
  EXPECT_FALSE(price->change_24h.has_value());
  EXPECT_FALSE(price->change_percent_24h.has_value());
}

}  // namespace
}  // namespace cryptotracker::pricing::market
