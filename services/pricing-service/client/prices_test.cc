#include "services/pricing-service/client/prices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cryptotracker::pricing::client {
namespace {

using ::testing::HasSubstr;

v1::Price ProtoPrice() {
  v1::Price proto;
  proto.set_symbol("BTC");
  proto.set_quote("EUR");
  proto.set_pair("BTCEUR");
  proto.set_derivation(v1::PRICE_DERIVATION_DIRECT);
  proto.set_last_price("64250.12");
  proto.set_open_24h("63000");
  proto.set_high_24h("65000.5");
  proto.set_low_24h("62000");
  proto.set_change_24h("1250.12");
  proto.set_change_percent_24h("1.98");
  proto.set_volume_24h("123.000001");
  proto.set_quote_volume_24h("7900000.1");
  proto.set_source("binance");
  proto.mutable_update_time()->set_seconds(1'765'000'000);
  proto.mutable_update_time()->set_nanos(250'000'000);
  proto.set_stale(true);
  return proto;
}

TEST(PricesTest, PriceFieldsBecomeExactDecimalsAndTimes) {
  absl::StatusOr<Price> price = PriceFromProto(ProtoPrice());
  ASSERT_TRUE(price.ok()) << price.status();
  EXPECT_EQ(price->symbol, "BTC");
  EXPECT_EQ(price->quote, "EUR");
  EXPECT_EQ(price->derivation, v1::PRICE_DERIVATION_DIRECT);
  EXPECT_EQ(price->last.ToString(), "64250.12");
  EXPECT_EQ(price->volume_24h.ToString(), "123.000001");
  EXPECT_EQ(price->change_percent_24h->ToString(), "1.98");
  EXPECT_EQ(ToUnixMillis(price->update_time), 1'765'000'000'250);
  EXPECT_TRUE(price->stale);
}

TEST(PricesTest, AnEmptyChangePercentIsNoValueNotZero) {
  v1::Price proto = ProtoPrice();
  proto.set_change_percent_24h("");
  absl::StatusOr<Price> price = PriceFromProto(proto);
  ASSERT_TRUE(price.ok());
  EXPECT_FALSE(price->change_percent_24h.has_value());
}

TEST(PricesTest, AMalformedDecimalIsAnErrorNamingSymbolAndField) {
  v1::Price proto = ProtoPrice();
  proto.set_high_24h("1e400");
  absl::StatusOr<Price> price = PriceFromProto(proto);
  ASSERT_FALSE(price.ok());
  EXPECT_THAT(price.status().message(), HasSubstr("BTC high_24h"));
  proto = ProtoPrice();
  proto.set_last_price("");
  EXPECT_THAT(PriceFromProto(proto).status().message(),
              HasSubstr("BTC last_price"));
  proto = ProtoPrice();
  proto.set_change_percent_24h("NaN");
  EXPECT_FALSE(PriceFromProto(proto).ok());
}

TEST(PricesTest, CandleSeriesConverts) {
  v1::GetCandlesResponse proto;
  proto.set_symbol("ETH");
  proto.set_quote("USD");
  proto.set_pair("ETHUSDT");
  proto.set_interval(v1::INTERVAL_1M);
  v1::Candle* candle = proto.add_candles();
  candle->mutable_open_time()->set_seconds(60);
  candle->mutable_close_time()->set_seconds(120);
  candle->set_open("1");
  candle->set_high("2.5");
  candle->set_low("0.5");
  candle->set_close("2");
  candle->set_volume("10");
  candle->set_quote_volume("15");
  candle->set_trade_count(4);
  candle->set_closed(true);
  absl::StatusOr<CandleSeries> series = CandleSeriesFromProto(proto);
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_EQ(series->pair, "ETHUSDT");
  ASSERT_EQ(series->candles.size(), 1u);
  EXPECT_EQ(series->candles[0].high.ToString(), "2.5");
  EXPECT_EQ(ToUnixMillis(series->candles[0].close_time), 120'000);
  EXPECT_TRUE(series->candles[0].closed);
  candle->set_low("low");
  EXPECT_THAT(CandleSeriesFromProto(proto).status().message(),
              HasSubstr("ETH: pricing-service sent a malformed candle low"));
}

TEST(PricesTest, TimesRoundTripThroughProto) {
  const TimePoint time =
      TimePoint(std::chrono::milliseconds(1'765'000'000'123));
  const google::protobuf::Timestamp proto = ToProtoTime(time);
  EXPECT_EQ(proto.seconds(), 1'765'000'000);
  EXPECT_EQ(proto.nanos(), 123'000'000);
  EXPECT_EQ(FromProtoTime(proto), time);
}

TEST(PricesTest, IntervalNames) {
  EXPECT_EQ(ParseInterval("1m"), v1::INTERVAL_1M);
  EXPECT_EQ(ParseInterval("4h"), v1::INTERVAL_4H);
  EXPECT_EQ(ParseInterval("INTERVAL_1D"), v1::INTERVAL_1D);
  EXPECT_EQ(ParseInterval("INTERVAL_UNSPECIFIED"), std::nullopt);
  EXPECT_EQ(ParseInterval("2m"), std::nullopt);
  EXPECT_EQ(ParseInterval(""), std::nullopt);
}

}  // namespace
}  // namespace cryptotracker::pricing::client
