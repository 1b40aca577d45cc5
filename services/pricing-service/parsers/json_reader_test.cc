#include "services/pricing-service/parsers/json_reader.h"

#include <string>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::parsers {
namespace {

ParseErrorReason ReasonOf(std::string_view text, JsonLimits limits = {}) {
  ParseResult<JsonValue> result = ParseJson(text, limits);
  EXPECT_FALSE(result.ok()) << text;
  return result.ok() ? ParseErrorReason::kControlMessage
                     : result.error().reason;
}

TEST(ParseJsonTest, KeepsNumberTokensVerbatim) {
  ParseResult<JsonValue> result =
      ParseJson(R"({"a":0.1,"b":6.5e-05,"c":123456789012345678901234567890,)"
                R"("d":-5,"e":18446744073709551615,"f":1E+3,"g":-0.0})");
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->Find("a")->number_text(), "0.1");
  EXPECT_EQ(result->Find("b")->number_text(), "6.5e-05");
  EXPECT_EQ(result->Find("c")->number_text(), "123456789012345678901234567890");
  EXPECT_EQ(result->Find("d")->number_text(), "-5");
  EXPECT_EQ(result->Find("e")->number_text(), "18446744073709551615");
  EXPECT_EQ(result->Find("f")->number_text(), "1E+3");
  EXPECT_EQ(result->Find("g")->number_text(), "-0.0");
}

TEST(ParseJsonTest, BuildsNestedStructure) {
  ParseResult<JsonValue> result = ParseJson(
      R"({"s":"x\u00e9\n","n":null,"t":true,"arr":[1,[2,{"k":"v"}],[]],"o":{}})");
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result->type(), JsonValue::Type::kObject);
  EXPECT_EQ(result->object().size(), 5u);
  EXPECT_EQ(result->Find("s")->string_value(), "x\xc3\xa9\n");
  EXPECT_TRUE(result->Find("n")->is_null());
  EXPECT_TRUE(result->Find("t")->bool_value());
  const JsonValue& arr = *result->Find("arr");
  ASSERT_EQ(arr.array().size(), 3u);
  EXPECT_EQ(arr.array()[1].array()[1].Find("k")->string_value(), "v");
  EXPECT_TRUE(arr.array()[2].array().empty());
  EXPECT_TRUE(result->Find("o")->object().empty());
  EXPECT_EQ(result->Find("missing"), nullptr);
  EXPECT_EQ(arr.Find("k"), nullptr);  // not an object
}

TEST(ParseJsonTest, RejectsMalformedDocuments) {
  for (const char* text :
       {"", " ", "{", "[1,2", "{\"a\":}", "{\"a\":1,}", "[1,]", "nul",
        "{'a':1}", "{\"a\":1} x", "[1] [2]", "NaN", "[Infinity]", "[01]",
        "[1.]", "[.5]", "[\"\\x\"]", "\"unterminated", "[\"a\nb\"]"}) {
    EXPECT_EQ(ReasonOf(text), ParseErrorReason::kMalformedJson) << text;
  }
}

TEST(ParseJsonTest, RejectsInvalidUtf8) {
  EXPECT_EQ(ReasonOf("[\"\xff\"]"), ParseErrorReason::kMalformedJson);
  EXPECT_EQ(ReasonOf("[\"\xc3\"]"), ParseErrorReason::kMalformedJson);
  EXPECT_EQ(ReasonOf(std::string("[\"a\0\"]", 6)),
            ParseErrorReason::kMalformedJson);
}

TEST(ParseJsonTest, RejectsRepeatedKeys) {
  ParseResult<JsonValue> result = ParseJson(R"({"p":"1","p":"2"})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, ParseErrorReason::kMalformedJson);
  EXPECT_NE(result.error().detail.find("repeated"), std::string::npos);
  // The same key in different objects is fine.
  EXPECT_TRUE(ParseJson(R"([{"p":"1"},{"p":"2"}])").ok());
}

TEST(ParseJsonTest, EnforcesDepthAndSizeLimits) {
  JsonLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(ParseJson("[[[1]]]", limits).ok());
  EXPECT_EQ(ReasonOf("[[[[1]]]]", limits), ParseErrorReason::kTooDeep);
  // The default limit stops pathological nesting long before the stack.
  EXPECT_EQ(ReasonOf(std::string(100000, '[')), ParseErrorReason::kTooDeep);
  limits.max_bytes = 10;
  EXPECT_EQ(ReasonOf("[1,2,3,4,5,6]", limits), ParseErrorReason::kTooLarge);
  EXPECT_TRUE(ParseJson("[1,2,3,4]", limits).ok());
}

TEST(ParseErrorTest, LabelsAreStable) {
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kMalformedJson),
            "malformed_json");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kTooLarge), "too_large");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kTooDeep), "too_deep");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kWrongType), "wrong_type");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kMissingField),
            "missing_field");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kInvalidNumber),
            "invalid_number");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kNonPositivePrice),
            "non_positive_price");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kNegativeAmount),
            "negative_amount");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kAbsurdValue),
            "absurd_value");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kInvalidTimestamp),
            "invalid_timestamp");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kInvalidField),
            "invalid_field");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kInconsistentOhlc),
            "inconsistent_ohlc");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kUnknownEvent),
            "unknown_event");
  EXPECT_EQ(ParseErrorReasonLabel(ParseErrorReason::kControlMessage),
            "control_message");
  ParseError error{ParseErrorReason::kWrongType, "x"};
  EXPECT_EQ(error.label(), "wrong_type");
}

TEST(FieldReaderTest, ReadsAndValidatesStringDecimals) {
  const JsonValue object =
      *ParseJson(R"({"p":"42000.10","q":"0","s":"-1.5","i":17,"sym":"BTCUSDT",)"
                 R"("b":false,"t":1712513371739})");
  FieldReader reader(object, "data", DecimalEncoding::kString);
  ASSERT_TRUE(reader.ExpectObject());
  EXPECT_EQ(reader.Price("p"), *common::Decimal::Parse("42000.1"));
  EXPECT_EQ(reader.Amount("q"), common::Decimal());
  EXPECT_EQ(reader.Signed("s"), *common::Decimal::Parse("-1.5"));
  EXPECT_EQ(reader.Integer("i"), 17);
  EXPECT_EQ(reader.Symbol("sym"), "BTCUSDT");
  EXPECT_FALSE(reader.Bool("b"));
  EXPECT_EQ(reader.TimestampMs("t"), 1712513371739);
  EXPECT_EQ(reader.OptionalPrice("absent"), std::nullopt);
  EXPECT_TRUE(reader.ok());
}

struct FieldCase {
  std::string json;
  ParseErrorReason reason;
  std::string detail_part;
};

class FieldReaderErrorTest : public testing::TestWithParam<FieldCase> {};

TEST_P(FieldReaderErrorTest, ReportsReasonAndPath) {
  const ParseResult<JsonValue> object = ParseJson(GetParam().json);
  ASSERT_TRUE(object.ok());
  FieldReader reader(*object, "data", DecimalEncoding::kString);
  reader.Price("p");
  reader.Amount("q");
  reader.Integer("t");
  reader.TimestampMs("T");
  reader.Symbol("s");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error()->reason, GetParam().reason)
      << reader.error()->detail;
  EXPECT_NE(reader.error()->detail.find(GetParam().detail_part),
            std::string::npos)
      << reader.error()->detail;
}

constexpr char kGoodTail[] = R"("t":1,"T":1712513371739,"s":"BTCUSDT"})";

INSTANTIATE_TEST_SUITE_P(
    Cases, FieldReaderErrorTest,
    testing::Values(
        FieldCase{std::string(R"({"q":"1",)") + kGoodTail,
                  ParseErrorReason::kMissingField, "data.p: is required"},
        FieldCase{std::string(R"({"p":null,"q":"1",)") + kGoodTail,
                  ParseErrorReason::kMissingField, "data.p"},
        FieldCase{std::string(R"({"p":1.5,"q":"1",)") + kGoodTail,
                  ParseErrorReason::kWrongType,
                  "expected a string, got number"},
        FieldCase{std::string(R"({"p":"abc","q":"1",)") + kGoodTail,
                  ParseErrorReason::kInvalidNumber, "data.p"},
        FieldCase{std::string(R"({"p":"NaN","q":"1",)") + kGoodTail,
                  ParseErrorReason::kInvalidNumber, "data.p"},
        FieldCase{
            std::string(R"({"p":"0.0000000000000000001","q":"1",)") + kGoodTail,
            ParseErrorReason::kInvalidNumber, "18 fractional"},
        FieldCase{std::string(R"({"p":"0","q":"1",)") + kGoodTail,
                  ParseErrorReason::kNonPositivePrice, "data.p"},
        FieldCase{std::string(R"({"p":"-3","q":"1",)") + kGoodTail,
                  ParseErrorReason::kNonPositivePrice, "data.p"},
        FieldCase{std::string(R"({"p":"1000000000001","q":"1",)") + kGoodTail,
                  ParseErrorReason::kAbsurdValue, "price above 1e12"},
        FieldCase{std::string(R"({"p":"1e30","q":"1",)") + kGoodTail,
                  ParseErrorReason::kAbsurdValue, "out of range"},
        FieldCase{std::string(R"({"p":"1","q":"-0.1",)") + kGoodTail,
                  ParseErrorReason::kNegativeAmount, "data.q"},
        FieldCase{std::string(R"({"p":"1","q":"1e19",)") + kGoodTail,
                  ParseErrorReason::kAbsurdValue, "data.q"},
        FieldCase{
            R"({"p":"1","q":"1","t":1.0,"T":1712513371739,"s":"BTCUSDT"})",
            ParseErrorReason::kWrongType, "expected an integer"},
        FieldCase{
            R"({"p":"1","q":"1","t":"1","T":1712513371739,"s":"BTCUSDT"})",
            ParseErrorReason::kWrongType, "data.t"},
        FieldCase{
            R"({"p":"1","q":"1","t":99999999999999999999,"T":1712513371739,"s":"X"})",
            ParseErrorReason::kAbsurdValue, "integer out of range"},
        FieldCase{R"({"p":"1","q":"1","t":1,"T":1712513371,"s":"BTCUSDT"})",
                  ParseErrorReason::kInvalidTimestamp, "data.T"},
        FieldCase{R"({"p":"1","q":"1","t":1,"T":-5,"s":"BTCUSDT"})",
                  ParseErrorReason::kInvalidTimestamp, "data.T"},
        FieldCase{R"({"p":"1","q":"1","t":1,"T":1712513371739,"s":"btcusdt"})",
                  ParseErrorReason::kInvalidField, "data.s"},
        FieldCase{R"({"p":"1","q":"1","t":1,"T":1712513371739,"s":""})",
                  ParseErrorReason::kInvalidField, "data.s"},
        FieldCase{R"({"p":"1","q":"1","t":1,"T":1712513371739,"s":"BTC-USD"})",
                  ParseErrorReason::kInvalidField, "data.s"}));

TEST(FieldReaderTest, FirstErrorWins) {
  const JsonValue object = *ParseJson(R"({"p":"0","q":"x"})");
  FieldReader reader(object, "", DecimalEncoding::kString);
  reader.Price("p");
  reader.Amount("q");
  reader.Fail(ParseErrorReason::kInvalidField, "z", "later");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error()->reason, ParseErrorReason::kNonPositivePrice);
  EXPECT_EQ(reader.error()->detail, "p: price must be positive");
}

TEST(FieldReaderTest, NumberEncodingReadsTokensAndRoundsFloatNoise) {
  const JsonValue object = *ParseJson(
      R"({"a":70187,"b":2.656e-05,"c":1.2345678901234567e-07,"d":"5",)"
      R"("e":null})");
  FieldReader reader(object, "[0]", DecimalEncoding::kNumber);
  EXPECT_EQ(reader.Price("a"), common::Decimal::FromInteger(70187));
  EXPECT_EQ(reader.Price("b").ToString(), "0.00002656");
  EXPECT_EQ(reader.Price("c").ToString(), "0.000000123456789012");
  EXPECT_EQ(reader.OptionalAmount("e"), std::nullopt);
  EXPECT_TRUE(reader.ok());
  reader.Price("d");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error()->reason, ParseErrorReason::kWrongType);
  EXPECT_EQ(reader.error()->detail, "[0].d: expected a number, got string");
}

TEST(FieldReaderTest, PositionalArrays) {
  const JsonValue row = *ParseJson(R"([1712513340000,"1.5",null])");
  FieldReader reader(row, "[4]", DecimalEncoding::kString);
  EXPECT_FALSE(reader.ExpectArray(2));
  EXPECT_EQ(reader.error()->detail, "[4]: expected 2 elements, got 3");
  FieldReader second(row, "[4]", DecimalEncoding::kString);
  EXPECT_EQ(second.TimestampMsAt(0), 1712513340000);
  EXPECT_EQ(second.PriceAt(1), *common::Decimal::Parse("1.5"));
  EXPECT_TRUE(second.ok());
  second.AmountAt(2);
  EXPECT_EQ(second.error()->reason, ParseErrorReason::kMissingField);
  EXPECT_EQ(second.error()->detail, "[4][2]: is required");
  FieldReader third(row, "", DecimalEncoding::kString);
  third.IntegerAt(7);
  EXPECT_EQ(third.error()->reason, ParseErrorReason::kWrongType);
}

}  // namespace
}  // namespace cryptotracker::pricing::parsers
