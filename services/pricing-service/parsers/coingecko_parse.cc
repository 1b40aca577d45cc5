#include "services/pricing-service/parsers/coingecko_parse.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/pricing-service/parsers/json_reader.h"

namespace cryptotracker::pricing::parsers {
namespace {

// Reads exactly `count` digits at `pos`.
std::optional<int> Digits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool CharAt(std::string_view text, size_t pos, char expected) {
  return pos < text.size() && text[pos] == expected;
}

ParseResult<CoinMarket> ParseCoin(const JsonValue& value, std::string path) {
  FieldReader reader(value, std::move(path), DecimalEncoding::kNumber);
  CoinMarket coin;
  std::optional<std::string> last_updated;
  if (reader.ExpectObject()) {
    coin.id = reader.NonEmptyString("id", 100);
    coin.symbol = reader.NonEmptyString("symbol", 32);
    coin.name = reader.NonEmptyString("name", 200);
    coin.image = reader.OptionalString("image").value_or("");
    coin.current_price = reader.Price("current_price");
    coin.market_cap = reader.OptionalAmount("market_cap");
    coin.market_cap_rank = reader.OptionalInteger("market_cap_rank");
    coin.total_volume = reader.OptionalAmount("total_volume");
    coin.high_24h = reader.OptionalPrice("high_24h");
    coin.low_24h = reader.OptionalPrice("low_24h");
    coin.price_change_percentage_24h =
        reader.OptionalSigned("price_change_percentage_24h");
    coin.circulating_supply = reader.OptionalAmount("circulating_supply");
    last_updated = reader.OptionalString("last_updated");
  }
  if (reader.ok() && coin.market_cap_rank.has_value() &&
      *coin.market_cap_rank < 1) {
    reader.Fail(ParseErrorReason::kInvalidField, "market_cap_rank",
                "must be at least 1");
  }
  if (reader.ok() && coin.high_24h.has_value() && coin.low_24h.has_value() &&
      *coin.high_24h < *coin.low_24h) {
    reader.Fail(ParseErrorReason::kInconsistentOhlc, "high_24h",
                "below low_24h");
  }
  if (reader.ok() && last_updated.has_value()) {
    coin.last_updated_ms = ParseIso8601UtcMillis(*last_updated);
    if (!coin.last_updated_ms.has_value() ||
        *coin.last_updated_ms < kMinTimestampMs ||
        *coin.last_updated_ms > kMaxTimestampMs) {
      reader.Fail(ParseErrorReason::kInvalidTimestamp, "last_updated",
                  "expected an ISO 8601 UTC time between 2009 and 2100");
    }
  }
  if (!reader.ok()) return reader.TakeError();
  return coin;
}

}  // namespace

std::optional<int64_t> ParseIso8601UtcMillis(std::string_view text) {
  const std::optional<int> year = Digits(text, 0, 4);
  const std::optional<int> month = Digits(text, 5, 2);
  const std::optional<int> day = Digits(text, 8, 2);
  const std::optional<int> hour = Digits(text, 11, 2);
  const std::optional<int> minute = Digits(text, 14, 2);
  const std::optional<int> second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second ||
      !CharAt(text, 4, '-') || !CharAt(text, 7, '-') ||
      !CharAt(text, 10, 'T') || !CharAt(text, 13, ':') ||
      !CharAt(text, 16, ':')) {
    return std::nullopt;
  }
  size_t pos = 19;
  int millis = 0;
  if (CharAt(text, pos, '.')) {
    ++pos;
    size_t fraction_digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (fraction_digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++fraction_digits;
      ++pos;
    }
    if (fraction_digits == 0 || fraction_digits > 9) return std::nullopt;
    for (size_t i = fraction_digits; i < 3; ++i) millis *= 10;
  }
  if (!CharAt(text, pos, 'Z') || pos + 1 != text.size()) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  // CivilDay normalises overflowing days (Feb 30 -> Mar 1); reject those.
  const absl::CivilDay civil_day(*year, *month, *day);
  if (civil_day.day() != *day || civil_day.month() != *month) {
    return std::nullopt;
  }
  const absl::CivilSecond civil(*year, *month, *day, *hour, *minute, *second);
  return absl::ToUnixMillis(absl::FromCivil(civil, absl::UTCTimeZone())) +
         millis;
}

ParseResult<Batch<CoinMarket>> ParseCoinsMarkets(std::string_view body) {
  ParseResult<JsonValue> document = ParseJson(body);
  if (!document.ok()) return document.error();
  if (document->type() != JsonValue::Type::kArray) {
    return ParseError{ParseErrorReason::kWrongType,
                      "$: expected an array of coins, got " +
                          std::string(JsonTypeName(document->type()))};
  }
  Batch<CoinMarket> batch;
  const std::vector<JsonValue>& coins = document->array();
  for (size_t i = 0; i < coins.size(); ++i) {
    ParseResult<CoinMarket> coin =
        ParseCoin(coins[i], "[" + std::to_string(i) + "]");
    if (coin.ok()) {
      batch.items.push_back(std::move(coin).value());
    } else {
      batch.rejected.push_back(ItemError{i, coin.error()});
    }
  }
  return batch;
}

}  // namespace cryptotracker::pricing::parsers
