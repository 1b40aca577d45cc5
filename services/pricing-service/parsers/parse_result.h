// Error values shared by the market-data payload parsers.
//
// Parsers never throw and never crash on hostile input: every failure is a
// ParseError whose reason has a stable snake_case label for a metrics
// counter (e.g. pricing_feed_rejected_total{reason="wrong_type"}) and whose
// detail names the offending field for logs.
#ifndef CRYPTOTRACKER_PRICING_PARSERS_PARSE_RESULT_H_
#define CRYPTOTRACKER_PRICING_PARSERS_PARSE_RESULT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cryptotracker::pricing::parsers {

enum class ParseErrorReason {
  // Not JSON at all, truncated, invalid UTF-8, or a repeated object key.
  kMalformedJson,
  // Document larger than the parser accepts.
  kTooLarge,
  // Nested deeper than any documented format.
  kTooDeep,
  // A field or element of the wrong JSON type, or the wrong array length.
  kWrongType,
  // A required field is absent or null.
  kMissingField,
  // A number or decimal string that is not a valid decimal.
  kInvalidNumber,
  // A price that is zero or negative.
  kNonPositivePrice,
  // A quantity or volume that is negative.
  kNegativeAmount,
  // A value far outside anything a market produces (price above 1e12,
  // volume above 1e18, integer overflow).
  kAbsurdValue,
  // A timestamp before 2009 or after 2100.
  kInvalidTimestamp,
  // A field with a well-typed but unacceptable value (malformed symbol,
  // unsupported interval, inconsistent times).
  kInvalidField,
  // High below low, or open/close outside [low, high].
  kInconsistentOhlc,
  // A well-formed event of a type this parser does not handle.
  kUnknownEvent,
  // A subscription acknowledgement or other non-market message.
  kControlMessage,
};

// "malformed_json", "too_large", "too_deep", "wrong_type", "missing_field",
// "invalid_number", "non_positive_price", "negative_amount", "absurd_value",
// "invalid_timestamp", "invalid_field", "inconsistent_ohlc",
// "unknown_event", "control_message".
std::string_view ParseErrorReasonLabel(ParseErrorReason reason);

struct ParseError {
  ParseErrorReason reason = ParseErrorReason::kMalformedJson;
  // Human-readable, names the field path, e.g. "data.p: expected a string".
  std::string detail;

  std::string_view label() const { return ParseErrorReasonLabel(reason); }
};

// Either a parsed value or a ParseError.
template <typename T>
class ParseResult {
 public:
  ParseResult(T value) : data_(std::move(value)) {}           // NOLINT
  ParseResult(ParseError error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return data_.index() == 0; }

  // Only when ok().
  const T& value() const& { return std::get<0>(data_); }
  T& value() & { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // Only when !ok().
  const ParseError& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, ParseError> data_;
};

// An element of an array response that was skipped.
struct ItemError {
  size_t index = 0;
  ParseError error;
};

// Array responses whose elements are independent (one per symbol or coin):
// a bad element is skipped and reported instead of failing the whole
// response, because one delisted coin must not hide the prices of the rest.
template <typename T>
struct Batch {
  std::vector<T> items;
  std::vector<ItemError> rejected;
};

}  // namespace cryptotracker::pricing::parsers

#endif  // CRYPTOTRACKER_PRICING_PARSERS_PARSE_RESULT_H_
