#include "services/pricing-service/parsers/json_reader.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace cryptotracker::pricing::parsers {

JsonValue::JsonValue(Type type) : type_(type) {}

JsonValue JsonValue::Null() { return JsonValue(Type::kNull); }
JsonValue JsonValue::Array() { return JsonValue(Type::kArray); }
JsonValue JsonValue::Object() { return JsonValue(Type::kObject); }

JsonValue JsonValue::Bool(bool value) {
  JsonValue result(Type::kBool);
  result.bool_ = value;
  return result;
}

JsonValue JsonValue::Number(std::string text) {
  JsonValue result(Type::kNumber);
  result.text_ = std::move(text);
  return result;
}

JsonValue JsonValue::String(std::string value) {
  JsonValue result(Type::kString);
  result.text_ = std::move(value);
  return result;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const JsonMember& member : object_) {
    if (member.key == key) return &member.value;
  }
  return nullptr;
}

std::string_view JsonTypeName(JsonValue::Type type) {
  switch (type) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
      return "boolean";
    case JsonValue::Type::kNumber:
      return "number";
    case JsonValue::Type::kString:
      return "string";
    case JsonValue::Type::kArray:
      return "array";
    case JsonValue::Type::kObject:
      return "object";
  }
  return "unknown";
}

std::string_view ParseErrorReasonLabel(ParseErrorReason reason) {
  switch (reason) {
    case ParseErrorReason::kMalformedJson:
      return "malformed_json";
    case ParseErrorReason::kTooLarge:
      return "too_large";
    case ParseErrorReason::kTooDeep:
      return "too_deep";
    case ParseErrorReason::kWrongType:
      return "wrong_type";
    case ParseErrorReason::kMissingField:
      return "missing_field";
    case ParseErrorReason::kInvalidNumber:
      return "invalid_number";
    case ParseErrorReason::kNonPositivePrice:
      return "non_positive_price";
    case ParseErrorReason::kNegativeAmount:
      return "negative_amount";
    case ParseErrorReason::kAbsurdValue:
      return "absurd_value";
    case ParseErrorReason::kInvalidTimestamp:
      return "invalid_timestamp";
    case ParseErrorReason::kInvalidField:
      return "invalid_field";
    case ParseErrorReason::kInconsistentOhlc:
      return "inconsistent_ohlc";
    case ParseErrorReason::kUnknownEvent:
      return "unknown_event";
    case ParseErrorReason::kControlMessage:
      return "control_message";
  }
  return "unknown";
}

namespace {

using Json = nlohmann::json;

// Builds a JsonValue tree from nlohmann SAX events. Containers under
// construction are tracked by pointer; only the innermost one ever grows, so
// the pointers to its ancestors stay valid.
class DomBuilder {
 public:
  explicit DomBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() { return Add(JsonValue::Null()) != nullptr; }
  bool boolean(bool value) { return Add(JsonValue::Bool(value)) != nullptr; }
  bool number_integer(Json::number_integer_t value) {
    return Add(JsonValue::Number(std::to_string(value))) != nullptr;
  }
  bool number_unsigned(Json::number_unsigned_t value) {
    return Add(JsonValue::Number(std::to_string(value))) != nullptr;
  }
  // `text` is the token exactly as it appeared in the input.
  bool number_float(Json::number_float_t /*value*/,
                    const Json::string_t& text) {
    return Add(JsonValue::Number(text)) != nullptr;
  }
  bool string(Json::string_t& value) {
    return Add(JsonValue::String(std::move(value))) != nullptr;
  }
  bool binary(Json::binary_t& /*value*/) {
    // Only binary formats (CBOR, MessagePack) produce these.
    return Fail(ParseErrorReason::kMalformedJson, "unexpected binary value");
  }
  bool start_object(std::size_t /*size*/) { return Open(JsonValue::Object()); }
  bool key(Json::string_t& key) {
    for (const JsonMember& member : stack_.back()->object()) {
      if (member.key == key) {
        return Fail(ParseErrorReason::kMalformedJson,
                    "repeated object key \"" + Shorten(key) + "\"");
      }
    }
    pending_key_ = std::move(key);
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*size*/) { return Open(JsonValue::Array()); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*error*/) {
    // nlohmann's message quotes the offending input; keep the detail short
    // and free of payload content.
    return Fail(ParseErrorReason::kMalformedJson,
                "invalid JSON near byte " + std::to_string(position));
  }

  std::optional<ParseError>& error() { return error_; }
  JsonValue TakeRoot() { return std::move(root_); }

 private:
  static std::string Shorten(const std::string& text) {
    return text.size() <= 40 ? text : text.substr(0, 40) + "...";
  }

  bool Fail(ParseErrorReason reason, std::string detail) {
    if (!error_.has_value()) error_ = ParseError{reason, std::move(detail)};
    return false;
  }

  JsonValue* Add(JsonValue value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    JsonValue& parent = *stack_.back();
    if (parent.type() == JsonValue::Type::kArray) {
      parent.mutable_array().push_back(std::move(value));
      return &parent.mutable_array().back();
    }
    parent.mutable_object().push_back(
        JsonMember{std::move(pending_key_), std::move(value)});
    return &parent.mutable_object().back().value;
  }

  bool Open(JsonValue container) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      return Fail(
          ParseErrorReason::kTooDeep,
          "nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    stack_.push_back(Add(std::move(container)));
    return true;
  }

  const int max_depth_;
  JsonValue root_ = JsonValue::Null();
  std::vector<JsonValue*> stack_;
  std::string pending_key_;
  std::optional<ParseError> error_;
};

bool IsSymbolCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

ParseResult<JsonValue> ParseJson(std::string_view text, JsonLimits limits) {
  if (text.size() > limits.max_bytes) {
    return ParseError{ParseErrorReason::kTooLarge,
                      "document of " + std::to_string(text.size()) +
                          " bytes exceeds the limit of " +
                          std::to_string(limits.max_bytes)};
  }
  DomBuilder builder(limits.max_depth);
  bool parsed = false;
  try {
    parsed = Json::sax_parse(text.data(), text.data() + text.size(), &builder);
  } catch (const std::exception& e) {
    // sax_parse reports syntax errors through parse_error(); anything
    // thrown is unexpected (allocation failure), but must not escape.
    return ParseError{ParseErrorReason::kMalformedJson,
                      "JSON parser failed unexpectedly"};
  }
  if (!parsed) {
    if (builder.error().has_value()) return std::move(*builder.error());
    return ParseError{ParseErrorReason::kMalformedJson, "invalid JSON"};
  }
  return builder.TakeRoot();
}

FieldReader::FieldReader(const JsonValue& container, std::string path,
                         DecimalEncoding encoding)
    : container_(container), path_(std::move(path)), encoding_(encoding) {}

std::string FieldReader::FieldPath(std::string_view field) const {
  if (field.empty()) return path_.empty() ? "$" : path_;
  if (path_.empty()) return std::string(field);
  if (field.front() == '[') return path_ + std::string(field);
  return path_ + "." + std::string(field);
}

void FieldReader::Fail(ParseErrorReason reason, std::string_view field,
                       std::string_view message) {
  if (error_.has_value()) return;
  error_ = ParseError{reason, FieldPath(field) + ": " + std::string(message)};
}

bool FieldReader::ExpectObject() {
  if (container_.type() == JsonValue::Type::kObject) return true;
  Fail(ParseErrorReason::kWrongType, "",
       "expected an object, got " +
           std::string(JsonTypeName(container_.type())));
  return false;
}

bool FieldReader::ExpectArray(size_t size) {
  if (container_.type() != JsonValue::Type::kArray) {
    Fail(ParseErrorReason::kWrongType, "",
         "expected an array, got " +
             std::string(JsonTypeName(container_.type())));
    return false;
  }
  if (container_.array().size() != size) {
    Fail(ParseErrorReason::kWrongType, "",
         "expected " + std::to_string(size) + " elements, got " +
             std::to_string(container_.array().size()));
    return false;
  }
  return true;
}

const JsonValue* FieldReader::Lookup(std::string_view key, bool required) {
  if (!ok()) return nullptr;
  if (container_.type() != JsonValue::Type::kObject) {
    ExpectObject();
    return nullptr;
  }
  const JsonValue* value = container_.Find(key);
  if (value == nullptr || value->is_null()) {
    if (required) Fail(ParseErrorReason::kMissingField, key, "is required");
    return nullptr;
  }
  return value;
}

const JsonValue* FieldReader::LookupAt(size_t index) {
  if (!ok()) return nullptr;
  const std::string field = "[" + std::to_string(index) + "]";
  if (container_.type() != JsonValue::Type::kArray ||
      index >= container_.array().size()) {
    Fail(ParseErrorReason::kWrongType, field, "element does not exist");
    return nullptr;
  }
  const JsonValue& value = container_.array()[index];
  if (value.is_null()) {
    Fail(ParseErrorReason::kMissingField, field, "is required");
    return nullptr;
  }
  return &value;
}

bool FieldReader::CheckType(const JsonValue& value, JsonValue::Type type,
                            std::string_view field) {
  if (value.type() == type) return true;
  Fail(ParseErrorReason::kWrongType, field,
       "expected a " + std::string(JsonTypeName(type)) + ", got " +
           std::string(JsonTypeName(value.type())));
  return false;
}

std::optional<int64_t> FieldReader::ReadInteger(const JsonValue& value,
                                                std::string_view field) {
  if (!CheckType(value, JsonValue::Type::kNumber, field)) return std::nullopt;
  const std::string& text = value.number_text();
  if (text.find_first_of(".eE") != std::string::npos) {
    Fail(ParseErrorReason::kWrongType, field, "expected an integer");
    return std::nullopt;
  }
  int64_t result = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), result);
  if (error == std::errc::result_out_of_range) {
    Fail(ParseErrorReason::kAbsurdValue, field, "integer out of range");
    return std::nullopt;
  }
  if (error != std::errc() || end != text.data() + text.size()) {
    Fail(ParseErrorReason::kInvalidNumber, field, "invalid integer");
    return std::nullopt;
  }
  return result;
}

std::optional<int64_t> FieldReader::ReadTimestamp(const JsonValue& value,
                                                  std::string_view field) {
  std::optional<int64_t> ms = ReadInteger(value, field);
  if (!ms.has_value()) return std::nullopt;
  if (*ms < kMinTimestampMs || *ms > kMaxTimestampMs) {
    Fail(ParseErrorReason::kInvalidTimestamp, field,
         "timestamp outside 2009..2100 (milliseconds expected)");
    return std::nullopt;
  }
  return ms;
}

std::optional<common::Decimal> FieldReader::ReadDecimal(const JsonValue& value,
                                                        std::string_view field,
                                                        DecimalKind kind) {
  absl::StatusOr<common::Decimal> parsed;
  if (encoding_ == DecimalEncoding::kString) {
    if (!CheckType(value, JsonValue::Type::kString, field)) {
      return std::nullopt;
    }
    parsed = common::Decimal::Parse(value.string_value());
  } else {
    if (!CheckType(value, JsonValue::Type::kNumber, field)) {
      return std::nullopt;
    }
    parsed = common::Decimal::ParseAndRound(value.number_text());
  }
  if (!parsed.ok()) {
    Fail(parsed.status().code() == absl::StatusCode::kOutOfRange
             ? ParseErrorReason::kAbsurdValue
             : ParseErrorReason::kInvalidNumber,
         field, std::string(parsed.status().message()));
    return std::nullopt;
  }
  const common::Decimal number = *parsed;
  static const common::Decimal kMaxPrice =
      common::Decimal::FromInteger(kMaxPriceUnits);
  static const common::Decimal kMaxAmount =
      common::Decimal::FromInteger(kMaxAmountUnits);
  switch (kind) {
    case DecimalKind::kPrice:
      if (!number.IsPositive()) {
        Fail(ParseErrorReason::kNonPositivePrice, field,
             "price must be positive");
        return std::nullopt;
      }
      if (number > kMaxPrice) {
        Fail(ParseErrorReason::kAbsurdValue, field, "price above 1e12");
        return std::nullopt;
      }
      break;
    case DecimalKind::kAmount:
      if (number.IsNegative()) {
        Fail(ParseErrorReason::kNegativeAmount, field, "must not be negative");
        return std::nullopt;
      }
      if (number > kMaxAmount) {
        Fail(ParseErrorReason::kAbsurdValue, field, "amount above 1e18");
        return std::nullopt;
      }
      break;
    case DecimalKind::kSigned:
      if (number.Abs() > kMaxAmount) {
        Fail(ParseErrorReason::kAbsurdValue, field, "magnitude above 1e18");
        return std::nullopt;
      }
      break;
  }
  return number;
}

std::string FieldReader::String(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr || !CheckType(*value, JsonValue::Type::kString, key)) {
    return "";
  }
  return value->string_value();
}

std::string FieldReader::NonEmptyString(std::string_view key,
                                        size_t max_length) {
  std::string text = String(key);
  if (!ok()) return "";
  if (text.empty() || text.size() > max_length) {
    Fail(ParseErrorReason::kInvalidField, key,
         "must be 1 to " + std::to_string(max_length) + " bytes");
    return "";
  }
  return text;
}

std::string FieldReader::Symbol(std::string_view key) {
  std::string symbol = String(key);
  if (!ok()) return "";
  bool valid = !symbol.empty() && symbol.size() <= 32;
  for (char c : symbol) valid = valid && IsSymbolCharacter(c);
  if (!valid) {
    Fail(ParseErrorReason::kInvalidField, key,
         "symbol must be 1 to 32 characters of A-Z and 0-9");
    return "";
  }
  return symbol;
}

bool FieldReader::Bool(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr || !CheckType(*value, JsonValue::Type::kBool, key)) {
    return false;
  }
  return value->bool_value();
}

int64_t FieldReader::Integer(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr) return 0;
  return ReadInteger(*value, key).value_or(0);
}

int64_t FieldReader::TimestampMs(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr) return 0;
  return ReadTimestamp(*value, key).value_or(0);
}

common::Decimal FieldReader::Price(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr) return common::Decimal();
  return ReadDecimal(*value, key, DecimalKind::kPrice)
      .value_or(common::Decimal());
}

common::Decimal FieldReader::Amount(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr) return common::Decimal();
  return ReadDecimal(*value, key, DecimalKind::kAmount)
      .value_or(common::Decimal());
}

common::Decimal FieldReader::Signed(std::string_view key) {
  const JsonValue* value = Lookup(key, true);
  if (value == nullptr) return common::Decimal();
  return ReadDecimal(*value, key, DecimalKind::kSigned)
      .value_or(common::Decimal());
}

std::optional<std::string> FieldReader::OptionalString(std::string_view key) {
  const JsonValue* value = Lookup(key, false);
  if (value == nullptr || !CheckType(*value, JsonValue::Type::kString, key)) {
    return std::nullopt;
  }
  return value->string_value();
}

std::optional<int64_t> FieldReader::OptionalInteger(std::string_view key) {
  const JsonValue* value = Lookup(key, false);
  if (value == nullptr) return std::nullopt;
  return ReadInteger(*value, key);
}

std::optional<common::Decimal> FieldReader::OptionalPrice(
    std::string_view key) {
  const JsonValue* value = Lookup(key, false);
  if (value == nullptr) return std::nullopt;
  return ReadDecimal(*value, key, DecimalKind::kPrice);
}

std::optional<common::Decimal> FieldReader::OptionalAmount(
    std::string_view key) {
  const JsonValue* value = Lookup(key, false);
  if (value == nullptr) return std::nullopt;
  return ReadDecimal(*value, key, DecimalKind::kAmount);
}

std::optional<common::Decimal> FieldReader::OptionalSigned(
    std::string_view key) {
  const JsonValue* value = Lookup(key, false);
  if (value == nullptr) return std::nullopt;
  return ReadDecimal(*value, key, DecimalKind::kSigned);
}

int64_t FieldReader::IntegerAt(size_t index) {
  const JsonValue* value = LookupAt(index);
  if (value == nullptr) return 0;
  return ReadInteger(*value, "[" + std::to_string(index) + "]").value_or(0);
}

int64_t FieldReader::TimestampMsAt(size_t index) {
  const JsonValue* value = LookupAt(index);
  if (value == nullptr) return 0;
  return ReadTimestamp(*value, "[" + std::to_string(index) + "]").value_or(0);
}

common::Decimal FieldReader::PriceAt(size_t index) {
  const JsonValue* value = LookupAt(index);
  if (value == nullptr) return common::Decimal();
  return ReadDecimal(*value, "[" + std::to_string(index) + "]",
                     DecimalKind::kPrice)
      .value_or(common::Decimal());
}

common::Decimal FieldReader::AmountAt(size_t index) {
  const JsonValue* value = LookupAt(index);
  if (value == nullptr) return common::Decimal();
  return ReadDecimal(*value, "[" + std::to_string(index) + "]",
                     DecimalKind::kAmount)
      .value_or(common::Decimal());
}

}  // namespace cryptotracker::pricing::parsers
