#include "services/pricing-service/contract/proto_convert.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "services/common/errors.h"

namespace cryptotracker::pricing::contract {
namespace {

// 9999-12-31T23:59:59Z, the largest time RFC 3339 can write.
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

v1::PriceDerivation DerivationToProto(market::Derivation derivation) {
  switch (derivation) {
    case market::Derivation::kDirect:
      return v1::PRICE_DERIVATION_DIRECT;
    case market::Derivation::kStablecoin:
      return v1::PRICE_DERIVATION_STABLECOIN;
    case market::Derivation::kCrossRate:
      return v1::PRICE_DERIVATION_CROSS_RATE;
  }
  return v1::PRICE_DERIVATION_UNSPECIFIED;
}

}  // namespace

void SetTimestamp(int64_t time_ms, google::protobuf::Timestamp* out) {
  int64_t seconds = time_ms / 1000;
  int64_t millis = time_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(millis * 1'000'000));
}

int64_t TimestampMillis(const google::protobuf::Timestamp& timestamp,
                        std::string_view field) {
  if (timestamp.seconds() < 0 || timestamp.seconds() > kMaxTimestampSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() >= 1'000'000'000) {
    throw common::ValidationError(
        std::string(field),
        "must be a valid time between 1970-01-01 and 9999-12-31");
  }
  return timestamp.seconds() * 1000 + timestamp.nanos() / 1'000'000;
}

std::string DecimalText(const std::optional<common::Decimal>& value) {
  return value.has_value() ? value->ToString() : std::string();
}

void FillPrice(const market::QuotedPrice& price, v1::Price* out) {
  out->set_symbol(price.symbol);
  out->set_quote(std::string(market::QuoteCurrencyName(price.quote)));
  out->set_pair(price.pair);
  out->set_derivation(DerivationToProto(price.derivation));
  out->set_via(price.via);
  out->set_last_price(price.last_price.ToString());
  out->set_open_24h(DecimalText(price.open_24h));
  out->set_high_24h(DecimalText(price.high_24h));
  out->set_low_24h(DecimalText(price.low_24h));
  out->set_change_24h(DecimalText(price.change_24h));
  out->set_change_percent_24h(DecimalText(price.change_percent_24h));
  out->set_volume_24h(DecimalText(price.volume_24h));
  out->set_quote_volume_24h(DecimalText(price.quote_volume_24h));
  out->set_source(price.source);
  SetTimestamp(price.update_time_ms, out->mutable_update_time());
  out->set_stale(price.stale);
}

void FillCandle(const domain::Candle& candle, v1::Candle* out) {
  SetTimestamp(candle.open_time_ms, out->mutable_open_time());
  SetTimestamp(candle.close_time_ms(), out->mutable_close_time());
  out->set_open(candle.open.ToString());
  out->set_high(candle.high.ToString());
  out->set_low(candle.low.ToString());
  out->set_close(candle.close.ToString());
  out->set_volume(candle.volume.ToString());
  out->set_quote_volume(candle.quote_volume.ToString());
  out->set_trade_count(static_cast<int32_t>(std::min<int64_t>(
      candle.trade_count, std::numeric_limits<int32_t>::max())));
  out->set_closed(candle.closed);
}

void AppendCandleField(const domain::Candle& candle, std::string* out) {
  v1::Candle message;
  FillCandle(candle, &message);
  // Wire type 2 (length-delimited); tag and length as base-128 varints.
  const auto append_varint = [out](uint64_t value) {
    while (value >= 0x80) {
      out->push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out->push_back(static_cast<char>(value));
  };
  append_varint((uint64_t{v1::GetCandlesResponse::kCandlesFieldNumber} << 3) |
                2);
  append_varint(message.ByteSizeLong());
  message.AppendToString(out);
}

domain::Interval IntervalFromProto(v1::Interval interval) {
  switch (interval) {
    case v1::INTERVAL_1M:
      return domain::Interval::k1m;
    case v1::INTERVAL_5M:
      return domain::Interval::k5m;
    case v1::INTERVAL_15M:
      return domain::Interval::k15m;
    case v1::INTERVAL_1H:
      return domain::Interval::k1h;
    case v1::INTERVAL_4H:
      return domain::Interval::k4h;
    case v1::INTERVAL_1D:
      return domain::Interval::k1d;
    case v1::INTERVAL_UNSPECIFIED:
      throw common::ValidationError(
          "interval",
          "is required (INTERVAL_1M, INTERVAL_5M, INTERVAL_15M, "
          "INTERVAL_1H, INTERVAL_4H or INTERVAL_1D)");
    default:
      break;
  }
  throw common::ValidationError(
      "interval",
      "unknown interval; expected INTERVAL_1M, INTERVAL_5M, "
      "INTERVAL_15M, INTERVAL_1H, INTERVAL_4H or INTERVAL_1D");
}

std::string NormaliseSymbol(std::string_view symbol, std::string_view field) {
  if (symbol.empty() || symbol.size() > 20) {
    throw common::ValidationError(std::string(field),
                                  "must be 1 to 20 letters or digits");
  }
  std::string upper(symbol);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      throw common::ValidationError(std::string(field),
                                    "must be 1 to 20 letters or digits");
    }
  }
  return upper;
}

std::vector<size_t> ResolveSymbols(
    const google::protobuf::RepeatedPtrField<std::string>& symbols,
    const market::MarketState& market) {
  std::vector<size_t> indices;
  if (symbols.empty()) {
    for (size_t i = 0; i < market.assets().size(); ++i) indices.push_back(i);
    return indices;
  }
  if (symbols.size() > kMaxSymbols) {
    throw common::ValidationError("symbols",
                                  "at most " + std::to_string(kMaxSymbols) +
                                      " symbols per request, got " +
                                      std::to_string(symbols.size()));
  }
  absl::flat_hash_set<size_t> seen;
  for (int i = 0; i < symbols.size(); ++i) {
    const std::string symbol =
        NormaliseSymbol(symbols[i], "symbols[" + std::to_string(i) + "]");
    const std::optional<size_t> index = market.FindAsset(symbol);
    if (!index.has_value()) {
      // `symbol` passed the format check, so echoing it is safe.
      throw common::StatusException(
          common::NotFound("symbol " + symbol + " is not tracked"));
    }
    if (seen.insert(*index).second) indices.push_back(*index);
  }
  return indices;
}

market::QuoteCurrency QuoteFromRequest(std::string_view quote) {
  absl::StatusOr<market::QuoteCurrency> parsed =
      market::ParseQuoteCurrency(quote);
  if (!parsed.ok()) {
    throw common::ValidationError("quote",
                                  "unknown quote currency; expected USD, EUR "
                                  "or BTC");
  }
  return *parsed;
}

}  // namespace cryptotracker::pricing::contract
