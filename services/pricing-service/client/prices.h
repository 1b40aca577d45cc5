// Typed market data as the pricing client hands it out: the contract's
// decimal strings as exact common::Decimal values, its timestamps as
// std::chrono time points. Conversion refuses a malformed value instead of
// guessing (see proto/cryptotracker/pricing/v1/pricing_service.proto).
#ifndef CRYPTOTRACKER_PRICING_CLIENT_PRICES_H_
#define CRYPTOTRACKER_PRICING_CLIENT_PRICES_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cryptotracker/pricing/v1/pricing_service.pb.h"
#include "services/common/decimal.h"

namespace cryptotracker::pricing::client {

using common::Decimal;
using Interval = ::cryptotracker::pricing::v1::Interval;
using PriceDerivation = ::cryptotracker::pricing::v1::PriceDerivation;
using TimePoint = std::chrono::system_clock::time_point;

// The latest price of one asset in one quote currency, with its 24-hour
// statistics.
struct Price {
  std::string symbol;  // "BTC"
  std::string quote;   // "USD", "EUR" or "BTC"
  std::string pair;    // the exchange pair read, e.g. "BTCUSDT"
  PriceDerivation derivation = v1::PRICE_DERIVATION_UNSPECIFIED;
  std::string via;  // "USDT" for stablecoin and cross rates, else ""
  Decimal last;
  Decimal open_24h;
  Decimal high_24h;
  Decimal low_24h;
  Decimal change_24h;
  // Empty when open_24h is zero (the contract's "").
  std::optional<Decimal> change_percent_24h;
  Decimal volume_24h;
  Decimal quote_volume_24h;
  std::string source;  // "binance"
  TimePoint update_time;
  // The server's own verdict: no update within its staleness limit.
  bool stale = false;
};

// One OHLCV candle; amounts in the series' quote currency.
struct Candle {
  TimePoint open_time;   // inclusive
  TimePoint close_time;  // exclusive
  Decimal open;
  Decimal high;
  Decimal low;
  Decimal close;
  Decimal volume;
  Decimal quote_volume;
  int32_t trade_count = 0;
  bool closed = false;  // false for the candle still forming
};

struct CandleSeries {
  std::string symbol;
  std::string quote;  // always "USD" (see the contract)
  std::string pair;
  Interval interval = v1::INTERVAL_UNSPECIFIED;
  std::vector<Candle> candles;  // ascending open_time
};

TimePoint FromProtoTime(const google::protobuf::Timestamp& timestamp);
google::protobuf::Timestamp ToProtoTime(TimePoint time);
// Milliseconds since the Unix epoch.
int64_t ToUnixMillis(TimePoint time);

// INVALID_ARGUMENT naming the field (and symbol) when a decimal string is
// malformed or a required one is empty.
absl::StatusOr<Price> PriceFromProto(const v1::Price& proto);
absl::StatusOr<Candle> CandleFromProto(const v1::Candle& proto);
absl::StatusOr<CandleSeries> CandleSeriesFromProto(
    const v1::GetCandlesResponse& proto);

// "1m", "5m", "15m", "1h", "4h", "1d" or the enum names ("INTERVAL_1H");
// nullopt for anything else.
std::optional<Interval> ParseInterval(std::string_view text);

}  // namespace cryptotracker::pricing::client

#endif  // CRYPTOTRACKER_PRICING_CLIENT_PRICES_H_
