#include "services/common/decimal.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace cryptotracker::common {
namespace {

constexpr char kMaxText[] = "170141183460469231731.687303715884105727";
constexpr char kMinText[] = "-170141183460469231731.687303715884105727";

Decimal D(std::string_view text) {
  absl::StatusOr<Decimal> parsed = Decimal::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.value_or(Decimal());
}

struct ParseCase {
  std::string input;
  std::string canonical;
};

class DecimalParseValidTest : public testing::TestWithParam<ParseCase> {};

TEST_P(DecimalParseValidTest, ParsesToCanonicalText) {
  absl::StatusOr<Decimal> parsed = Decimal::Parse(GetParam().input);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToString(), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, DecimalParseValidTest,
    testing::Values(
        ParseCase{"0", "0"}, ParseCase{"-0", "0"}, ParseCase{"+0.000", "0"},
        ParseCase{"123.45", "123.45"}, ParseCase{"-0.0001", "-0.0001"},
        ParseCase{"+7", "7"}, ParseCase{"007.5000", "7.5"},
        ParseCase{"64250.12000000", "64250.12"},
        ParseCase{"1e-8", "0.00000001"}, ParseCase{"1.5E+3", "1500"},
        ParseCase{"1.5e3", "1500"}, ParseCase{"2.5E-1", "0.25"},
        ParseCase{"6.5e-05", "0.000065"}, ParseCase{"-1.23e2", "-123"},
        ParseCase{"123456e-3", "123.456"}, ParseCase{"0e999999999", "0"},
        ParseCase{"0.000000000000000001", "0.000000000000000001"},
        ParseCase{"1e-18", "0.000000000000000001"},
        ParseCase{"12.3400000000000000000000", "12.34"},
        ParseCase{"1000000000000000000000e-20", "10"},
        ParseCase{"1e20", "100000000000000000000"},
        ParseCase{kMaxText, kMaxText}, ParseCase{kMinText, kMinText},
        ParseCase{"170141183460469231731687303715884105727e-18", kMaxText}));

struct InvalidCase {
  std::string input;
  absl::StatusCode code;
  std::string message_part;
};

class DecimalParseInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(DecimalParseInvalidTest, RejectsWithClearError) {
  absl::StatusOr<Decimal> parsed = Decimal::Parse(GetParam().input);
  ASSERT_FALSE(parsed.ok()) << GetParam().input << " parsed as " << *parsed;
  EXPECT_EQ(parsed.status().code(), GetParam().code) << parsed.status();
  EXPECT_NE(parsed.status().message().find(GetParam().message_part),
            std::string::npos)
      << parsed.status();
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kOutOfRange = absl::StatusCode::kOutOfRange;

INSTANTIATE_TEST_SUITE_P(
    Garbage, DecimalParseInvalidTest,
    testing::Values(
        InvalidCase{"", kInvalid, "empty"}, InvalidCase{"-", kInvalid, "digit"},
        InvalidCase{"+", kInvalid, "digit"},
        InvalidCase{".5", kInvalid, "digit"},
        InvalidCase{"5.", kInvalid, "after '.'"},
        InvalidCase{"1.2.3", kInvalid, "unexpected character"},
        InvalidCase{"NaN", kInvalid, "digit"},
        InvalidCase{"nan", kInvalid, "digit"},
        InvalidCase{"Infinity", kInvalid, "digit"},
        InvalidCase{"-inf", kInvalid, "digit"},
        InvalidCase{" 1", kInvalid, "digit"},
        InvalidCase{"1 ", kInvalid, "unexpected character"},
        InvalidCase{"1,000", kInvalid, "unexpected character"},
        InvalidCase{"0x10", kInvalid, "unexpected character"},
        InvalidCase{"1e", kInvalid, "exponent"},
        InvalidCase{"1e+", kInvalid, "exponent"},
        InvalidCase{"1E-", kInvalid, "exponent"},
        InvalidCase{"--1", kInvalid, "digit"},
        InvalidCase{"+-1", kInvalid, "digit"},
        InvalidCase{"1e5.5", kInvalid, "unexpected character"},
        InvalidCase{std::string("1\0", 2), kInvalid, "unexpected character"},
        InvalidCase{"abc", kInvalid, "digit"},
        InvalidCase{std::string(300, '1'), kInvalid, "longer than"}));

INSTANTIATE_TEST_SUITE_P(
    PrecisionAndRange, DecimalParseInvalidTest,
    testing::Values(
        InvalidCase{"0.0000000000000000001", kInvalid, "18 fractional"},
        InvalidCase{"1.0000000000000000001", kInvalid, "18 fractional"},
        InvalidCase{"1e-19", kInvalid, "18 fractional"},
        InvalidCase{"1.5e-18", kInvalid, "18 fractional"},
        InvalidCase{"1e-999999999", kInvalid, "18 fractional"},
        InvalidCase{"170141183460469231731.687303715884105728", kOutOfRange,
                    "out of range"},
        InvalidCase{"-170141183460469231731.687303715884105728", kOutOfRange,
                    "out of range"},
        InvalidCase{"1e21", kOutOfRange, "out of range"},
        InvalidCase{"2e20", kOutOfRange, "out of range"},
        InvalidCase{"1e999999999", kOutOfRange, "out of range"},
        InvalidCase{"99999999999999999999999999999999999999999", kOutOfRange,
                    "out of range"}));

TEST(DecimalTest, ParseAndRoundRoundsExcessDigitsHalfEven) {
  auto round = [](std::string_view text) {
    absl::StatusOr<Decimal> parsed = Decimal::ParseAndRound(text);
    EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    return parsed.value_or(Decimal()).ToString();
  };
  EXPECT_EQ(round("1.2345678901234567e-6"), "0.000001234567890123");
  EXPECT_EQ(round("9.87654321098765e-7"), "0.000000987654321099");    // > half
  EXPECT_EQ(round("0.0000000000000000015"), "0.000000000000000002");  // tie up
  EXPECT_EQ(round("0.0000000000000000025"),
            "0.000000000000000002");  // tie even
  EXPECT_EQ(round("0.00000000000000000250001"), "0.000000000000000003");
  EXPECT_EQ(round("5e-19"), "0");  // tie to even zero
  EXPECT_EQ(round("6e-19"), "0.000000000000000001");
  EXPECT_EQ(round("4.9e-19"), "0");
  EXPECT_EQ(round("1e-30"), "0");
  EXPECT_EQ(round("-1.5e-18"), "-0.000000000000000002");
  EXPECT_EQ(round("0.9999999999999999999"), "1");
  EXPECT_EQ(round("70187.5"), "70187.5");  // nothing to round
  EXPECT_EQ(Decimal::ParseAndRound("170141183460469231731.6873037158841057275")
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Decimal::ParseAndRound("abc").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DecimalTest, DefaultIsZero) {
  Decimal zero;
  EXPECT_TRUE(zero.IsZero());
  EXPECT_EQ(zero.Sign(), 0);
  EXPECT_EQ(zero.ToString(), "0");
  EXPECT_EQ(zero, Decimal::FromInteger(0));
}

TEST(DecimalTest, FromIntegerCoversInt64) {
  EXPECT_EQ(Decimal::FromInteger(INT64_MAX).ToString(), "9223372036854775807");
  EXPECT_EQ(Decimal::FromInteger(INT64_MIN).ToString(), "-9223372036854775808");
  EXPECT_EQ(Decimal::FromInteger(-42), D("-42"));
}

TEST(DecimalTest, FromRawRejectsOnlyTheUnbalancedMinimum) {
  EXPECT_EQ(Decimal::FromRaw(1)->ToString(), "0.000000000000000001");
  EXPECT_EQ(*Decimal::FromRaw(-Decimal::kMaxRaw), Decimal::Min());
  EXPECT_EQ(Decimal::FromRaw(-Decimal::kMaxRaw - 1).status().code(),
            kOutOfRange);
}

TEST(DecimalTest, BoundsPrintExactly) {
  EXPECT_EQ(Decimal::Max().ToString(), kMaxText);
  EXPECT_EQ(Decimal::Min().ToString(), kMinText);
  EXPECT_EQ(Decimal::Max().Negated(), Decimal::Min());
  EXPECT_EQ(Decimal::Min().Abs(), Decimal::Max());
}

TEST(DecimalTest, ComparesNumerically) {
  EXPECT_LT(D("-1"), D("-0.5"));
  EXPECT_LT(D("-0.5"), D("0"));
  EXPECT_LT(D("0.1"), D("0.10000000000000001"));
  EXPECT_GT(D("100"), D("99.999999999999999999"));
  EXPECT_EQ(D("1.50"), D("15e-1"));
  EXPECT_NE(D("1.5"), D("-1.5"));
  EXPECT_LE(Decimal::Min(), D("-1e20"));
  EXPECT_GE(Decimal::Max(), D("1e20"));
}

TEST(DecimalTest, SignPredicates) {
  EXPECT_TRUE(D("-0.000000000000000001").IsNegative());
  EXPECT_TRUE(D("0.000000000000000001").IsPositive());
  EXPECT_EQ(D("-3").Sign(), -1);
  EXPECT_EQ(D("3").Sign(), 1);
  EXPECT_EQ(D("-3").Abs(), D("3"));
  EXPECT_EQ(D("3").Negated(), D("-3"));
}

TEST(DecimalTest, ToStringFixedPadsAndTruncatesWithHalfEven) {
  EXPECT_EQ(D("1.5").ToStringFixed(4), "1.5000");
  EXPECT_EQ(D("2.345").ToStringFixed(2), "2.34");   // tie, 4 is even
  EXPECT_EQ(D("2.355").ToStringFixed(2), "2.36");   // tie, 5 odd -> up
  EXPECT_EQ(D("2.3451").ToStringFixed(2), "2.35");  // above the tie
  EXPECT_EQ(D("2.3449").ToStringFixed(2), "2.34");
  EXPECT_EQ(D("0.5").ToStringFixed(0), "0");
  EXPECT_EQ(D("1.5").ToStringFixed(0), "2");
  EXPECT_EQ(D("2.5").ToStringFixed(0), "2");
  EXPECT_EQ(D("-2.5").ToStringFixed(0), "-2");
  EXPECT_EQ(D("-3.5").ToStringFixed(0), "-4");
  EXPECT_EQ(D("-2.355").ToStringFixed(2), "-2.36");
  EXPECT_EQ(D("-0.004").ToStringFixed(2), "0.00");  // no negative zero
  EXPECT_EQ(D("9.995").ToStringFixed(2), "10.00");  // carry into integer
  EXPECT_EQ(D("123").ToStringFixed(0), "123");
  EXPECT_EQ(D("0.000000000000000001").ToStringFixed(18),
            "0.000000000000000001");
  EXPECT_EQ(D("1.25").ToStringFixed(-3), "1");  // clamped to 0 digits
  EXPECT_EQ(D("1.25").ToStringFixed(99), "1.250000000000000000");
  EXPECT_EQ(Decimal::Max().ToStringFixed(0), "170141183460469231732");
  EXPECT_EQ(Decimal::Min().ToStringFixed(2), "-170141183460469231731.69");
}

TEST(DecimalTest, RoundHalfEven) {
  EXPECT_EQ(*D("2.345").Round(2), D("2.34"));
  EXPECT_EQ(*D("2.355").Round(2), D("2.36"));
  EXPECT_EQ(*D("-2.345").Round(2), D("-2.34"));
  EXPECT_EQ(*D("0.125").Round(2), D("0.12"));
  EXPECT_EQ(*D("0.135").Round(2), D("0.14"));
  EXPECT_EQ(*D("7").Round(0), D("7"));
  EXPECT_EQ(*D("0.000000000000000001").Round(18), D("0.000000000000000001"));
  EXPECT_EQ(D("1").Round(19).status().code(), kInvalid);
  EXPECT_EQ(D("1").Round(-1).status().code(), kInvalid);
  EXPECT_EQ(Decimal::Max().Round(0).status().code(), kOutOfRange);
  EXPECT_EQ(*Decimal::Max().Round(18), Decimal::Max());
}

TEST(DecimalTest, AddAndSubtractAreExact) {
  EXPECT_EQ(*D("0.1").Add(D("0.2")), D("0.3"));
  EXPECT_EQ(*D("64250.12").Subtract(D("64250.13")), D("-0.01"));
  EXPECT_EQ(*D("-5").Add(D("5")), Decimal());
  EXPECT_EQ(*D("0.000000000000000001").Add(D("99999999999999999999")),
            D("99999999999999999999.000000000000000001"));
  EXPECT_EQ(*Decimal::Max().Subtract(Decimal::Max()), Decimal());
  EXPECT_EQ(*Decimal::Min().Add(Decimal::Max()), Decimal());
}

TEST(DecimalTest, AddAndSubtractDetectOverflow) {
  const Decimal tiny = D("0.000000000000000001");
  EXPECT_EQ(Decimal::Max().Add(tiny).status().code(), kOutOfRange);
  EXPECT_EQ(Decimal::Min().Subtract(tiny).status().code(), kOutOfRange);
  EXPECT_EQ(Decimal::Max().Subtract(Decimal::Min()).status().code(),
            kOutOfRange);
  EXPECT_EQ(Decimal::Min().Add(Decimal::Min()).status().code(), kOutOfRange);
  EXPECT_EQ(*Decimal::Max().Subtract(tiny)->Add(tiny), Decimal::Max());
}

TEST(DecimalTest, MultiplyExactWhenRepresentable) {
  EXPECT_EQ(*D("1.5").Multiply(D("2")), D("3"));
  EXPECT_EQ(*D("-0.5").Multiply(D("0.5")), D("-0.25"));
  EXPECT_EQ(*D("-0.5").Multiply(D("-0.5")), D("0.25"));
  EXPECT_EQ(*D("64250.12").Multiply(D("0.00123")), D("79.0276476"));
  EXPECT_EQ(*D("0.000000001").Multiply(D("0.000000001")),
            D("0.000000000000000001"));
  EXPECT_EQ(*D("12345678901234567890").Multiply(D("0")), Decimal());
  EXPECT_EQ(*Decimal::Max().Multiply(D("1")), Decimal::Max());
  EXPECT_EQ(*Decimal::Min().Multiply(D("-1")), Decimal::Max());
}

TEST(DecimalTest, MultiplyRoundsHalfEven) {
  // 10^-9 * 1.5 * 10^-9 = 1.5e-18: tie between 1e-18 and 2e-18 -> 2e-18.
  EXPECT_EQ(*D("0.000000001").Multiply(D("0.0000000015")),
            D("0.000000000000000002"));
  // 0.5e-18: tie between 0 and 1e-18 -> 0 (even).
  EXPECT_EQ(*D("0.000000001").Multiply(D("0.0000000005")), Decimal());
  // 2.5e-18 -> 2e-18.
  EXPECT_EQ(*D("0.000000001").Multiply(D("0.0000000025")),
            D("0.000000000000000002"));
  // Slightly above the tie goes up.
  EXPECT_EQ(*D("0.000000001").Multiply(D("0.00000000050000001")),
            D("0.000000000000000001"));
  EXPECT_EQ(*D("-0.000000001").Multiply(D("0.0000000015")),
            D("-0.000000000000000002"));
}

TEST(DecimalTest, MultiplyDetectsOverflow) {
  EXPECT_EQ(D("1e10").Multiply(D("1e11")).status().code(), kOutOfRange);
  EXPECT_EQ(Decimal::Max().Multiply(Decimal::Max()).status().code(),
            kOutOfRange);
  EXPECT_EQ(Decimal::Max().Multiply(D("1.000000000000000001")).status().code(),
            kOutOfRange);
  EXPECT_EQ(Decimal::Min().Multiply(D("2")).status().code(), kOutOfRange);
  EXPECT_EQ(*D("1e10").Multiply(D("1e10")), D("1e20"));
}

TEST(DecimalTest, DivideRoundsHalfEven) {
  EXPECT_EQ(*D("1").Divide(D("4")), D("0.25"));
  EXPECT_EQ(*D("1").Divide(D("3")), D("0.333333333333333333"));
  EXPECT_EQ(*D("2").Divide(D("3")), D("0.666666666666666667"));
  EXPECT_EQ(*D("-2").Divide(D("3")), D("-0.666666666666666667"));
  EXPECT_EQ(*D("2").Divide(D("-3")), D("-0.666666666666666667"));
  // 1e-18 / 2 = 0.5e-18 ties to 0; 3e-18 / 2 = 1.5e-18 ties to 2e-18.
  EXPECT_EQ(*D("0.000000000000000001").Divide(D("2")), Decimal());
  EXPECT_EQ(*D("0.000000000000000003").Divide(D("2")),
            D("0.000000000000000002"));
  EXPECT_EQ(*D("0.000000000000000005").Divide(D("2")),
            D("0.000000000000000002"));
  EXPECT_EQ(*D("100").Divide(D("0.000000000000000001")), D("1e20"));
  EXPECT_EQ(*Decimal::Max().Divide(Decimal::Max()), D("1"));
  EXPECT_EQ(*Decimal::Min().Divide(Decimal::Max()), D("-1"));
  EXPECT_EQ(*D("64250.12").Divide(D("1.0001")), D("64243.695630436956304370"));
}

TEST(DecimalTest, DivideRejectsZeroAndOverflow) {
  absl::StatusOr<Decimal> by_zero = D("1").Divide(Decimal());
  EXPECT_EQ(by_zero.status().code(), kInvalid);
  EXPECT_NE(by_zero.status().message().find("division by zero"),
            std::string::npos);
  EXPECT_EQ(D("1000").Divide(D("0.000000000000000001")).status().code(),
            kOutOfRange);
  EXPECT_EQ(Decimal::Max().Divide(D("0.5")).status().code(), kOutOfRange);
}

TEST(DecimalTest, DivideThenMultiplyIsCloseForRandomValues) {
  // |(a / b) * b - a| is bounded by the two half-ulp roundings scaled by b.
  std::mt19937_64 rng(20240607);
  for (int i = 0; i < 2000; ++i) {
    const __int128 a = static_cast<__int128>(rng() % 1'000'000'000'000ULL) *
                       1'000'000'000;  // up to 1000 with 9 decimals
    const __int128 b =
        static_cast<__int128>(rng() % 1'000'000'000ULL + 1) * 1'000'000'000;
    const Decimal da = *Decimal::FromRaw(a);
    const Decimal db = *Decimal::FromRaw(b);
    const Decimal quotient = *da.Divide(db);
    const Decimal back = *quotient.Multiply(db);
    const __int128 error = back.raw() - a;
    const __int128 bound = b / Decimal::kOneRaw + 2;  // |b| * 0.5ulp + 1ulp
    EXPECT_LE(error < 0 ? -error : error, bound)
        << da << " / " << db << " = " << quotient;
  }
}

TEST(DecimalTest, ToStringRoundTripsRandomRawValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    __int128 raw = (static_cast<__int128>(rng() >> 1) << 64) | rng();
    raw >>= (rng() % 120);  // spread over magnitudes
    if (rng() % 2) raw = -raw;
    const Decimal value = *Decimal::FromRaw(raw);
    absl::StatusOr<Decimal> reparsed = Decimal::Parse(value.ToString());
    ASSERT_TRUE(reparsed.ok()) << value.ToString();
    EXPECT_EQ(*reparsed, value);
    EXPECT_EQ(*Decimal::Parse(value.ToStringFixed(18)), value);
  }
}

// Canonical text of a raw value the slow, obvious way: one digit per 128-bit
// division. The reference for ToString's 64-bit formatting.
std::string ReferenceText(__int128 raw) {
  unsigned __int128 magnitude = raw < 0 ? static_cast<unsigned __int128>(-raw)
                                        : static_cast<unsigned __int128>(raw);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  if (digits.size() <= 18) digits.insert(0, 19 - digits.size(), '0');
  std::string integer = digits.substr(0, digits.size() - 18);
  std::string fraction = digits.substr(digits.size() - 18);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return (raw < 0 ? "-" : "") + integer +
         (fraction.empty() ? "" : "." + fraction);
}

TEST(DecimalTest, ToStringMatchesTheDigitByDigitReference) {
  constexpr __int128 kOne = Decimal::kOneRaw;
  constexpr __int128 kTen19Units = kOne * 10'000'000'000'000'000'000u;
  std::vector<__int128> raws = {0,
                                1,
                                10,
                                kOne,
                                kOne - 1,
                                kOne + 1,
                                kOne * 64250 + kOne / 100 * 12,
                                kTen19Units - 1,
                                kTen19Units,
                                kTen19Units + 1,
                                kTen19Units + kOne / 2,
                                Decimal::kMaxRaw,
                                Decimal::kMaxRaw - kOne + 1};
  for (int zeros = 0; zeros <= 18; ++zeros) {
    __int128 unit = 1;
    for (int i = 0; i < zeros; ++i) unit *= 10;
    raws.push_back(unit);
    raws.push_back(unit * 7 + kOne * 3);
    raws.push_back(unit * 123456789);
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    __int128 raw = (static_cast<__int128>(rng() >> 1) << 64) | rng();
    raw >>= (rng() % 127);
    // Round to a random number of decimals, as stored values are.
    __int128 unit = 1;
    for (int digits = static_cast<int>(rng() % 19); digits > 0; --digits) {
      unit *= 10;
    }
    raws.push_back(raw / unit * unit);
  }
  for (__int128 raw : raws) {
    for (__int128 signed_raw : {raw, -raw}) {
      const Decimal value = *Decimal::FromRaw(signed_raw);
      EXPECT_EQ(value.ToString(), ReferenceText(signed_raw));
    }
  }
}

// Text with an exponent always takes Parse's general path, so "<text>e0"
// tells what the plain-form fast path must answer for <text>.
TEST(DecimalTest, PlainFormFastPathAgreesWithTheGeneralPath) {
  std::vector<std::string> texts = {"0",
                                    "-0",
                                    "+0",
                                    "00",
                                    "0.0",
                                    "-0.000",
                                    "1",
                                    "+1",
                                    "-1",
                                    "1.",
                                    ".1",
                                    "-.1",
                                    "1..2",
                                    "1.2.3",
                                    "--1",
                                    "+-1",
                                    "-",
                                    "+",
                                    "1a",
                                    "1.2a",
                                    "64250.12",
                                    "007.5000",
                                    "9999999999999999999",
                                    "9999999999999999999.999999999999999999",
                                    "10000000000000000000",
                                    "99999999999999999999.5",
                                    "0.000000000000000001",
                                    "0.0000000000000000010",
                                    "0.0000000000000000001",
                                    "1.0000000000000000000000",
                                    "-24510.58",
                                    "1111.42199",
                                    "27171165.2338683"};
  std::mt19937_64 rng(5);
  const std::string alphabet = "0123456789.-+e";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int length = 1 + static_cast<int>(rng() % 42);
    // Mostly digits with at most one point, sometimes anything.
    const bool anything = rng() % 8 == 0;
    if (!anything && rng() % 3 == 0) text += "-";
    bool point = false;
    for (int j = 0; j < length; ++j) {
      if (anything) {
        text += alphabet[rng() % alphabet.size()];
      } else if (!point && j > 0 && rng() % 6 == 0) {
        text += '.';
        point = true;
      } else {
        text += static_cast<char>('0' + rng() % 10);
      }
    }
    texts.push_back(text);
  }
  for (const std::string& text : texts) {
    if (text.find('e') != std::string::npos) continue;
    const absl::StatusOr<Decimal> fast = Decimal::Parse(text);
    const absl::StatusOr<Decimal> general = Decimal::Parse(text + "e0");
    // "1." and ".1" fail either way, with the same kind of error.
    ASSERT_EQ(fast.ok(), general.ok()) << text;
    if (fast.ok()) {
      EXPECT_EQ(*fast, *general) << text;
    } else {
      EXPECT_EQ(fast.status().code(), general.status().code()) << text;
    }
  }
}

TEST(DecimalTest, ToDoubleIsCorrectlyRounded) {
  // Exact equality: the nearest double to each decimal, as the compiler
  // rounds the same literal.
  EXPECT_EQ(D("0.1").ToDouble(), 0.1);
  EXPECT_EQ(D("-64250.12").ToDouble(), -64250.12);
  EXPECT_EQ(D("1e-18").ToDouble(), 1e-18);
  EXPECT_EQ(D("123456789.123456789123456789").ToDouble(),
            123456789.123456789123456789);
  EXPECT_EQ(Decimal::Max().ToDouble(),
            170141183460469231731.687303715884105727);
  EXPECT_EQ(Decimal().ToDouble(), 0.0);
}

TEST(DecimalTest, FromDoubleRoundsToRequestedDigits) {
  EXPECT_EQ(*Decimal::FromDouble(12.3456, 2), D("12.35"));
  EXPECT_EQ(*Decimal::FromDouble(-0.000123456, 6), D("-0.000123"));
  EXPECT_EQ(*Decimal::FromDouble(-0.0001, 2), Decimal());
  EXPECT_EQ(*Decimal::FromDouble(70187.0, 0), D("70187"));
  EXPECT_EQ(*Decimal::FromDouble(1e20, 0), D("1e20"));
  EXPECT_EQ(Decimal::FromDouble(std::nan(""), 2).status().code(), kInvalid);
  EXPECT_EQ(Decimal::FromDouble(1.0 / 0.0, 2).status().code(), kInvalid);
  EXPECT_EQ(Decimal::FromDouble(1.0, 19).status().code(), kInvalid);
  EXPECT_EQ(Decimal::FromDouble(1e30, 0).status().code(), kOutOfRange);
  EXPECT_EQ(Decimal::FromDouble(5e20, 0).status().code(), kOutOfRange);
}

TEST(DecimalTest, StreamsCanonicalText) {
  std::ostringstream out;
  out << D("-1.2300");
  EXPECT_EQ(out.str(), "-1.23");
}

}  // namespace
}  // namespace cryptotracker::common
