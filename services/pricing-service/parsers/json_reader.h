// A small JSON document model that keeps numbers as their source text, and a
// field reader that validates market-data fields into Decimals.
//
// Why not nlohmann::json's own DOM: it stores every non-integer number as a
// double, and a price that passed through a double is no longer the price
// the source sent (0.1 becomes 0.1000000000000000055...). nlohmann's SAX
// interface, however, hands each floating-point token to number_float()
// together with its exact source text, so this model is built from SAX
// events: nlohmann still does all the syntax work (strict RFC 8259, UTF-8
// validation), and numbers reach Decimal::Parse digit for digit. Integers
// arrive as int64/uint64 values and are re-rendered exactly; integers too
// large for 64 bits arrive through number_float() with their text too.
// Writing our own tokenizer would have meant re-implementing and re-testing
// JSON string escapes and UTF-8 checks for no gain.
#ifndef CRYPTOTRACKER_PRICING_PARSERS_JSON_READER_H_
#define CRYPTOTRACKER_PRICING_PARSERS_JSON_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/decimal.h"
#include "services/pricing-service/parsers/parse_result.h"

namespace cryptotracker::pricing::parsers {

struct JsonMember;

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // Factories are defined out of line, where JsonMember is complete.
  static JsonValue Null();
  static JsonValue Bool(bool value);
  static JsonValue Number(std::string text);
  static JsonValue String(std::string value);
  static JsonValue Array();
  static JsonValue Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }

  bool bool_value() const { return bool_; }
  // The number token as written, e.g. "70187", "6.5e-05", "-0.5".
  const std::string& number_text() const { return text_; }
  const std::string& string_value() const { return text_; }
  const std::vector<JsonValue>& array() const { return array_; }
  std::vector<JsonValue>& mutable_array() { return array_; }
  const std::vector<JsonMember>& object() const { return object_; }
  std::vector<JsonMember>& mutable_object() { return object_; }

  // The member named `key` of an object; nullptr when absent or when this is
  // not an object.
  const JsonValue* Find(std::string_view key) const;

 private:
  explicit JsonValue(Type type);

  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> array_;
  std::vector<JsonMember> object_;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// "null", "boolean", "number", "string", "array" or "object".
std::string_view JsonTypeName(JsonValue::Type type);

struct JsonLimits {
  // Larger documents are rejected before parsing (kTooLarge). The biggest
  // documented response, all Binance 24h tickers, is a few MiB.
  size_t max_bytes = 32 * 1024 * 1024;
  // Deeper nesting is rejected (kTooDeep); the documented formats need 3.
  int max_depth = 16;
};

// Parses one complete JSON document. Errors: kTooLarge, kTooDeep, and
// kMalformedJson for syntax errors, truncation, invalid UTF-8, trailing
// garbage, a key repeated within one object (which parsers disagree on), or
// a number beyond double range such as 1e400 (nlohmann refuses those).
ParseResult<JsonValue> ParseJson(std::string_view text, JsonLimits limits = {});

// Sanity bounds for market data; see ParseErrorReason::kAbsurdValue.
inline constexpr int64_t kMaxPriceUnits = 1'000'000'000'000;           // 1e12
inline constexpr int64_t kMaxAmountUnits = 1'000'000'000'000'000'000;  // 1e18
// Accepted timestamps: 2009-01-01T00:00:00Z to 2100-01-01T00:00:00Z.
inline constexpr int64_t kMinTimestampMs = 1'230'768'000'000;
inline constexpr int64_t kMaxTimestampMs = 4'102'444'800'000;

// How a source encodes decimal values.
enum class DecimalEncoding {
  // As JSON strings holding the exact decimal ("0.01634790"): Binance.
  kString,
  // As JSON numbers, originally binary floats: CoinGecko. Digits past the
  // 18th decimal are rounded half to even (Decimal::ParseAndRound).
  kNumber,
};

// Reads typed, validated fields of one JSON object (or elements of one JSON
// array, by index) and remembers the first error; later reads after an
// error return defaults, so a parser reads every field and checks error()
// once at the end. Paths in error details look like "data.k.o" or "[3].p".
class FieldReader {
 public:
  FieldReader(const JsonValue& container, std::string path,
              DecimalEncoding encoding);

  // True when the container itself has the expected type; records a
  // kWrongType error otherwise.
  bool ExpectObject();
  bool ExpectArray(size_t size);

  // Required fields; missing or null is kMissingField.
  std::string String(std::string_view key);
  // Non-empty string of at most `max_length` bytes, else kInvalidField.
  std::string NonEmptyString(std::string_view key, size_t max_length);
  // Exchange pair symbol: 1 to 32 characters of A-Z and 0-9.
  std::string Symbol(std::string_view key);
  bool Bool(std::string_view key);
  // A JSON integer (no fraction or exponent) in int64 range.
  int64_t Integer(std::string_view key);
  // Integer milliseconds within [kMinTimestampMs, kMaxTimestampMs].
  int64_t TimestampMs(std::string_view key);
  // Positive and at most 1e12.
  common::Decimal Price(std::string_view key);
  // Not negative and at most 1e18 (volumes, quantities, market caps).
  common::Decimal Amount(std::string_view key);
  // Any sign, magnitude at most 1e18 (changes, percentages).
  common::Decimal Signed(std::string_view key);

  // Optional fields: absent or null give std::nullopt, other values are
  // validated as above.
  std::optional<std::string> OptionalString(std::string_view key);
  std::optional<int64_t> OptionalInteger(std::string_view key);
  std::optional<common::Decimal> OptionalPrice(std::string_view key);
  std::optional<common::Decimal> OptionalAmount(std::string_view key);
  std::optional<common::Decimal> OptionalSigned(std::string_view key);

  // The same readers by array index, for Binance's positional arrays.
  int64_t IntegerAt(size_t index);
  int64_t TimestampMsAt(size_t index);
  common::Decimal PriceAt(size_t index);
  common::Decimal AmountAt(size_t index);

  // Records an error found by the caller (e.g. a cross-field check) unless
  // one is already recorded.
  void Fail(ParseErrorReason reason, std::string_view field,
            std::string_view message);

  bool ok() const { return !error_.has_value(); }
  const std::optional<ParseError>& error() const { return error_; }
  ParseError TakeError() { return std::move(*error_); }

 private:
  enum class DecimalKind { kPrice, kAmount, kSigned };

  // The field, or nullptr (with kMissingField recorded when `required`).
  const JsonValue* Lookup(std::string_view key, bool required);
  const JsonValue* LookupAt(size_t index);
  std::string FieldPath(std::string_view field) const;
  bool CheckType(const JsonValue& value, JsonValue::Type type,
                 std::string_view field);
  std::optional<int64_t> ReadInteger(const JsonValue& value,
                                     std::string_view field);
  std::optional<int64_t> ReadTimestamp(const JsonValue& value,
                                       std::string_view field);
  std::optional<common::Decimal> ReadDecimal(const JsonValue& value,
                                             std::string_view field,
                                             DecimalKind kind);

  const JsonValue& container_;
  std::string path_;
  DecimalEncoding encoding_;
  std::optional<ParseError> error_;
};

}  // namespace cryptotracker::pricing::parsers

#endif  // CRYPTOTRACKER_PRICING_PARSERS_JSON_READER_H_
