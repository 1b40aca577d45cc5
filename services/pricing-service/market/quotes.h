// Prices in the quote currencies of the API (USD, EUR, BTC), computed
// exactly with Decimal from the USDT pairs the exchange publishes.
//
//   USD: the asset's USDT pair taken at par (derivation STABLECOIN via USDT).
//   EUR: cross rate through USDT: ASSETUSDT / EURUSDT (CROSS_RATE via USDT).
//   BTC: cross rate through USDT: ASSETUSDT / BTCUSDT (CROSS_RATE via USDT);
//        BTC itself in BTC is exactly 1 (DIRECT).
//
// Cross-rate 24-hour statistics: the last price uses the rate's last price
// and the 24h open the rate's own 24h open (when known), so that the change
// includes the move of the quote currency; high and low use the current
// rate and are widened to contain open and last, because the exact extremes
// of a ratio of two series cannot be recovered from their separate
// extremes.
#ifndef CRYPTOTRACKER_PRICING_MARKET_QUOTES_H_
#define CRYPTOTRACKER_PRICING_MARKET_QUOTES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/common/decimal.h"
#include "services/pricing-service/market/market_state.h"

namespace cryptotracker::pricing::market {

enum class QuoteCurrency { kUsd, kEur, kBtc };

// "" (the default, USD), "USD", "EUR" or "BTC", case-insensitive; anything
// else is INVALID_ARGUMENT naming the accepted values.
absl::StatusOr<QuoteCurrency> ParseQuoteCurrency(std::string_view text);
std::string_view QuoteCurrencyName(QuoteCurrency quote);

enum class Derivation { kDirect, kStablecoin, kCrossRate };

// Fractional digits kept for derived (divided) amounts: enough for the
// smallest coins in BTC (SHIB is about 1e-10 BTC) without inventing digits.
inline constexpr int kEurDigits = 10;
inline constexpr int kBtcDigits = 14;
// Percentages are shown with two decimals ("-2.35").
inline constexpr int kPercentDigits = 2;

// (to - from) / from in percent, kPercentDigits decimals. INVALID_ARGUMENT
// when from is zero; OUT_OF_RANGE on overflow.
absl::StatusOr<common::Decimal> PercentChange(common::Decimal from,
                                              common::Decimal to);

// One asset's price and 24-hour statistics in one quote currency. Optional
// amounts are absent when the source has not reported them (no 24h ticker
// yet) or they cannot be computed (change percent of a zero open).
struct QuotedPrice {
  std::string symbol;
  QuoteCurrency quote = QuoteCurrency::kUsd;
  std::string pair;
  Derivation derivation = Derivation::kStablecoin;
  std::string via;
  common::Decimal last_price;
  std::optional<common::Decimal> open_24h;
  std::optional<common::Decimal> high_24h;
  std::optional<common::Decimal> low_24h;
  std::optional<common::Decimal> change_24h;
  std::optional<common::Decimal> change_percent_24h;
  std::optional<common::Decimal> volume_24h;
  std::optional<common::Decimal> quote_volume_24h;
  std::string source;
  int64_t update_time_ms = 0;
  bool stale = false;
};

// Converts `asset_state` (the asset's USDT pair) into `quote`. `rate` is the
// EURUSDT state for EUR, the BTCUSDT state for BTC and ignored for USD.
// UNAVAILABLE when a required rate has no price yet; OUT_OF_RANGE if an
// amount does not fit a Decimal. The result is stale when the asset's or
// the rate's price is.
absl::StatusOr<QuotedPrice> QuotePrice(std::string_view symbol,
                                       const InstrumentState& asset_state,
                                       QuoteCurrency quote,
                                       const InstrumentState* rate,
                                       const MarketState& market,
                                       int64_t now_ms);

// Convenience over MarketState: the latest price of asset `asset_index` in
// `quote`. NOT_FOUND-free: UNAVAILABLE when the asset (or the rate) has no
// price yet.
absl::StatusOr<QuotedPrice> QuoteAsset(const MarketState& market,
                                       size_t asset_index, QuoteCurrency quote,
                                       int64_t now_ms);

}  // namespace cryptotracker::pricing::market

#endif  // CRYPTOTRACKER_PRICING_MARKET_QUOTES_H_
