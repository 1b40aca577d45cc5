#include "services/common/decimal.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cryptotracker::common {
namespace {

using U128 = unsigned __int128;

constexpr U128 kMaxMagnitude = static_cast<U128>(Decimal::kMaxRaw);
constexpr uint64_t kOne = static_cast<uint64_t>(Decimal::kOneRaw);

// 10^0 .. 10^38; 10^38 < 2^127 < 10^39.
constexpr int kMaxPow10 = 38;
constexpr auto kPow10 = [] {
  struct Table {
    U128 values[kMaxPow10 + 1];
  } table{};
  U128 v = 1;
  for (int i = 0; i <= kMaxPow10; ++i) {
    table.values[i] = v;
    v *= 10;
  }
  return table;
}();

U128 Pow10(int n) { return kPow10.values[n]; }

U128 Magnitude(__int128 raw) {
  // raw >= -kMaxRaw always holds for a Decimal, so this never overflows.
  return raw < 0 ? static_cast<U128>(-raw) : static_cast<U128>(raw);
}

__int128 WithSign(U128 magnitude, bool negative) {
  const auto value = static_cast<__int128>(magnitude);
  return negative ? -value : value;
}

std::string U128ToString(U128 value) {
  char buffer[40];
  char* end = buffer + sizeof(buffer);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  return std::string(p, end);
}

// "00" .. "99": formatting two digits per step with 64-bit arithmetic
// (which compilers turn into multiplications) instead of one 128-bit
// library division per digit is what makes ToString cheap enough for the
// thousands of values of a candle response.
constexpr auto kDigitPairs = [] {
  struct Table {
    char chars[200];
  } table{};
  for (int i = 0; i < 100; ++i) {
    table.chars[2 * i] = static_cast<char>('0' + i / 10);
    table.chars[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return table;
}();

// Writes `value` right-aligned so that its last digit is at end[-1], with
// at least `min_width` digits (zero-padded); returns its first character.
char* WriteDigitsBackwards(uint64_t value, int min_width, char* end) {
  char* p = end;
  while (value >= 100) {
    const auto pair = static_cast<size_t>(value % 100) * 2;
    value /= 100;
    p -= 2;
    p[0] = kDigitPairs.chars[pair];
    p[1] = kDigitPairs.chars[pair + 1];
  }
  if (value >= 10) {
    const auto pair = static_cast<size_t>(value) * 2;
    p -= 2;
    p[0] = kDigitPairs.chars[pair];
    p[1] = kDigitPairs.chars[pair + 1];
  } else {
    *--p = static_cast<char>('0' + value);
  }
  while (end - p < min_width) *--p = '0';
  return p;
}

// Appends `value` as exactly `width` digits, zero-padded on the left.
void AppendPadded(std::string& out, U128 value, int width) {
  std::string digits = U128ToString(value);
  out.append(static_cast<size_t>(width) - digits.size(), '0');
  out += digits;
}

// Half-to-even decision for quotient `q` with remainder `rem` of a division
// by `divisor`: true when q must be incremented. `rem` < `divisor` < 2^127,
// so doubling it cannot overflow.
bool RoundUpHalfEven(U128 q, U128 rem, U128 divisor) {
  const U128 twice = rem * 2;
  if (twice > divisor) return true;
  if (twice < divisor) return false;
  return (q & 1) != 0;
}

// 256-bit unsigned integer for the intermediate products of Multiply and
// Divide, which can need up to 254 bits before rescaling.
struct U256 {
  U128 hi = 0;
  U128 lo = 0;
};

U256 MultiplyWide(U128 a, U128 b) {
  const uint64_t a0 = static_cast<uint64_t>(a);
  const uint64_t a1 = static_cast<uint64_t>(a >> 64);
  const uint64_t b0 = static_cast<uint64_t>(b);
  const uint64_t b1 = static_cast<uint64_t>(b >> 64);
  const U128 p00 = static_cast<U128>(a0) * b0;
  const U128 p01 = static_cast<U128>(a0) * b1;
  const U128 p10 = static_cast<U128>(a1) * b0;
  const U128 p11 = static_cast<U128>(a1) * b1;
  // At most 3 * (2^64 - 1): fits.
  const U128 middle =
      (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
  U256 result;
  result.lo = (middle << 64) | static_cast<uint64_t>(p00);
  result.hi = p11 + (p01 >> 64) + (p10 >> 64) + (middle >> 64);
  return result;
}

// Divides by a 64-bit divisor one 64-bit limb at a time; each step divides a
// value below divisor * 2^64, which fits in 128 bits.
U256 DivideBySmall(U256 n, uint64_t divisor, uint64_t* remainder) {
  const uint64_t limbs[4] = {
      static_cast<uint64_t>(n.hi >> 64), static_cast<uint64_t>(n.hi),
      static_cast<uint64_t>(n.lo >> 64), static_cast<uint64_t>(n.lo)};
  uint64_t q[4];
  U128 rem = 0;
  for (int i = 0; i < 4; ++i) {
    const U128 current = (rem << 64) | limbs[i];
    q[i] = static_cast<uint64_t>(current / divisor);
    rem = current % divisor;
  }
  *remainder = static_cast<uint64_t>(rem);
  U256 result;
  result.hi = (static_cast<U128>(q[0]) << 64) | q[1];
  result.lo = (static_cast<U128>(q[2]) << 64) | q[3];
  return result;
}

int BitWidth(U128 v) {
  int width = 0;
  while (v != 0) {
    ++width;
    v >>= 1;
  }
  return width;
}

// Binary long division of a 256-bit numerator by a divisor below 2^127. The
// running remainder stays below the divisor, so shifting it left by one bit
// still fits in 128 bits.
U256 DivideWide(U256 n, U128 divisor, U128* remainder) {
  const int top_bit = n.hi != 0 ? 128 + BitWidth(n.hi) - 1 : BitWidth(n.lo) - 1;
  U256 q;
  U128 rem = 0;
  for (int bit = top_bit; bit >= 0; --bit) {
    const U128 word = bit >= 128 ? n.hi : n.lo;
    rem = (rem << 1) | ((word >> (bit % 128)) & 1);
    if (rem >= divisor) {
      rem -= divisor;
      if (bit >= 128) {
        q.hi |= static_cast<U128>(1) << (bit - 128);
      } else {
        q.lo |= static_cast<U128>(1) << bit;
      }
    }
  }
  *remainder = rem;
  return q;
}

absl::Status OutOfRange(const char* operation) {
  return absl::OutOfRangeError(
      absl::StrCat("decimal: result of ", operation,
                   " is out of range (magnitude above 1.7e20)"));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::StatusOr<Decimal> Decimal::FromRaw(__int128 raw) {
  if (raw < -kMaxRaw) return OutOfRange("FromRaw");
  return Decimal(raw);
}

absl::StatusOr<Decimal> Decimal::Parse(std::string_view text) {
  return ParseImpl(text, ExcessDigits::kReject);
}

absl::StatusOr<Decimal> Decimal::ParseAndRound(std::string_view text) {
  return ParseImpl(text, ExcessDigits::kRoundHalfEven);
}

absl::StatusOr<Decimal> Decimal::ParseImpl(std::string_view text,
                                           ExcessDigits excess) {
  // Fast path for the plain form PostgreSQL's numeric output and most
  // exchanges use: [sign] 1..19 integer digits ["." 1..18 digits], no
  // exponent. Every such text is in range (below 10^19 < Max()) and needs
  // no rounding, so it gives exactly what the general path below would.
  // Anything else, errors included, falls through to the general path.
  if (!text.empty() && text.size() <= 40) {
    const char* p = text.data();
    const char* const end = p + text.size();
    const bool negative = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    const char* const integer_begin = p;
    uint64_t integer = 0;
    while (p < end && IsDigit(*p) && p - integer_begin < 19) {
      integer = integer * 10 + static_cast<uint64_t>(*p - '0');
      ++p;
    }
    const bool integer_ok = p > integer_begin && (p == end || *p == '.');
    if (integer_ok) {
      uint64_t fraction = 0;
      int fraction_digits = 0;
      bool fraction_ok = true;
      if (p < end) {
        ++p;  // '.'
        const char* const fraction_begin = p;
        while (p < end && IsDigit(*p) && p - fraction_begin < kScale) {
          fraction = fraction * 10 + static_cast<uint64_t>(*p - '0');
          ++p;
        }
        fraction_digits = static_cast<int>(p - fraction_begin);
        fraction_ok = fraction_digits > 0 && p == end;
      }
      if (fraction_ok) {
        const U128 magnitude =
            static_cast<U128>(integer) * kOne +
            static_cast<U128>(fraction) *
                static_cast<uint64_t>(Pow10(kScale - fraction_digits));
        return Decimal(WithSign(magnitude, negative));
      }
    }
  }

  if (text.empty()) return absl::InvalidArgumentError("decimal: empty text");
  if (text.size() > kMaxTextLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "decimal: text longer than ", kMaxTextLength, " characters"));
  }
  size_t pos = 0;
  bool negative = false;
  if (text[pos] == '+' || text[pos] == '-') {
    negative = text[pos] == '-';
    ++pos;
  }
  const size_t integer_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const std::string_view integer_digits =
      text.substr(integer_begin, pos - integer_begin);
  if (integer_digits.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("decimal: expected a digit at position ", pos));
  }
  std::string_view fraction_digits;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t fraction_begin = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    fraction_digits = text.substr(fraction_begin, pos - fraction_begin);
    if (fraction_digits.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "decimal: expected a digit after '.' at position ", fraction_begin));
    }
  }
  int64_t exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      exponent_negative = text[pos] == '-';
      ++pos;
    }
    const size_t exponent_begin = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      // Saturate: any exponent this large is out of range or all-fraction
      // for a non-zero value, and zero stays zero.
      if (exponent < 1'000'000) exponent = exponent * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == exponent_begin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "decimal: expected a digit in the exponent at position ", pos));
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (pos != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("decimal: unexpected character at position ", pos));
  }

  // The value is D * 10^(exponent - |fraction|) where D is the integer and
  // fraction digits read as one number; as a raw count of 10^-18 units it is
  // D * 10^shift.
  std::string digits(integer_digits);
  digits.append(fraction_digits);
  const size_t first_significant = digits.find_first_not_of('0');
  if (first_significant == std::string::npos) return Decimal();
  const std::string_view significant =
      std::string_view(digits).substr(first_significant);
  const int64_t shift =
      exponent - static_cast<int64_t>(fraction_digits.size()) + kScale;
  size_t keep = significant.size();
  // Rounding decision for digits below 10^-18, when they may be dropped.
  bool round_up_candidate = false;  // dropped part >= half
  bool exactly_half = false;
  if (shift < 0) {
    // The lowest -shift digits lie below 10^-18.
    const auto dropped = static_cast<uint64_t>(-shift);
    const bool dropped_all_zero =
        dropped < significant.size() &&
        significant.find_first_not_of('0', significant.size() - dropped) ==
            std::string_view::npos;
    if (!dropped_all_zero) {
      if (excess == ExcessDigits::kReject) {
        return absl::InvalidArgumentError(
            "decimal: more than 18 fractional digits");
      }
      if (dropped <= significant.size()) {
        // The first dropped digit decides unless it is a 5 followed by
        // zeros, which is an exact tie. When more digits are dropped than
        // there are significant ones, zeros lead: below half.
        const std::string_view tail =
            significant.substr(significant.size() - dropped);
        round_up_candidate = tail[0] >= '5';
        exactly_half = tail[0] == '5' &&
                       tail.find_first_not_of('0', 1) == std::string_view::npos;
      }
    }
    keep = dropped < significant.size() ? significant.size() - dropped : 0;
  }
  U128 magnitude = 0;
  for (size_t i = 0; i < keep; ++i) {
    const int digit = significant[i] - '0';
    if (magnitude > (kMaxMagnitude - digit) / 10) return OutOfRange("Parse");
    magnitude = magnitude * 10 + digit;
  }
  if (round_up_candidate && (!exactly_half || (magnitude & 1) != 0)) {
    if (magnitude == kMaxMagnitude) return OutOfRange("Parse");
    ++magnitude;
  }
  if (shift > 0) {
    if (shift > kMaxPow10 || magnitude > kMaxMagnitude / Pow10(shift)) {
      return OutOfRange("Parse");
    }
    magnitude *= Pow10(static_cast<int>(shift));
  }
  return Decimal(WithSign(magnitude, negative));
}

absl::StatusOr<Decimal> Decimal::FromDouble(double value,
                                            int fractional_digits) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError("decimal: NaN or infinite double");
  }
  if (fractional_digits < 0 || fractional_digits > kScale) {
    return absl::InvalidArgumentError(
        "decimal: fractional digits must be between 0 and 18");
  }
  if (std::fabs(value) >= 1e21) return OutOfRange("FromDouble");
  // At most 22 integer digits, a sign, a point and 18 fractional digits.
  char buffer[64];
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof(buffer), value,
                    std::chars_format::fixed, fractional_digits);
  if (error != std::errc()) return OutOfRange("FromDouble");
  return Parse(std::string_view(buffer, end - buffer));
}

std::string Decimal::ToString() const {
  const U128 magnitude = Magnitude(raw_);
  // The one 128-bit division; everything after it is 64-bit.
  const U128 integer = magnitude / kOne;
  uint64_t fraction = static_cast<uint64_t>(magnitude - integer * kOne);
  // Sign, 21 integer digits (Max() has 21), "." and 18 fractional digits.
  char buffer[48];
  char* const end = buffer + sizeof(buffer);
  char* p = end;
  if (fraction != 0) {
    // Strips the trailing zeros (16 for a price with 2 decimals) eight at a
    // time, then the remaining 0..7 as 4 + 2 + 1.
    int width = kScale;
    while (fraction % 100'000'000 == 0) {
      fraction /= 100'000'000;
      width -= 8;
    }
    if (fraction % 10'000 == 0) {
      fraction /= 10'000;
      width -= 4;
    }
    if (fraction % 100 == 0) {
      fraction /= 100;
      width -= 2;
    }
    if (fraction % 10 == 0) {
      fraction /= 10;
      width -= 1;
    }
    p = WriteDigitsBackwards(fraction, width, p);
    *--p = '.';
  }
  constexpr uint64_t kTen19 = 10'000'000'000'000'000'000u;
  if (integer < kTen19) {
    p = WriteDigitsBackwards(static_cast<uint64_t>(integer), 1, p);
  } else {
    // Only magnitudes of 10^19 and more (up to 1.7 * 10^20).
    p = WriteDigitsBackwards(static_cast<uint64_t>(integer % kTen19), 19, p);
    p = WriteDigitsBackwards(static_cast<uint64_t>(integer / kTen19), 1, p);
  }
  if (raw_ < 0) *--p = '-';
  return std::string(p, end);
}

std::string Decimal::ToStringFixed(int fractional_digits) const {
  if (fractional_digits < 0) fractional_digits = 0;
  if (fractional_digits > kScale) fractional_digits = kScale;
  const U128 unit = Pow10(kScale - fractional_digits);
  const U128 magnitude = Magnitude(raw_);
  U128 quotient = magnitude / unit;
  // Below 2^127 / 1 + 1: no overflow even for Max().
  if (RoundUpHalfEven(quotient, magnitude % unit, unit)) ++quotient;
  std::string out;
  if (raw_ < 0 && quotient != 0) out += '-';
  const U128 scale = Pow10(fractional_digits);
  out += U128ToString(quotient / scale);
  if (fractional_digits > 0) {
    out += '.';
    AppendPadded(out, quotient % scale, fractional_digits);
  }
  return out;
}

absl::StatusOr<Decimal> Decimal::Add(Decimal other) const {
  __int128 sum;
  if (__builtin_add_overflow(raw_, other.raw_, &sum) || sum < -kMaxRaw) {
    return OutOfRange("Add");
  }
  return Decimal(sum);
}

absl::StatusOr<Decimal> Decimal::Subtract(Decimal other) const {
  __int128 difference;
  if (__builtin_sub_overflow(raw_, other.raw_, &difference) ||
      difference < -kMaxRaw) {
    return OutOfRange("Subtract");
  }
  return Decimal(difference);
}

absl::StatusOr<Decimal> Decimal::Multiply(Decimal other) const {
  const bool negative = (raw_ < 0) != (other.raw_ < 0);
  const U256 product = MultiplyWide(Magnitude(raw_), Magnitude(other.raw_));
  uint64_t remainder = 0;
  const U256 quotient = DivideBySmall(product, kOne, &remainder);
  if (quotient.hi != 0 || quotient.lo > kMaxMagnitude) {
    return OutOfRange("Multiply");
  }
  U128 magnitude = quotient.lo;
  if (RoundUpHalfEven(magnitude, remainder, kOne)) ++magnitude;
  if (magnitude > kMaxMagnitude) return OutOfRange("Multiply");
  return Decimal(WithSign(magnitude, negative));
}

absl::StatusOr<Decimal> Decimal::Divide(Decimal divisor) const {
  if (divisor.raw_ == 0) {
    return absl::InvalidArgumentError("decimal: division by zero");
  }
  const bool negative = (raw_ < 0) != (divisor.raw_ < 0);
  const U128 divisor_magnitude = Magnitude(divisor.raw_);
  // (a * 10^18) / b keeps the quotient in units of 10^-18.
  const U256 numerator = MultiplyWide(Magnitude(raw_), kOne);
  U128 remainder = 0;
  const U256 quotient = DivideWide(numerator, divisor_magnitude, &remainder);
  if (quotient.hi != 0 || quotient.lo > kMaxMagnitude) {
    return OutOfRange("Divide");
  }
  U128 magnitude = quotient.lo;
  if (RoundUpHalfEven(magnitude, remainder, divisor_magnitude)) ++magnitude;
  if (magnitude > kMaxMagnitude) return OutOfRange("Divide");
  return Decimal(WithSign(magnitude, negative));
}

absl::StatusOr<Decimal> Decimal::Round(int fractional_digits) const {
  if (fractional_digits < 0 || fractional_digits > kScale) {
    return absl::InvalidArgumentError(
        "decimal: fractional digits must be between 0 and 18");
  }
  const U128 unit = Pow10(kScale - fractional_digits);
  const U128 magnitude = Magnitude(raw_);
  U128 quotient = magnitude / unit;
  if (RoundUpHalfEven(quotient, magnitude % unit, unit)) ++quotient;
  if (quotient > kMaxMagnitude / unit) return OutOfRange("Round");
  return Decimal(WithSign(quotient * unit, raw_ < 0));
}

double Decimal::ToDouble() const {
  // Going through the exact decimal text lets from_chars round once,
  // correctly, so "64250.12" becomes exactly the double nearest to 64250.12
  // (dividing the raw integer by 1e18 would round twice). Statistics read a
  // few hundred values at a time, so the cost does not matter.
  const std::string text = ToString();
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::ostream& operator<<(std::ostream& os, Decimal value) {
  return os << value.ToString();
}

}  // namespace cryptotracker::common
