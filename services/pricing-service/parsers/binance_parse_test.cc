#include "services/pricing-service/parsers/binance_parse.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "services/pricing-service/parsers/test_fixtures.h"

namespace cryptotracker::pricing::parsers {
namespace {

template <typename T>
ParseErrorReason ReasonOf(const ParseResult<T>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? ParseErrorReason::kControlMessage
                     : result.error().reason;
}

TEST(BinanceKlinesTest, ParsesDocumentedRows) {
  ParseResult<Batch<Kline>> result =
      ParseKlines(Fixture("binance_klines.json"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  ASSERT_EQ(result->items.size(), 3u);
  EXPECT_TRUE(result->rejected.empty());
  const Kline& first = result->items[0];
  EXPECT_EQ(first.open_time_ms, 1704067200000);
  EXPECT_EQ(first.open, D("42283.58"));
  EXPECT_EQ(first.high, D("42298.62"));
  EXPECT_EQ(first.low, D("42261.02"));
  EXPECT_EQ(first.close, D("42298.61"));
  EXPECT_EQ(first.volume, D("35.92724"));
  EXPECT_EQ(first.close_time_ms, 1704067259999);
  EXPECT_EQ(first.quote_volume, D("1519032.4734209"));
  EXPECT_EQ(first.trade_count, 1327);
  EXPECT_EQ(first.taker_buy_base_volume, D("20.71722"));
  EXPECT_EQ(first.taker_buy_quote_volume, D("875951.5900603"));
  EXPECT_EQ(result->items[2].close, D("42287.44"));
}

TEST(BinanceKlinesTest, ConvertsToCandlesClosedByTime) {
  const Batch<Kline> batch = *ParseKlines(Fixture("binance_klines.json"));
  const int64_t now = 1704067350000;  // inside the third minute
  const domain::Candle first =
      KlineToCandle(batch.items[0], "BTCUSDT", domain::Interval::k1m, now);
  EXPECT_EQ(first.symbol, "BTCUSDT");
  EXPECT_EQ(first.interval, domain::Interval::k1m);
  EXPECT_EQ(first.open_time_ms, 1704067200000);
  EXPECT_EQ(first.close_time_ms(), 1704067260000);
  EXPECT_EQ(first.quote_volume, D("1519032.4734209"));
  EXPECT_EQ(first.trade_count, 1327);
  EXPECT_TRUE(first.closed);
  EXPECT_FALSE(
      KlineToCandle(batch.items[2], "BTCUSDT", domain::Interval::k1m, now)
          .closed);
  // A whole hour of these rolls up consistently.
  std::vector<domain::Candle> candles;
  for (const Kline& kline : batch.items) {
    candles.push_back(
        KlineToCandle(kline, "BTCUSDT", domain::Interval::k1m, now));
  }
  const std::vector<domain::Candle> hour =
      *domain::RollUp(candles, domain::Interval::k1h, now);
  ASSERT_EQ(hour.size(), 1u);
  EXPECT_EQ(hour[0].high, D("42320"));
  EXPECT_EQ(hour[0].low, D("42261.02"));
  EXPECT_EQ(hour[0].trade_count, 1327 + 948 + 211);
  EXPECT_FALSE(hour[0].closed);
}

TEST(BinanceKlinesTest, RejectsBadRowsIndividually) {
  const std::string good =
      R"([1704067200000,"1.0","2.0","0.5","1.5","10",1704067259999,"15",3,"5","7","0"])";
  const std::string body =
      "[" + good + "," +
      R"([1704067200000,"1.0","2.0","0.5","1.5","10",1704067259999,"15",3,"5","7"],)"
      R"([1704067200000,1.0,"2.0","0.5","1.5","10",1704067259999,"15",3,"5","7","0"],)"
      R"([1704067200000,"1.0","0.4","0.5","0.45","10",1704067259999,"15",3,"5","7","0"],)"
      R"([1704067200000,"0","2.0","0.5","1.5","10",1704067259999,"15",3,"5","7","0"],)"
      R"([1704067200000,"1.0","2.0","0.5","1.5","-10",1704067259999,"15",3,"5","7","0"],)"
      R"([1704067200,"1.0","2.0","0.5","1.5","10",1704067259,"15",3,"5","7","0"],)"
      R"([1704067200000,"1.0","2.0","0.5","3.0","10",1704067259999,"15",3,"5","7","0"],)"
      R"([1704067200000,"1.0","2.0","0.5","1.5","10",1704067200000,"15",3,"5","7","0"],)"
      R"({"open":"1"},)" +
      good + "]";
  ParseResult<Batch<Kline>> result = ParseKlines(body);
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->items.size(), 2u);
  ASSERT_EQ(result->rejected.size(), 9u);
  const std::vector<std::pair<size_t, ParseErrorReason>> expected = {
      {1, ParseErrorReason::kWrongType},
      {2, ParseErrorReason::kWrongType},
      {3, ParseErrorReason::kInconsistentOhlc},
      {4, ParseErrorReason::kNonPositivePrice},
      {5, ParseErrorReason::kNegativeAmount},
      {6, ParseErrorReason::kInvalidTimestamp},
      {7, ParseErrorReason::kInconsistentOhlc},
      {8, ParseErrorReason::kInvalidField},
      {9, ParseErrorReason::kWrongType},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(result->rejected[i].index, expected[i].first);
    EXPECT_EQ(result->rejected[i].error.reason, expected[i].second)
        << result->rejected[i].error.detail;
  }
  EXPECT_EQ(result->rejected[1].error.detail,
            "[2][1]: expected a string, got number");
}

TEST(BinanceKlinesTest, RejectsNonArrayBodies) {
  EXPECT_EQ(ReasonOf(ParseKlines(R"({"code":-1121,"msg":"Invalid symbol."})")),
            ParseErrorReason::kWrongType);
  EXPECT_EQ(ReasonOf(ParseKlines("")), ParseErrorReason::kMalformedJson);
  EXPECT_EQ(ReasonOf(ParseKlines("[[1704067200000,\"1")),
            ParseErrorReason::kMalformedJson);
  EXPECT_TRUE(ParseKlines("[]")->items.empty());
}

TEST(BinanceStreamTest, ParsesTradeEnvelope) {
  ParseResult<StreamMessage> result =
      ParseStreamMessage(Fixture("binance_stream_trade.json"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->stream, "btcusdt@trade");
  ASSERT_EQ(result->events.size(), 1u);
  const auto* trade = std::get_if<TradeEvent>(&result->events[0]);
  ASSERT_NE(trade, nullptr);
  EXPECT_EQ(trade->event_time_ms, 1712513371740);
  EXPECT_EQ(trade->symbol, "BTCUSDT");
  EXPECT_EQ(trade->trade_id, 3521373322);
  EXPECT_EQ(trade->price, D("66237.49"));
  EXPECT_EQ(trade->quantity, D("0.0015"));
  EXPECT_EQ(trade->trade_time_ms, 1712513371739);
  EXPECT_TRUE(trade->buyer_is_maker);
  const domain::Tick tick = TradeToTick(*trade);
  EXPECT_EQ(tick.symbol, "BTCUSDT");
  EXPECT_EQ(tick.price, D("66237.49"));
  EXPECT_EQ(tick.quantity, D("0.0015"));
  EXPECT_EQ(tick.time_ms, 1712513371739);
  EXPECT_EQ(tick.trade_id, 3521373322);
  domain::CandleAggregator aggregator;
  EXPECT_EQ(aggregator.Ingest(tick), domain::IngestOutcome::kAccepted);
}

TEST(BinanceStreamTest, ParsesRawStreamFrames) {
  ParseResult<StreamMessage> result = ParseStreamMessage(
      R"({"e":"trade","E":1712513371740,"s":"ETHUSDT","t":1,"p":"3373.81",)"
      R"("q":"2","T":1712513371739,"m":false})");
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_TRUE(result->stream.empty());
  EXPECT_EQ(std::get<TradeEvent>(result->events[0]).symbol, "ETHUSDT");
}

TEST(BinanceStreamTest, ParsesMiniTicker) {
  ParseResult<StreamMessage> result =
      ParseStreamMessage(Fixture("binance_stream_mini_ticker.json"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  const auto& ticker = std::get<MiniTickerEvent>(result->events.at(0));
  EXPECT_EQ(ticker.event_time_ms, 1712513372001);
  EXPECT_EQ(ticker.symbol, "ETHUSDT");
  EXPECT_EQ(ticker.close, D("3373.81"));
  EXPECT_EQ(ticker.open, D("3331.7"));
  EXPECT_EQ(ticker.high, D("3398"));
  EXPECT_EQ(ticker.low, D("3311.11"));
  EXPECT_EQ(ticker.base_volume, D("238164.8188"));
  EXPECT_EQ(ticker.quote_volume, D("797630444.152263"));
}

TEST(BinanceStreamTest, ParsesAllMarketMiniTickerArray) {
  ParseResult<StreamMessage> result =
      ParseStreamMessage(Fixture("binance_stream_mini_ticker_arr.json"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->stream, "!miniTicker@arr");
  ASSERT_EQ(result->events.size(), 2u);
  EXPECT_EQ(std::get<MiniTickerEvent>(result->events[0]).symbol, "BTCUSDT");
  EXPECT_EQ(std::get<MiniTickerEvent>(result->events[1]).symbol, "SOLUSDT");
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].index, 1u);
  EXPECT_EQ(result->rejected[0].error.detail,
            "data[1].c: price must be positive");
}

TEST(BinanceStreamTest, ParsesKlineEvent) {
  ParseResult<StreamMessage> result =
      ParseStreamMessage(Fixture("binance_stream_kline.json"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  const auto& kline = std::get<KlineEvent>(result->events.at(0));
  EXPECT_EQ(kline.event_time_ms, 1712513372123);
  EXPECT_EQ(kline.symbol, "BTCUSDT");
  EXPECT_EQ(kline.interval, domain::Interval::k1m);
  EXPECT_EQ(kline.open_time_ms, 1712513340000);
  EXPECT_EQ(kline.close_time_ms, 1712513399999);
  EXPECT_EQ(kline.open, D("66251.1"));
  EXPECT_EQ(kline.close, D("66237.49"));
  EXPECT_EQ(kline.high, D("66260"));
  EXPECT_EQ(kline.low, D("66230.01"));
  EXPECT_EQ(kline.volume, D("12.48211"));
  EXPECT_EQ(kline.quote_volume, D("826975.2316478"));
  EXPECT_EQ(kline.trade_count, 1222);
  EXPECT_FALSE(kline.closed);
  const domain::Candle candle = KlineEventToCandle(kline);
  EXPECT_EQ(candle.open_time_ms, 1712513340000);
  EXPECT_EQ(candle.close_time_ms(), 1712513400000);
  EXPECT_EQ(candle.close, D("66237.49"));
  EXPECT_FALSE(candle.closed);
}

struct BadFrame {
  std::string name;
  std::string frame;
  ParseErrorReason reason;
};

class BinanceBadFrameTest : public testing::TestWithParam<BadFrame> {};

TEST_P(BinanceBadFrameTest, ReturnsReason) {
  ParseResult<StreamMessage> result = ParseStreamMessage(GetParam().frame);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, GetParam().reason) << result.error().detail;
  EXPECT_FALSE(result.error().detail.empty());
}

std::string Trade(const std::string& fields) {
  return R"({"stream":"btcusdt@trade","data":{"e":"trade",)" + fields + "}}";
}

constexpr char kTradeOk[] =
    R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"66237.49","q":"0.0015",)"
    R"("T":1712513371739,"m":true)";

std::string KlineFrame(const std::string& k) {
  return R"({"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1712513372123,)"
         R"("s":"BTCUSDT","k":)" +
         k + "}}";
}

INSTANTIATE_TEST_SUITE_P(
    Frames, BinanceBadFrameTest,
    testing::Values(
        BadFrame{"NotJson", "hello", ParseErrorReason::kMalformedJson},
        BadFrame{"Truncated", Trade(kTradeOk).substr(0, 60),
                 ParseErrorReason::kMalformedJson},
        BadFrame{"TopLevelArray", "[1,2]", ParseErrorReason::kWrongType},
        BadFrame{"SubscribeReply", R"({"result":null,"id":1})",
                 ParseErrorReason::kControlMessage},
        BadFrame{"ErrorReply",
                 R"({"error":{"code":2,"msg":"Invalid request"},"id":1})",
                 ParseErrorReason::kControlMessage},
        BadFrame{
            "AggTrade",
            R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1}})",
            ParseErrorReason::kUnknownEvent},
        BadFrame{"NoEventType",
                 R"({"stream":"btcusdt@trade","data":{"s":"X"}})",
                 ParseErrorReason::kMissingField},
        BadFrame{"DataNotObject", R"({"stream":"btcusdt@trade","data":"x"})",
                 ParseErrorReason::kWrongType},
        BadFrame{"StreamNotString", R"({"stream":5,"data":{"e":"trade"}})",
                 ParseErrorReason::kWrongType},
        BadFrame{"SymbolMismatch",
                 R"({"stream":"ethusdt@trade","data":{"e":"trade",)" +
                     std::string(kTradeOk) + "}}",
                 ParseErrorReason::kInvalidField},
        BadFrame{"PriceAsNumber",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":66237.49,)"
                       R"("q":"0.0015","T":1712513371739,"m":true)"),
                 ParseErrorReason::kWrongType},
        BadFrame{"ZeroPrice",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"0.00",)"
                       R"("q":"0.0015","T":1712513371739,"m":true)"),
                 ParseErrorReason::kNonPositivePrice},
        BadFrame{"NegativePrice",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"-1",)"
                       R"("q":"0.0015","T":1712513371739,"m":true)"),
                 ParseErrorReason::kNonPositivePrice},
        BadFrame{"AbsurdPrice",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"5e15",)"
                       R"("q":"0.0015","T":1712513371739,"m":true)"),
                 ParseErrorReason::kAbsurdValue},
        BadFrame{
            "GarbagePrice",
            Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"66,237.49",)"
                  R"("q":"0.0015","T":1712513371739,"m":true)"),
            ParseErrorReason::kInvalidNumber},
        BadFrame{"ZeroQuantity",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"1",)"
                       R"("q":"0","T":1712513371739,"m":true)"),
                 ParseErrorReason::kInvalidField},
        BadFrame{"MakerFlagAsString",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"1",)"
                       R"("q":"1","T":1712513371739,"m":"true")"),
                 ParseErrorReason::kWrongType},
        BadFrame{"MissingTradeTime",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":5,"p":"1",)"
                       R"("q":"1","m":true)"),
                 ParseErrorReason::kMissingField},
        BadFrame{"NegativeTradeId",
                 Trade(R"("E":1712513371740,"s":"BTCUSDT","t":-5,"p":"1",)"
                       R"("q":"1","T":1712513371739,"m":true)"),
                 ParseErrorReason::kInvalidField},
        BadFrame{"TimeInSeconds",
                 Trade(R"("E":1712513371,"s":"BTCUSDT","t":5,"p":"1",)"
                       R"("q":"1","T":1712513371739,"m":true)"),
                 ParseErrorReason::kInvalidTimestamp},
        BadFrame{"KlineMissingK",
                 R"({"stream":"btcusdt@kline_1m","data":{"e":"kline",)"
                 R"("E":1712513372123,"s":"BTCUSDT"}})",
                 ParseErrorReason::kMissingField},
        BadFrame{
            "KlineUnsupportedInterval",
            KlineFrame(R"({"t":1712513340000,"T":1712513519999,"s":"BTCUSDT",)"
                       R"("i":"3m","o":"1","c":"1","h":"1","l":"1","v":"1",)"
                       R"("n":1,"x":false,"q":"1"})"),
            ParseErrorReason::kInvalidField},
        BadFrame{
            "KlineTimesMismatch",
            KlineFrame(R"({"t":1712513340000,"T":1712513459999,"s":"BTCUSDT",)"
                       R"("i":"1m","o":"1","c":"1","h":"1","l":"1","v":"1",)"
                       R"("n":1,"x":false,"q":"1"})"),
            ParseErrorReason::kInvalidField},
        BadFrame{
            "KlineMisaligned",
            KlineFrame(R"({"t":1712513340001,"T":1712513400000,"s":"BTCUSDT",)"
                       R"("i":"1m","o":"1","c":"1","h":"1","l":"1","v":"1",)"
                       R"("n":1,"x":false,"q":"1"})"),
            ParseErrorReason::kInvalidField},
        BadFrame{
            "KlineSymbolsDiffer",
            KlineFrame(R"({"t":1712513340000,"T":1712513399999,"s":"ETHUSDT",)"
                       R"("i":"1m","o":"1","c":"1","h":"1","l":"1","v":"1",)"
                       R"("n":1,"x":false,"q":"1"})"),
            ParseErrorReason::kInvalidField},
        BadFrame{
            "KlineHighBelowLow",
            KlineFrame(R"({"t":1712513340000,"T":1712513399999,"s":"BTCUSDT",)"
                       R"("i":"1m","o":"1","c":"1","h":"1","l":"2","v":"1",)"
                       R"("n":1,"x":false,"q":"1"})"),
            ParseErrorReason::kInconsistentOhlc},
        BadFrame{"KlineNotObject", KlineFrame("[1,2]"),
                 ParseErrorReason::kWrongType},
        BadFrame{
            "MiniTickerNegativeVolume",
            R"({"stream":"ethusdt@miniTicker","data":{"e":"24hrMiniTicker",)"
            R"("E":1712513372001,"s":"ETHUSDT","c":"2","o":"2","h":"2",)"
            R"("l":"2","v":"-1","q":"1"}})",
            ParseErrorReason::kNegativeAmount},
        BadFrame{"DeeplyNested",
                 std::string(5000, '[') + std::string(5000, ']'),
                 ParseErrorReason::kTooDeep}),
    [](const testing::TestParamInfo<BadFrame>& info) {
      return info.param.name;
    });

TEST(BinanceRobustnessTest, EveryTruncationIsAnErrorNotACrash) {
  for (const char* name :
       {"binance_stream_trade.json", "binance_stream_kline.json",
        "binance_stream_mini_ticker_arr.json"}) {
    const std::string frame = Fixture(name);
    // Strip the trailing newline so that the only complete prefix is the
    // whole frame.
    const std::string trimmed = frame.substr(0, frame.find_last_of('}') + 1);
    ASSERT_TRUE(ParseStreamMessage(trimmed).ok()) << name;
    for (size_t length = 0; length < trimmed.size(); ++length) {
      ParseResult<StreamMessage> result =
          ParseStreamMessage(trimmed.substr(0, length));
      EXPECT_FALSE(result.ok()) << name << " prefix " << length;
    }
  }
}

TEST(BinanceRobustnessTest, RandomByteMutationsNeverEscape) {
  const std::vector<std::string> frames = {
      Fixture("binance_stream_trade.json"),
      Fixture("binance_stream_kline.json"), Fixture("binance_klines.json"),
      Fixture("binance_stream_mini_ticker_arr.json")};
  std::mt19937 rng(12345);
  int parsed_ok = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string frame = frames[round % frames.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      frame[rng() % frame.size()] = static_cast<char>(rng() % 256);
    }
    // Each parser must return normally, with a value or a labelled error.
    for (bool ok : {ParseStreamMessage(frame).ok(), ParseKlines(frame).ok()}) {
      parsed_ok += ok ? 1 : 0;
    }
  }
  // Some mutations only touch whitespace or string content; most break it.
  EXPECT_LT(parsed_ok, 2 * 4000);
}

}  // namespace
}  // namespace cryptotracker::pricing::parsers
