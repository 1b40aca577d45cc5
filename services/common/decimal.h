// Exact fixed-point decimal numbers for prices, quantities and money.
//
// A Decimal is a signed 128-bit integer count of 10^-18 units, so every value
// with at most 18 fractional digits and a magnitude below about 1.7e20 is held
// exactly. That covers every price and quantity an exchange publishes (they
// use at most 8 to 18 decimals) and every realistic market capitalisation.
// Nothing in this file goes through binary floating point except ToDouble(),
// which exists for statistics only.
//
// Range: the representable values are symmetric, [-Max(), Max()] with
// Max() = (2^127 - 1) * 10^-18, so negation and absolute value never
// overflow. The one 128-bit pattern below -Max() is never produced.
//
// Rounding: every operation whose exact result needs more than 18 fractional
// digits (Multiply, Divide, Round, ToStringFixed) rounds half to even
// ("banker's rounding"), which has no upward bias when many rounded values
// are summed. Every operation that could leave the range reports it instead
// of wrapping.
#ifndef CRYPTOTRACKER_COMMON_DECIMAL_H_
#define CRYPTOTRACKER_COMMON_DECIMAL_H_

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cryptotracker::common {

class Decimal {
 public:
  // Number of fractional decimal digits every value carries.
  static constexpr int kScale = 18;
  // 10^kScale: the raw value of Decimal 1.
  static constexpr __int128 kOneRaw = 1'000'000'000'000'000'000;
  // Raw value of Max(): 2^127 - 1.
  static constexpr __int128 kMaxRaw =
      static_cast<__int128>((static_cast<unsigned __int128>(1) << 127) - 1);
  // Inputs longer than this are rejected by Parse before any work is done;
  // no valid decimal in range needs more than a few dozen characters.
  static constexpr size_t kMaxTextLength = 256;

  // Zero.
  constexpr Decimal() = default;

  // The value n exactly; every int64_t fits.
  static constexpr Decimal FromInteger(int64_t n) {
    return Decimal(static_cast<__int128>(n) * kOneRaw);
  }
  // The value raw * 10^-18. Fails with OUT_OF_RANGE for the single raw
  // pattern below -Max().
  static absl::StatusOr<Decimal> FromRaw(__int128 raw);
  static constexpr Decimal Max() { return Decimal(kMaxRaw); }
  static constexpr Decimal Min() { return Decimal(-kMaxRaw); }

  // Parses the decimal text exchanges send:
  //   ["+"|"-"] digits ["." digits] [("e"|"E") ["+"|"-"] digits]
  // e.g. "123.45", "-0.0001", "+7", "1e-8", "1.5E+3". There must be at least
  // one digit on each side of a ".". Whitespace, thousands separators, hex,
  // "NaN" and "Inf" are rejected with INVALID_ARGUMENT. A value with a
  // non-zero digit below 10^-18 is rejected with INVALID_ARGUMENT ("more than
  // 18 fractional digits") rather than silently rounded; trailing zeros past
  // the 18th fractional digit are accepted because they do not change the
  // value. A value outside [Min(), Max()] fails with OUT_OF_RANGE. "-0" is
  // zero.
  static absl::StatusOr<Decimal> Parse(std::string_view text);

  // Like Parse, but digits below 10^-18 are rounded half to even instead of
  // rejected. Only for numbers that were binary floating point at their
  // source (JSON numbers of a data aggregator), where 17 significant digits
  // of a tiny value can spill past the 18th decimal; exchange prices, which
  // are decimal at the source, go through Parse.
  static absl::StatusOr<Decimal> ParseAndRound(std::string_view text);

  // Converts a statistic computed in floating point (an indicator value, a
  // percentage) to a Decimal for presentation, rounded to
  // `fractional_digits` (0..18) from the exact binary value of `value`.
  // INVALID_ARGUMENT for NaN, infinities or a digit count out of range;
  // OUT_OF_RANGE when the value does not fit. Never use it for money that
  // did not already come from a double.
  static absl::StatusOr<Decimal> FromDouble(double value,
                                            int fractional_digits);

  // Canonical text: optional "-", integer digits, and a "." with fractional
  // digits only when the value has any, without trailing zeros and never in
  // exponent form: "0", "-0.0001", "64250.12". Parse(ToString()) == *this.
  std::string ToString() const;

  // Text with exactly `fractional_digits` digits after the "." (none and no
  // "." when 0), rounded half to even: 2.345 with 2 digits is "2.34", 2.355
  // is "2.36". `fractional_digits` is clamped to 0..18. A negative value
  // that rounds to zero prints without a sign.
  std::string ToStringFixed(int fractional_digits) const;

  // Arithmetic. Add and Subtract are exact. Multiply and Divide round the
  // exact result half to even to 18 fractional digits. All fail with
  // OUT_OF_RANGE when the result leaves [Min(), Max()]; Divide fails with
  // INVALID_ARGUMENT when `divisor` is zero.
  absl::StatusOr<Decimal> Add(Decimal other) const;
  absl::StatusOr<Decimal> Subtract(Decimal other) const;
  absl::StatusOr<Decimal> Multiply(Decimal other) const;
  absl::StatusOr<Decimal> Divide(Decimal divisor) const;

  // Rounds half to even to `fractional_digits` (0..18; INVALID_ARGUMENT
  // otherwise). OUT_OF_RANGE only when rounding Max() or Min() upwards in
  // magnitude.
  absl::StatusOr<Decimal> Round(int fractional_digits) const;

  // Never overflow thanks to the symmetric range.
  Decimal Negated() const { return Decimal(-raw_); }
  Decimal Abs() const { return raw_ < 0 ? Negated() : *this; }

  bool IsZero() const { return raw_ == 0; }
  bool IsNegative() const { return raw_ < 0; }
  bool IsPositive() const { return raw_ > 0; }
  // -1, 0 or 1.
  int Sign() const { return raw_ < 0 ? -1 : (raw_ > 0 ? 1 : 0); }

  // Value in units of 10^-18.
  constexpr __int128 raw() const { return raw_; }

  // The double nearest to the exact value (correctly rounded). Only for
  // statistics such as indicators and volatility, whose inputs are averaged,
  // logged and square-rooted anyway and whose results are estimates, never
  // stored or summed as money. Do not convert back and treat the result as
  // exact.
  double ToDouble() const;

  friend constexpr bool operator==(Decimal a, Decimal b) = default;
  friend constexpr std::strong_ordering operator<=>(Decimal a, Decimal b) {
    return a.raw_ <=> b.raw_;
  }

 private:
  enum class ExcessDigits { kReject, kRoundHalfEven };

  constexpr explicit Decimal(__int128 raw) : raw_(raw) {}
  static absl::StatusOr<Decimal> ParseImpl(std::string_view text,
                                           ExcessDigits excess);

  __int128 raw_ = 0;
};

// For test failure messages and logs: prints ToString().
std::ostream& operator<<(std::ostream& os, Decimal value);

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_COMMON_DECIMAL_H_
