// Conversions between the service's types and the pricing contract.
#ifndef CRYPTOTRACKER_PRICING_HANDLER_PROTO_CONVERT_H_
#define CRYPTOTRACKER_PRICING_HANDLER_PROTO_CONVERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cryptotracker/pricing/v1/pricing_service.pb.h"
#include "services/common/decimal.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/domain/interval.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/quotes.h"

namespace cryptotracker::pricing::contract {

namespace v1 = ::cryptotracker::pricing::v1;

// At most this many symbols per GetPrices/StreamPrices request.
inline constexpr int kMaxSymbols = 100;

void SetTimestamp(int64_t time_ms, google::protobuf::Timestamp* out);
// Milliseconds since the epoch of a timestamp; throws
// common::ValidationError(field) unless it lies in years 1970..9999 with
// nanos in [0, 1e9).
int64_t TimestampMillis(const google::protobuf::Timestamp& timestamp,
                        std::string_view field);

// "" for an absent value.
std::string DecimalText(const std::optional<common::Decimal>& value);

void FillPrice(const market::QuotedPrice& price, v1::Price* out);
void FillCandle(const domain::Candle& candle, v1::Candle* out);
// Appends `candle` encoded as one element of GetCandlesResponse.candles (tag,
// length, Candle message): a GetCandlesResponse without candles followed by
// such elements is the encoding of the response holding them.
void AppendCandleField(const domain::Candle& candle, std::string* out);

// The domain interval of a contract interval; throws ValidationError
// ("interval") for UNSPECIFIED and unknown values.
domain::Interval IntervalFromProto(v1::Interval interval);

// Upper-cased symbol; throws ValidationError(field) unless it is 1 to 20
// characters of A-Z and 0-9 (case-insensitive).
std::string NormaliseSymbol(std::string_view symbol, std::string_view field);

// Validates and resolves the symbols of GetPrices/StreamPrices: at most
// kMaxSymbols, each well-formed (INVALID_ARGUMENT) and tracked (NOT_FOUND
// naming the first unknown one), duplicates dropped, request order kept.
// Empty means every tracked asset, by rank.
std::vector<size_t> ResolveSymbols(
    const google::protobuf::RepeatedPtrField<std::string>& symbols,
    const market::MarketState& market);

// Parses a quote currency; throws ValidationError("quote").
market::QuoteCurrency QuoteFromRequest(std::string_view quote);

}  // namespace cryptotracker::pricing::contract

#endif  // CRYPTOTRACKER_PRICING_HANDLER_PROTO_CONVERT_H_
