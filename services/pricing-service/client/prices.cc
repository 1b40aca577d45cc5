#include "services/pricing-service/client/prices.h"

#include <utility>

namespace cryptotracker::pricing::client {
namespace {

// Parses one decimal field; `what` names it in the error ("BTC last_price").
absl::Status ParseInto(const std::string& text, std::string_view what,
                       Decimal* out) {
  absl::StatusOr<Decimal> value = Decimal::Parse(text);
  if (!value.ok()) {
    return absl::InvalidArgumentError(
        "pricing-service sent a malformed " + std::string(what) + " '" +
        text.substr(0, 40) + "': " + std::string(value.status().message()));
  }
  *out = *value;
  return absl::OkStatus();
}

struct DecimalField {
  std::string_view name;
  const std::string& text;
  Decimal* out;
};

// Every field, or the first malformed one's error; `prefix` + name says
// which value it was ("BTC last_price").
template <std::size_t N>
absl::Status ParseAll(const DecimalField (&fields)[N],
                      const std::string& prefix) {
  for (const DecimalField& field : fields) {
    absl::Status parsed =
        ParseInto(field.text, prefix + std::string(field.name), field.out);
    if (!parsed.ok()) return parsed;
  }
  return absl::OkStatus();
}

}  // namespace

TimePoint FromProtoTime(const google::protobuf::Timestamp& timestamp) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(timestamp.seconds()) +
      std::chrono::nanoseconds(timestamp.nanos())));
}

google::protobuf::Timestamp ToProtoTime(TimePoint time) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(
      time.time_since_epoch());
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds.count());
  timestamp.set_nanos(static_cast<int32_t>((since_epoch - seconds).count()));
  return timestamp;
}

int64_t ToUnixMillis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             time.time_since_epoch())
      .count();
}

absl::StatusOr<Price> PriceFromProto(const v1::Price& proto) {
  Price price;
  price.symbol = proto.symbol();
  price.quote = proto.quote();
  price.pair = proto.pair();
  price.derivation = proto.derivation();
  price.via = proto.via();
  price.source = proto.source();
  price.update_time = FromProtoTime(proto.update_time());
  price.stale = proto.stale();
  const DecimalField fields[] = {
      {"last_price", proto.last_price(), &price.last},
      {"open_24h", proto.open_24h(), &price.open_24h},
      {"high_24h", proto.high_24h(), &price.high_24h},
      {"low_24h", proto.low_24h(), &price.low_24h},
      {"change_24h", proto.change_24h(), &price.change_24h},
      {"volume_24h", proto.volume_24h(), &price.volume_24h},
      {"quote_volume_24h", proto.quote_volume_24h(), &price.quote_volume_24h},
  };
  absl::Status parsed = ParseAll(fields, proto.symbol() + " ");
  if (!parsed.ok()) return parsed;
  if (!proto.change_percent_24h().empty()) {
    Decimal percent;
    parsed = ParseInto(proto.change_percent_24h(),
                       proto.symbol() + " change_percent_24h", &percent);
    if (!parsed.ok()) return parsed;
    price.change_percent_24h = percent;
  }
  return price;
}

absl::StatusOr<Candle> CandleFromProto(const v1::Candle& proto) {
  Candle candle;
  candle.open_time = FromProtoTime(proto.open_time());
  candle.close_time = FromProtoTime(proto.close_time());
  candle.trade_count = proto.trade_count();
  candle.closed = proto.closed();
  const DecimalField fields[] = {
      {"open", proto.open(), &candle.open},
      {"high", proto.high(), &candle.high},
      {"low", proto.low(), &candle.low},
      {"close", proto.close(), &candle.close},
      {"volume", proto.volume(), &candle.volume},
      {"quote_volume", proto.quote_volume(), &candle.quote_volume},
  };
  absl::Status parsed = ParseAll(fields, "candle ");
  if (!parsed.ok()) return parsed;
  return candle;
}

absl::StatusOr<CandleSeries> CandleSeriesFromProto(
    const v1::GetCandlesResponse& proto) {
  CandleSeries series;
  series.symbol = proto.symbol();
  series.quote = proto.quote();
  series.pair = proto.pair();
  series.interval = proto.interval();
  series.candles.reserve(proto.candles_size());
  for (const v1::Candle& candle : proto.candles()) {
    absl::StatusOr<Candle> typed = CandleFromProto(candle);
    if (!typed.ok()) {
      return absl::InvalidArgumentError(proto.symbol() + ": " +
                                        std::string(typed.status().message()));
    }
    series.candles.push_back(*std::move(typed));
  }
  return series;
}

std::optional<Interval> ParseInterval(std::string_view text) {
  static constexpr std::pair<std::string_view, Interval> kShortNames[] = {
      {"1m", v1::INTERVAL_1M},   {"5m", v1::INTERVAL_5M},
      {"15m", v1::INTERVAL_15M}, {"1h", v1::INTERVAL_1H},
      {"4h", v1::INTERVAL_4H},   {"1d", v1::INTERVAL_1D},
  };
  for (const auto& [name, interval] : kShortNames) {
    if (text == name) return interval;
  }
  Interval parsed;
  if (v1::Interval_Parse(std::string(text), &parsed) &&
      parsed != v1::INTERVAL_UNSPECIFIED) {
    return parsed;
  }
  return std::nullopt;
}

}  // namespace cryptotracker::pricing::client
