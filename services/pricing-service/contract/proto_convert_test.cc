#include "services/pricing-service/contract/proto_convert.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::contract {
namespace {

common::Decimal D(const char* text) { return *common::Decimal::Parse(text); }

domain::Candle MakeCandle(int64_t open_time_ms, const char* close,
                          int64_t trades) {
  domain::Candle candle;
  candle.symbol = "BTCUSDT";
  candle.interval = domain::Interval::k1h;
  candle.open_time_ms = open_time_ms;
  candle.open = D("24202.87");
  candle.high = D("24549.19");
  candle.low = D("24198.31");
  candle.close = D(close);
  candle.volume = D("2328.84207");
  candle.quote_volume = D("56773674.5495883");
  candle.trade_count = trades;
  candle.closed = trades % 2 == 0;
  return candle;
}

// GetCandles sends the response's other fields followed by one
// AppendCandleField per candle; that must be the very bytes protobuf writes
// for the whole message, and read back as the same candles.
TEST(ProtoConvertTest, CandleFieldsConcatenateToTheResponseEncoding) {
  std::vector<domain::Candle> candles = {
      MakeCandle(1'792'062'000'000, "24532.68", 3475),
      MakeCandle(1'792'065'600'000, "0.00000001", 0),
      // A trade count beyond int32 is clamped, as FillCandle does.
      MakeCandle(1'792'069'200'000, "1", int64_t{1} << 40),
  };
  v1::GetCandlesResponse whole;
  whole.set_symbol("BTC");
  whole.set_quote("USD");
  whole.set_pair("BTCUSDT");
  whole.set_derivation(v1::PRICE_DERIVATION_STABLECOIN);
  whole.set_interval(v1::INTERVAL_1H);
  v1::GetCandlesResponse head = whole;
  std::string parts = head.SerializeAsString();
  for (const domain::Candle& candle : candles) {
    FillCandle(candle, whole.add_candles());
    AppendCandleField(candle, &parts);
  }
  EXPECT_EQ(parts, whole.SerializeAsString());

  v1::GetCandlesResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(parts));
  ASSERT_EQ(parsed.candles_size(), 3);
  EXPECT_EQ(parsed.candles(0).close(), "24532.68");
  EXPECT_EQ(parsed.candles(1).trade_count(), 0);
  EXPECT_EQ(parsed.candles(2).trade_count(), 2147483647);
  EXPECT_EQ(parsed.candles(2).open_time().seconds(), 1'792'069'200);
}

// A candle longer than 127 bytes needs a two-byte length prefix.
TEST(ProtoConvertTest, CandleFieldWritesMultiByteLengths) {
  domain::Candle candle = MakeCandle(1'792'062'000'000, "24532.68", 3475);
  candle.quote_volume = D("123456789012345678.123456789012345678");
  candle.volume = D("123456789012345678.123456789012345678");
  v1::Candle message;
  FillCandle(candle, &message);
  ASSERT_GT(message.ByteSizeLong(), 127u);
  std::string field;
  AppendCandleField(candle, &field);
  v1::GetCandlesResponse whole;
  *whole.add_candles() = message;
  EXPECT_EQ(field, whole.SerializeAsString());
}

}  // namespace
}  // namespace cryptotracker::pricing::contract
