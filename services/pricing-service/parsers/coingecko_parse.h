// Parser for the CoinGecko GET /coins/markets response.
//
// CoinGecko sends prices and volumes as JSON numbers, produced from binary
// floats on its side. They are read from their exact token text (see
// json_reader.h), never through a double of ours, and digits beyond the
// 18th decimal, which only a float can produce, are rounded half to even.
#ifndef CRYPTOTRACKER_PRICING_PARSERS_COINGECKO_PARSE_H_
#define CRYPTOTRACKER_PRICING_PARSERS_COINGECKO_PARSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "services/common/decimal.h"
#include "services/pricing-service/parsers/parse_result.h"

namespace cryptotracker::pricing::parsers {

// One element of the /coins/markets array. CoinGecko reports null for
// statistics it does not have (dead or newly listed coins); those are
// std::nullopt here.
struct CoinMarket {
  std::string id;                 // "bitcoin"
  std::string symbol;             // "btc", lower-case as CoinGecko sends it
  std::string name;               // "Bitcoin"
  std::string image;              // logo URL; empty when null or absent
  common::Decimal current_price;  // required, positive
  std::optional<common::Decimal> market_cap;  // may be 0 when unknown
  std::optional<int64_t> market_cap_rank;     // 1 = largest
  std::optional<common::Decimal> total_volume;
  std::optional<common::Decimal> high_24h;
  std::optional<common::Decimal> low_24h;
  // Percent units: -2.5 means -2.5 %.
  std::optional<common::Decimal> price_change_percentage_24h;
  std::optional<common::Decimal> circulating_supply;
  // "last_updated" as milliseconds since the epoch.
  std::optional<int64_t> last_updated_ms;
};

// The body of /coins/markets?vs_currency=usd: an array of coin objects.
// Elements with a missing/null/non-positive current_price, wrong types,
// high_24h below low_24h, a rank below 1 or an unreadable last_updated are
// skipped and reported in `rejected`; a body that is not an array fails.
ParseResult<Batch<CoinMarket>> ParseCoinsMarkets(std::string_view body);

// Parses the UTC timestamps CoinGecko uses, "2024-04-07T16:49:31.736Z":
// YYYY-MM-DDTHH:MM:SS, optionally 1 to 9 fractional digits (truncated to
// milliseconds), then "Z". Calendar-checked (no February 30th, no leap
// seconds). std::nullopt for anything else.
std::optional<int64_t> ParseIso8601UtcMillis(std::string_view text);

}  // namespace cryptotracker::pricing::parsers

#endif  // CRYPTOTRACKER_PRICING_PARSERS_COINGECKO_PARSE_H_
