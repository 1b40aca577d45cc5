#include "services/pricing-service/market/quotes.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cryptotracker::pricing::market {
namespace {

constexpr common::Decimal kHundred = common::Decimal::FromInteger(100);

absl::StatusOr<common::Decimal> DivideRounded(common::Decimal value,
                                              common::Decimal divisor,
                                              int digits) {
  absl::StatusOr<common::Decimal> quotient = value.Divide(divisor);
  if (!quotient.ok()) return quotient.status();
  return quotient->Round(digits);
}

absl::StatusOr<std::optional<common::Decimal>> DivideOptional(
    const std::optional<common::Decimal>& value, common::Decimal divisor,
    int digits) {
  if (!value.has_value()) return std::optional<common::Decimal>();
  absl::StatusOr<common::Decimal> result =
      DivideRounded(*value, divisor, digits);
  if (!result.ok()) return result.status();
  return std::optional<common::Decimal>(*result);
}

// change and change percent from open and last, when open is known.
absl::Status FillChange(QuotedPrice& price) {
  if (!price.open_24h.has_value()) return absl::OkStatus();
  absl::StatusOr<common::Decimal> change =
      price.last_price.Subtract(*price.open_24h);
  if (!change.ok()) return change.status();
  price.change_24h = *change;
  if (price.open_24h->IsZero()) return absl::OkStatus();
  absl::StatusOr<common::Decimal> percent =
      PercentChange(*price.open_24h, price.last_price);
  if (!percent.ok()) return percent.status();
  price.change_percent_24h = *percent;
  return absl::OkStatus();
}

void WidenRange(QuotedPrice& price) {
  if (!price.high_24h.has_value() || !price.low_24h.has_value()) return;
  for (const std::optional<common::Decimal>& value :
       {std::optional<common::Decimal>(price.last_price), price.open_24h}) {
    if (!value.has_value()) continue;
    if (*value > *price.high_24h) price.high_24h = *value;
    if (*value < *price.low_24h) price.low_24h = *value;
  }
}

}  // namespace

absl::StatusOr<common::Decimal> PercentChange(common::Decimal from,
                                              common::Decimal to) {
  absl::StatusOr<common::Decimal> change = to.Subtract(from);
  if (!change.ok()) return change.status();
  absl::StatusOr<common::Decimal> scaled = change->Multiply(kHundred);
  if (!scaled.ok()) return scaled.status();
  return DivideRounded(*scaled, from, kPercentDigits);
}

absl::StatusOr<QuoteCurrency> ParseQuoteCurrency(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper.empty() || upper == "USD") return QuoteCurrency::kUsd;
  if (upper == "EUR") return QuoteCurrency::kEur;
  if (upper == "BTC") return QuoteCurrency::kBtc;
  return absl::InvalidArgumentError(
      "unknown quote currency; expected USD, EUR or BTC");
}

std::string_view QuoteCurrencyName(QuoteCurrency quote) {
  switch (quote) {
    case QuoteCurrency::kUsd:
      return "USD";
    case QuoteCurrency::kEur:
      return "EUR";
    case QuoteCurrency::kBtc:
      return "BTC";
  }
  return "USD";
}

absl::StatusOr<QuotedPrice> QuotePrice(std::string_view symbol,
                                       const InstrumentState& asset_state,
                                       QuoteCurrency quote,
                                       const InstrumentState* rate,
                                       const MarketState& market,
                                       int64_t now_ms) {
  QuotedPrice price;
  price.symbol = std::string(symbol);
  price.quote = quote;
  price.pair = asset_state.pair;
  price.source = asset_state.source;
  price.update_time_ms = asset_state.source_time_ms;
  price.stale = market.IsStale(asset_state, now_ms);
  price.volume_24h = asset_state.base_volume_24h;

  if (quote == QuoteCurrency::kUsd) {
    price.derivation = Derivation::kStablecoin;
    price.via = "USDT";
    price.last_price = asset_state.last_price;
    price.open_24h = asset_state.open_24h;
    price.high_24h = asset_state.high_24h;
    price.low_24h = asset_state.low_24h;
    price.quote_volume_24h = asset_state.quote_volume_24h;
    if (absl::Status s = FillChange(price); !s.ok()) return s;
    return price;
  }

  if (quote == QuoteCurrency::kBtc && asset_state.pair == kBtcRatePair) {
    // One bitcoin is one bitcoin, whatever BTCUSDT does.
    const common::Decimal one = common::Decimal::FromInteger(1);
    price.derivation = Derivation::kDirect;
    price.last_price = one;
    if (asset_state.open_24h.has_value()) {
      price.open_24h = price.high_24h = price.low_24h = one;
    }
    price.quote_volume_24h = asset_state.base_volume_24h;
    if (absl::Status s = FillChange(price); !s.ok()) return s;
    return price;
  }

  if (rate == nullptr || !rate->last_price.IsPositive()) {
    return absl::UnavailableError(
        absl::StrCat("no ", std::string(QuoteCurrencyName(quote)),
                     " exchange rate received yet"));
  }
  const int digits = quote == QuoteCurrency::kEur ? kEurDigits : kBtcDigits;
  price.derivation = Derivation::kCrossRate;
  price.via = "USDT";
  price.stale = price.stale || market.IsStale(*rate, now_ms);
  // The older of the two inputs dates the derived price.
  if (rate->source_time_ms < price.update_time_ms) {
    price.update_time_ms = rate->source_time_ms;
  }
  const common::Decimal rate_now = rate->last_price;
  const common::Decimal rate_open = rate->open_24h.value_or(rate_now);
  absl::StatusOr<common::Decimal> last =
      DivideRounded(asset_state.last_price, rate_now, digits);
  if (!last.ok()) return last.status();
  price.last_price = *last;
  struct Conversion {
    const std::optional<common::Decimal>& from;
    common::Decimal rate;
    std::optional<common::Decimal>& to;
  };
  for (const Conversion& c : {
           Conversion{asset_state.open_24h, rate_open, price.open_24h},
           Conversion{asset_state.high_24h, rate_now, price.high_24h},
           Conversion{asset_state.low_24h, rate_now, price.low_24h},
           Conversion{asset_state.quote_volume_24h, rate_now,
                      price.quote_volume_24h},
       }) {
    absl::StatusOr<std::optional<common::Decimal>> converted =
        DivideOptional(c.from, c.rate, digits);
    if (!converted.ok()) return converted.status();
    c.to = *converted;
  }
  WidenRange(price);
  if (absl::Status s = FillChange(price); !s.ok()) return s;
  return price;
}

absl::StatusOr<QuotedPrice> QuoteAsset(const MarketState& market,
                                       size_t asset_index, QuoteCurrency quote,
                                       int64_t now_ms) {
  const auto state = market.AssetState(asset_index);
  if (state == nullptr || asset_index >= market.assets().size()) {
    return absl::UnavailableError("no price received yet");
  }
  std::shared_ptr<const InstrumentState> rate;
  if (quote == QuoteCurrency::kEur) rate = market.EurRate();
  if (quote == QuoteCurrency::kBtc) rate = market.BtcRate();
  return QuotePrice(market.assets()[asset_index].symbol, *state, quote,
                    rate.get(), market, now_ms);
}

}  // namespace cryptotracker::pricing::market
