#include "services/pricing-service/parsers/coingecko_parse.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "services/pricing-service/parsers/test_fixtures.h"

namespace cryptotracker::pricing::parsers {
namespace {

TEST(CoinGeckoMarketsTest, ParsesDocumentedFormat) {
  ParseResult<Batch<CoinMarket>> result =
      ParseCoinsMarkets(Fixture("coingecko_coins_markets.json"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  ASSERT_EQ(result->items.size(), 3u);

  const CoinMarket& btc = result->items[0];
  EXPECT_EQ(btc.id, "bitcoin");
  EXPECT_EQ(btc.symbol, "btc");
  EXPECT_EQ(btc.name, "Bitcoin");
  EXPECT_EQ(btc.image,
            "https://assets.example.invalid/coins/images/1/large/bitcoin.png");
  EXPECT_EQ(btc.current_price, D("70187"));
  EXPECT_EQ(btc.market_cap, D("1381651251183"));
  EXPECT_EQ(btc.market_cap_rank, 1);
  EXPECT_EQ(btc.total_volume, D("20154184933"));
  EXPECT_EQ(btc.high_24h, D("70215"));
  EXPECT_EQ(btc.low_24h, D("68060"));
  EXPECT_EQ(btc.price_change_percentage_24h, D("3.12502"));
  EXPECT_EQ(btc.circulating_supply, D("19675987"));
  EXPECT_EQ(btc.last_updated_ms, 1712508571736);

  const CoinMarket& eth = result->items[1];
  // Exactly the decimal in the document, not the nearest double.
  EXPECT_EQ(eth.current_price, D("3373.81"));
  EXPECT_EQ(eth.high_24h, D("3398"));
  EXPECT_EQ(eth.circulating_supply, D("120073355.288432"));
  EXPECT_EQ(eth.price_change_percentage_24h, D("1.26393"));

  const CoinMarket& shib = result->items[2];
  EXPECT_EQ(shib.current_price.ToString(), "0.00002656");
  EXPECT_EQ(shib.low_24h->ToString(), "0.0000262");
  EXPECT_EQ(shib.price_change_percentage_24h, D("-1.52003"));
  EXPECT_EQ(shib.circulating_supply, D("589264883286605.8"));

  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].index, 3u);
  EXPECT_EQ(result->rejected[0].error.reason, ParseErrorReason::kMissingField);
  EXPECT_EQ(result->rejected[0].error.label(), "missing_field");
  EXPECT_EQ(result->rejected[0].error.detail, "[3].current_price: is required");
}

TEST(CoinGeckoMarketsTest, NullStatisticsAreOptional) {
  ParseResult<Batch<CoinMarket>> result = ParseCoinsMarkets(
      R"([{"id":"newcoin","symbol":"new","name":"New Coin","image":null,)"
      R"("current_price":0.5,"market_cap":0,"market_cap_rank":null,)"
      R"("total_volume":null,"high_24h":null,"low_24h":null,)"
      R"("price_change_percentage_24h":null,"last_updated":null}])");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->items.size(), 1u) << result->rejected[0].error.detail;
  const CoinMarket& coin = result->items[0];
  EXPECT_EQ(coin.image, "");
  EXPECT_EQ(coin.current_price, D("0.5"));
  EXPECT_EQ(coin.market_cap, common::Decimal());
  EXPECT_FALSE(coin.market_cap_rank.has_value());
  EXPECT_FALSE(coin.total_volume.has_value());
  EXPECT_FALSE(coin.high_24h.has_value());
  EXPECT_FALSE(coin.price_change_percentage_24h.has_value());
  EXPECT_FALSE(coin.circulating_supply.has_value());  // absent
  EXPECT_FALSE(coin.last_updated_ms.has_value());
}

TEST(CoinGeckoMarketsTest, RoundsFloatDigitsBeyondEighteenDecimals) {
  ParseResult<Batch<CoinMarket>> result =
      ParseCoinsMarkets(R"([{"id":"tiny","symbol":"tny","name":"Tiny",)"
                        R"("current_price":1.2345678901234567e-07}])");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->items.size(), 1u);
  EXPECT_EQ(result->items[0].current_price.ToString(), "0.000000123456789012");
}

struct BadCoin {
  std::string name;
  std::string fields;  // replaces the defaults below
  ParseErrorReason reason;
};

class CoinGeckoBadCoinTest : public testing::TestWithParam<BadCoin> {};

TEST_P(CoinGeckoBadCoinTest, SkipsCoinWithReason) {
  const std::string body =
      R"([{"id":"ok","symbol":"ok","name":"Ok","current_price":1},{)" +
      GetParam().fields + "}]";
  ParseResult<Batch<CoinMarket>> result = ParseCoinsMarkets(body);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->items.size(), 1u);
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].index, 1u);
  EXPECT_EQ(result->rejected[0].error.reason, GetParam().reason)
      << result->rejected[0].error.detail;
}

INSTANTIATE_TEST_SUITE_P(
    Coins, CoinGeckoBadCoinTest,
    testing::Values(
        BadCoin{"PriceAsString",
                R"("id":"x","symbol":"x","name":"X","current_price":"1.5")",
                ParseErrorReason::kWrongType},
        BadCoin{"ZeroPrice",
                R"("id":"x","symbol":"x","name":"X","current_price":0)",
                ParseErrorReason::kNonPositivePrice},
        BadCoin{"NegativePrice",
                R"("id":"x","symbol":"x","name":"X","current_price":-2.5)",
                ParseErrorReason::kNonPositivePrice},
        BadCoin{"AbsurdPrice",
                R"("id":"x","symbol":"x","name":"X","current_price":3e15)",
                ParseErrorReason::kAbsurdValue},
        BadCoin{"HugeExponent",
                R"("id":"x","symbol":"x","name":"X","current_price":1e300)",
                ParseErrorReason::kAbsurdValue},
        BadCoin{"MissingId", R"("symbol":"x","name":"X","current_price":1)",
                ParseErrorReason::kMissingField},
        BadCoin{"EmptyId",
                R"("id":"","symbol":"x","name":"X","current_price":1)",
                ParseErrorReason::kInvalidField},
        BadCoin{"IdNotString",
                R"("id":7,"symbol":"x","name":"X","current_price":1)",
                ParseErrorReason::kWrongType},
        BadCoin{"NegativeVolume",
                R"("id":"x","symbol":"x","name":"X","current_price":1,)"
                R"("total_volume":-1)",
                ParseErrorReason::kNegativeAmount},
        BadCoin{"RankZero",
                R"("id":"x","symbol":"x","name":"X","current_price":1,)"
                R"("market_cap_rank":0)",
                ParseErrorReason::kInvalidField},
        BadCoin{"RankFractional",
                R"("id":"x","symbol":"x","name":"X","current_price":1,)"
                R"("market_cap_rank":1.5)",
                ParseErrorReason::kWrongType},
        BadCoin{"HighBelowLow",
                R"("id":"x","symbol":"x","name":"X","current_price":1,)"
                R"("high_24h":1,"low_24h":2)",
                ParseErrorReason::kInconsistentOhlc},
        BadCoin{"BadTimestamp",
                R"("id":"x","symbol":"x","name":"X","current_price":1,)"
                R"("last_updated":"yesterday")",
                ParseErrorReason::kInvalidTimestamp},
        BadCoin{"TimestampTooOld",
                R"("id":"x","symbol":"x","name":"X","current_price":1,)"
                R"("last_updated":"1999-01-01T00:00:00Z")",
                ParseErrorReason::kInvalidTimestamp}),
    [](const testing::TestParamInfo<BadCoin>& info) {
      return info.param.name;
    });

TEST(CoinGeckoMarketsTest, NumberBeyondDoubleRangeFailsTheDocument) {
  // nlohmann's parser itself refuses numbers that overflow a double (error
  // 406), so such a body is malformed as a whole rather than one bad coin.
  ParseResult<Batch<CoinMarket>> result = ParseCoinsMarkets(
      R"([{"id":"x","symbol":"x","name":"X","current_price":1e400}])");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, ParseErrorReason::kMalformedJson);
}

TEST(CoinGeckoMarketsTest, RejectsNonArrayBodies) {
  // What the API returns when rate limited.
  ParseResult<Batch<CoinMarket>> limited = ParseCoinsMarkets(
      R"({"status":{"error_code":429,"error_message":"Throttled"}})");
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().reason, ParseErrorReason::kWrongType);
  EXPECT_EQ(limited.error().detail,
            "$: expected an array of coins, got object");
  EXPECT_EQ(ParseCoinsMarkets("[{").error().reason,
            ParseErrorReason::kMalformedJson);
  EXPECT_EQ(ParseCoinsMarkets("").error().reason,
            ParseErrorReason::kMalformedJson);
  ParseResult<Batch<CoinMarket>> scalars = ParseCoinsMarkets("[1, \"x\"]");
  ASSERT_TRUE(scalars.ok());
  EXPECT_EQ(scalars->rejected.size(), 2u);
  EXPECT_EQ(scalars->rejected[0].error.reason, ParseErrorReason::kWrongType);
}

TEST(CoinGeckoRobustnessTest, TruncationsAndMutationsNeverEscape) {
  const std::string body = Fixture("coingecko_coins_markets.json");
  for (size_t length = 0; length + 2 < body.size(); length += 7) {
    EXPECT_FALSE(ParseCoinsMarkets(body.substr(0, length)).ok()) << length;
  }
  std::mt19937 rng(99);
  for (int round = 0; round < 1500; ++round) {
    std::string mutated = body;
    for (int m = 0; m < 3; ++m) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
    }
    ParseResult<Batch<CoinMarket>> result = ParseCoinsMarkets(mutated);
    if (!result.ok()) {
      EXPECT_FALSE(result.error().label().empty());
    } else {
      EXPECT_LE(result->items.size() + result->rejected.size(), 4u);
    }
  }
}

TEST(Iso8601Test, ParsesUtcTimes) {
  EXPECT_EQ(ParseIso8601UtcMillis("2024-04-07T16:49:31.736Z"), 1712508571736);
  EXPECT_EQ(ParseIso8601UtcMillis("2024-04-07T16:49:31Z"), 1712508571000);
  EXPECT_EQ(ParseIso8601UtcMillis("2024-04-07T16:49:31.7Z"), 1712508571700);
  EXPECT_EQ(ParseIso8601UtcMillis("2024-04-07T16:49:31.736999999Z"),
            1712508571736);  // truncated, not rounded
  EXPECT_EQ(ParseIso8601UtcMillis("2024-02-29T00:00:00.000Z"), 1709164800000);
  EXPECT_EQ(ParseIso8601UtcMillis("2013-07-06T00:00:00.000Z"), 1373068800000);
  EXPECT_EQ(ParseIso8601UtcMillis("1970-01-01T00:00:00Z"), 0);
}

TEST(Iso8601Test, RejectsEverythingElse) {
  for (const char* text :
       {"", "2024-04-07", "2024-04-07T16:49:31", "2024-04-07 16:49:31Z",
        "2024-04-07T16:49:31+00:00", "2024-04-07T16:49:31.Z",
        "2024-04-07T16:49:31.1234567890Z", "2023-02-29T00:00:00Z",
        "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
        "2024-04-31T00:00:00Z", "2024-04-07T24:00:00Z", "2024-04-07T16:60:00Z",
        "2024-04-07T16:49:60Z", "2024-4-07T16:49:31Z", "2024-04-07T16:49:31Zx",
        "20a4-04-07T16:49:31Z", "2024-04-07t16:49:31z"}) {
    EXPECT_EQ(ParseIso8601UtcMillis(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace cryptotracker::pricing::parsers
