#include "services/pricing-service/domain/candles.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace cryptotracker::pricing::domain {
namespace {

// 2024-01-01T00:00:00Z.
constexpr int64_t kT0 = 1'704'067'200'000;
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

common::Decimal D(std::string_view text) {
  return *common::Decimal::Parse(text);
}

Tick T(std::string symbol, std::string_view price, std::string_view quantity,
       int64_t time_ms, std::optional<int64_t> trade_id = std::nullopt) {
  return Tick{std::move(symbol), D(price), D(quantity), time_ms, trade_id};
}

TEST(CandleAggregatorTest, FirstTickOpensCandle) {
  CandleAggregator aggregator;
  ASSERT_EQ(aggregator.Ingest(T("BTCUSDT", "42000.5", "0.25", kT0 + 1234, 1)),
            IngestOutcome::kAccepted);
  std::optional<Candle> candle = aggregator.OpenCandle("BTCUSDT");
  ASSERT_TRUE(candle.has_value());
  EXPECT_EQ(candle->symbol, "BTCUSDT");
  EXPECT_EQ(candle->interval, Interval::k1m);
  EXPECT_EQ(candle->open_time_ms, kT0);
  EXPECT_EQ(candle->close_time_ms(), kT0 + kMinute);
  EXPECT_EQ(candle->open, D("42000.5"));
  EXPECT_EQ(candle->high, D("42000.5"));
  EXPECT_EQ(candle->low, D("42000.5"));
  EXPECT_EQ(candle->close, D("42000.5"));
  EXPECT_EQ(candle->volume, D("0.25"));
  EXPECT_EQ(candle->quote_volume, D("10500.125"));
  EXPECT_EQ(candle->trade_count, 1);
  EXPECT_FALSE(candle->closed);
  EXPECT_FALSE(aggregator.OpenCandle("ETHUSDT").has_value());
  EXPECT_TRUE(aggregator.TakeClosedCandles().empty());
}

TEST(CandleAggregatorTest, FoldsTicksOfOneMinute) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.Ingest(T("BTCUSDT", "105.5", "0.5", kT0 + 10'000, 2));
  aggregator.Ingest(T("BTCUSDT", "98.25", "2", kT0 + 20'000, 3));
  aggregator.Ingest(T("BTCUSDT", "101", "0.1", kT0 + 59'999, 4));
  const Candle candle = *aggregator.OpenCandle("BTCUSDT");
  EXPECT_EQ(candle.open, D("100"));
  EXPECT_EQ(candle.high, D("105.5"));
  EXPECT_EQ(candle.low, D("98.25"));
  EXPECT_EQ(candle.close, D("101"));
  EXPECT_EQ(candle.volume, D("3.6"));
  // 100 + 52.75 + 196.5 + 10.1
  EXPECT_EQ(candle.quote_volume, D("359.35"));
  EXPECT_EQ(candle.trade_count, 4);
  EXPECT_EQ(aggregator.stats().accepted, 4);
}

TEST(CandleAggregatorTest, OutOfOrderTicksWithinMinuteUseTradeTime) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("ETHUSDT", "2000", "1", kT0 + 30'000, 30));
  aggregator.Ingest(T("ETHUSDT", "2010", "1", kT0 + 50'000, 50));
  aggregator.Ingest(T("ETHUSDT", "1990", "1", kT0 + 5'000, 5));    // earlier
  aggregator.Ingest(T("ETHUSDT", "2005", "1", kT0 + 40'000, 40));  // middle
  const Candle candle = *aggregator.OpenCandle("ETHUSDT");
  EXPECT_EQ(candle.open, D("1990"));
  EXPECT_EQ(candle.close, D("2010"));
  EXPECT_EQ(candle.high, D("2010"));
  EXPECT_EQ(candle.low, D("1990"));
  EXPECT_EQ(candle.trade_count, 4);
}

TEST(CandleAggregatorTest, EqualTimesOrderByTradeId) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("X", "2", "1", kT0 + 500, 11));
  aggregator.Ingest(T("X", "1", "1", kT0 + 500, 10));
  aggregator.Ingest(T("X", "4", "1", kT0 + 500, 13));
  aggregator.Ingest(T("X", "3", "1", kT0 + 500, 12));
  const Candle candle = *aggregator.OpenCandle("X");
  EXPECT_EQ(candle.open, D("1"));
  EXPECT_EQ(candle.close, D("4"));
}

TEST(CandleAggregatorTest, EqualTimesWithoutIdsKeepArrivalOrder) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("X", "2", "1", kT0 + 500));
  aggregator.Ingest(T("X", "1", "1", kT0 + 500));
  aggregator.Ingest(T("X", "3", "1", kT0 + 500));
  const Candle candle = *aggregator.OpenCandle("X");
  EXPECT_EQ(candle.open, D("2"));
  EXPECT_EQ(candle.close, D("3"));
  EXPECT_EQ(candle.trade_count, 3);  // no ids: never treated as duplicates
}

TEST(CandleAggregatorTest, DuplicateTradeIdsAreIgnoredAndCounted) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 7));
  const Candle before = *aggregator.OpenCandle("BTCUSDT");
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 7)),
            IngestOutcome::kDuplicate);
  // Even with different content the id decides.
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "500", "9", kT0 + 2'000, 7)),
            IngestOutcome::kDuplicate);
  EXPECT_EQ(*aggregator.OpenCandle("BTCUSDT"), before);
  EXPECT_EQ(aggregator.stats().duplicates, 2);
  EXPECT_EQ(aggregator.stats().accepted, 1);
  // The same id on another symbol is a different trade.
  EXPECT_EQ(aggregator.Ingest(T("ETHUSDT", "10", "1", kT0 + 1'000, 7)),
            IngestOutcome::kAccepted);
}

TEST(CandleAggregatorTest, NextMinuteClosesPreviousCandle) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.Ingest(T("BTCUSDT", "101", "1", kT0 + 59'000, 2));
  aggregator.Ingest(T("BTCUSDT", "102", "2", kT0 + kMinute, 3));
  std::vector<Candle> closed = aggregator.TakeClosedCandles();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_TRUE(closed[0].closed);
  EXPECT_EQ(closed[0].open_time_ms, kT0);
  EXPECT_EQ(closed[0].open, D("100"));
  EXPECT_EQ(closed[0].close, D("101"));
  EXPECT_EQ(closed[0].trade_count, 2);
  EXPECT_TRUE(aggregator.TakeClosedCandles().empty());  // handed out once
  const Candle open = *aggregator.OpenCandle("BTCUSDT");
  EXPECT_EQ(open.open_time_ms, kT0 + kMinute);
  EXPECT_EQ(open.open, D("102"));
  EXPECT_EQ(open.volume, D("2"));
  EXPECT_EQ(aggregator.stats().candles_closed, 1);
}

TEST(CandleAggregatorTest, LateTicksForClosedMinutesAreRejected) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.Ingest(T("BTCUSDT", "102", "1", kT0 + kMinute + 1, 2));
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "99", "1", kT0 + 59'999, 3)),
            IngestOutcome::kLate);
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "99", "1", kT0 - 5 * kMinute, 4)),
            IngestOutcome::kLate);
  // A replay of an already counted trade of the closed minute is late too.
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1)),
            IngestOutcome::kLate);
  EXPECT_EQ(aggregator.stats().late, 3);
  const std::vector<Candle> closed = aggregator.TakeClosedCandles();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].low, D("100"));
  EXPECT_EQ(aggregator.OpenCandle("BTCUSDT")->trade_count, 1);
}

TEST(CandleAggregatorTest, EmptyMinutesProduceNoCandles) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.Ingest(T("BTCUSDT", "110", "1", kT0 + 3 * kMinute + 5, 2));
  aggregator.AdvanceTo(kT0 + 10 * kMinute);
  const std::vector<Candle> closed = aggregator.TakeClosedCandles();
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].open_time_ms, kT0);
  EXPECT_EQ(closed[1].open_time_ms, kT0 + 3 * kMinute);
  EXPECT_EQ(closed[1].open, D("110"));
}

TEST(CandleAggregatorTest, SymbolsAreIndependent) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.Ingest(T("ETHUSDT", "10", "1", kT0 + 2'000, 1));
  aggregator.Ingest(T("BTCUSDT", "101", "1", kT0 + kMinute + 1'000, 2));
  // BTC moved on; ETH's first minute is still open and accepts trades.
  EXPECT_EQ(aggregator.Ingest(T("ETHUSDT", "11", "1", kT0 + 30'000, 2)),
            IngestOutcome::kAccepted);
  const std::vector<Candle> closed = aggregator.TakeClosedCandles();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].symbol, "BTCUSDT");
  ASSERT_TRUE(aggregator.OpenCandle("BTCUSDT").has_value());
  EXPECT_EQ(aggregator.OpenCandle("BTCUSDT")->open_time_ms, kT0 + kMinute);
  ASSERT_TRUE(aggregator.OpenCandle("ETHUSDT").has_value());
  EXPECT_EQ(aggregator.OpenCandle("ETHUSDT")->close, D("11"));
}

TEST(CandleAggregatorTest, AdvanceToClosesAfterGrace) {
  CandleAggregator aggregator(AggregatorOptions{.close_grace_ms = 2'000});
  aggregator.Ingest(T("ETHUSDT", "10", "1", kT0 + 2'000, 1));
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.AdvanceTo(kT0 + kMinute + 1'999);
  EXPECT_TRUE(aggregator.TakeClosedCandles().empty());
  // Within the grace period a straggler still lands in its minute.
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "90", "1", kT0 + 59'000, 2)),
            IngestOutcome::kAccepted);
  aggregator.AdvanceTo(kT0 + kMinute + 2'000);
  const std::vector<Candle> closed = aggregator.TakeClosedCandles();
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].symbol, "BTCUSDT");  // same open time: by symbol
  EXPECT_EQ(closed[0].close, D("90"));
  EXPECT_EQ(closed[1].symbol, "ETHUSDT");
  EXPECT_FALSE(aggregator.OpenCandle("BTCUSDT").has_value());
  EXPECT_FALSE(aggregator.OpenCandle("ETHUSDT").has_value());
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "90", "1", kT0 + 59'500, 3)),
            IngestOutcome::kLate);
}

TEST(CandleAggregatorTest, ClockRejectsStaleMinutesOfNewSymbols) {
  CandleAggregator aggregator;
  aggregator.AdvanceTo(kT0 + 10 * kMinute);
  // SOL never traded before, but its minute ended long ago.
  EXPECT_EQ(aggregator.Ingest(T("SOLUSDT", "20", "1", kT0 + 5 * kMinute, 1)),
            IngestOutcome::kLate);
  EXPECT_EQ(aggregator.Ingest(T("SOLUSDT", "20", "1", kT0 + 9 * kMinute, 2)),
            IngestOutcome::kAccepted);  // still within the grace period
}

TEST(CandleAggregatorTest, ClockRejectsTicksFarInTheFuture) {
  CandleAggregator aggregator(AggregatorOptions{.max_future_skew_ms = 5'000});
  aggregator.AdvanceTo(kT0);
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 5'001, 1)),
            IngestOutcome::kTooFarInFuture);
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 5'000, 2)),
            IngestOutcome::kAccepted);
  EXPECT_EQ(aggregator.stats().too_far_in_future, 1);
}

TEST(CandleAggregatorTest, ClockNeverGoesBackwards) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 1'000, 1));
  aggregator.AdvanceTo(kT0 + 10 * kMinute);
  aggregator.AdvanceTo(kT0);
  EXPECT_EQ(aggregator.TakeClosedCandles().size(), 1u);
  EXPECT_EQ(aggregator.Ingest(T("BTCUSDT", "100", "1", kT0 + 2 * kMinute, 2)),
            IngestOutcome::kLate);
}

TEST(CandleAggregatorTest, InvalidTicksAreRejected) {
  CandleAggregator aggregator;
  EXPECT_EQ(aggregator.Ingest(T("", "1", "1", kT0)), IngestOutcome::kInvalid);
  EXPECT_EQ(aggregator.Ingest(T("X", "0", "1", kT0)), IngestOutcome::kInvalid);
  EXPECT_EQ(aggregator.Ingest(T("X", "-1", "1", kT0)), IngestOutcome::kInvalid);
  EXPECT_EQ(aggregator.Ingest(T("X", "1", "-0.1", kT0)),
            IngestOutcome::kInvalid);
  EXPECT_EQ(aggregator.Ingest(T("X", "1", "1", -1)), IngestOutcome::kInvalid);
  // price * quantity beyond the decimal range.
  EXPECT_EQ(aggregator.Ingest(T("X", "1e19", "1e19", kT0)),
            IngestOutcome::kInvalid);
  EXPECT_EQ(aggregator.stats().invalid, 6);
  EXPECT_EQ(aggregator.stats().accepted, 0);
  EXPECT_FALSE(aggregator.OpenCandle("X").has_value());
  // A price-only update (zero quantity) is fine.
  EXPECT_EQ(aggregator.Ingest(T("X", "1", "0", kT0)), IngestOutcome::kAccepted);
}

TEST(CandleAggregatorTest, VolumeOverflowLeavesCandleUnchanged) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("X", "1", "100000000000000000000", kT0, 1));
  const Candle before = *aggregator.OpenCandle("X");
  EXPECT_EQ(aggregator.Ingest(T("X", "5", "100000000000000000000", kT0 + 1, 2)),
            IngestOutcome::kInvalid);
  EXPECT_EQ(*aggregator.OpenCandle("X"), before);
}

TEST(CandleAggregatorTest, OneAdvanceClosesABatchInOpenTimeOrder) {
  CandleAggregator aggregator;
  aggregator.Ingest(T("B", "1", "1", kT0 + 2 * kMinute));
  aggregator.Ingest(T("A", "1", "1", kT0 + 3 * kMinute));
  aggregator.Ingest(T("C", "1", "1", kT0 + 2 * kMinute));
  aggregator.AdvanceTo(kT0 + 10 * kMinute);
  const std::vector<Candle> closed = aggregator.TakeClosedCandles();
  ASSERT_EQ(closed.size(), 3u);
  EXPECT_EQ(closed[0].symbol, "B");
  EXPECT_EQ(closed[1].symbol, "C");
  EXPECT_EQ(closed[2].symbol, "A");
  for (const Candle& candle : closed) EXPECT_TRUE(candle.closed);
  for (const char* symbol : {"A", "B", "C"}) {
    EXPECT_FALSE(aggregator.OpenCandle(symbol).has_value()) << symbol;
  }
  // Closed: later ticks of those minutes are late.
  EXPECT_EQ(aggregator.Ingest(T("A", "1", "1", kT0 + 3 * kMinute + 1)),
            IngestOutcome::kLate);
}

Candle Minute(std::string symbol, int64_t open_time_ms, std::string_view open,
              std::string_view high, std::string_view low,
              std::string_view close, std::string_view volume,
              int64_t trades = 1, bool closed = true) {
  Candle candle;
  candle.symbol = std::move(symbol);
  candle.interval = Interval::k1m;
  candle.open_time_ms = open_time_ms;
  candle.open = D(open);
  candle.high = D(high);
  candle.low = D(low);
  candle.close = D(close);
  candle.volume = D(volume);
  candle.quote_volume = *candle.volume.Multiply(candle.close);
  candle.trade_count = trades;
  candle.closed = closed;
  return candle;
}

TEST(RollUpTest, FiveMinuteCandlesFromMinutes) {
  std::vector<Candle> minutes;
  for (int i = 0; i < 10; ++i) {
    const std::string base = std::to_string(100 + i);
    minutes.push_back(Minute("BTCUSDT", kT0 + i * kMinute, base,
                             std::to_string(101 + i + (i == 2 ? 10 : 0)),
                             std::to_string(99 + i - (i == 7 ? 20 : 0)),
                             std::to_string(100 + i + 1), "1.5", i + 1));
  }
  absl::StatusOr<std::vector<Candle>> rolled = RollUp(minutes, Interval::k5m);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  ASSERT_EQ(rolled->size(), 2u);
  const Candle& first = (*rolled)[0];
  EXPECT_EQ(first.interval, Interval::k5m);
  EXPECT_EQ(first.open_time_ms, kT0);
  EXPECT_EQ(first.close_time_ms(), kT0 + 5 * kMinute);
  EXPECT_EQ(first.open, D("100"));
  EXPECT_EQ(first.high, D("113"));
  EXPECT_EQ(first.low, D("99"));
  EXPECT_EQ(first.close, D("105"));
  EXPECT_EQ(first.volume, D("7.5"));
  // Each minute's quote volume is 1.5 * close; closes 101..105 sum to 515.
  EXPECT_EQ(first.quote_volume, D("772.5"));
  EXPECT_EQ(first.trade_count, 1 + 2 + 3 + 4 + 5);
  EXPECT_TRUE(first.closed);
  const Candle& second = (*rolled)[1];
  EXPECT_EQ(second.open_time_ms, kT0 + 5 * kMinute);
  EXPECT_EQ(second.open, D("105"));
  EXPECT_EQ(second.low, D("86"));
  EXPECT_EQ(second.close, D("110"));
  EXPECT_EQ(second.trade_count, 6 + 7 + 8 + 9 + 10);
}

TEST(RollUpTest, AlignsHoursFourHoursAndDaysToUtc) {
  const std::vector<Candle> minutes = {
      Minute("X", kT0 + 3 * kHour + 59 * kMinute, "1", "1", "1", "1", "1"),
      Minute("X", kT0 + 4 * kHour, "2", "2", "2", "2", "1"),
      Minute("X", kT0 + 23 * kHour + 59 * kMinute, "3", "3", "3", "3", "1"),
      Minute("X", kT0 + 24 * kHour, "4", "4", "4", "4", "1"),
  };
  const std::vector<Candle> hours = *RollUp(minutes, Interval::k1h);
  ASSERT_EQ(hours.size(), 4u);
  EXPECT_EQ(hours[0].open_time_ms, kT0 + 3 * kHour);
  EXPECT_EQ(hours[1].open_time_ms, kT0 + 4 * kHour);
  const std::vector<Candle> four_hours = *RollUp(minutes, Interval::k4h);
  ASSERT_EQ(four_hours.size(), 4u);
  EXPECT_EQ(four_hours[0].open_time_ms, kT0);
  EXPECT_EQ(four_hours[1].open_time_ms, kT0 + 4 * kHour);
  EXPECT_EQ(four_hours[2].open_time_ms, kT0 + 20 * kHour);
  const std::vector<Candle> days = *RollUp(minutes, Interval::k1d);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].open_time_ms, kT0);
  EXPECT_EQ(days[0].open, D("1"));
  EXPECT_EQ(days[0].close, D("3"));
  EXPECT_EQ(days[0].high, D("3"));
  EXPECT_EQ(days[0].volume, D("3"));
  EXPECT_EQ(days[1].open_time_ms, kT0 + 24 * kHour);
}

TEST(RollUpTest, SortsUnorderedInputOfSeveralSymbols) {
  const std::vector<Candle> minutes = {
      Minute("ETH", kT0 + 16 * kMinute, "12", "12", "12", "12", "1"),
      Minute("BTC", kT0 + 2 * kMinute, "3", "3", "3", "3", "1"),
      Minute("ETH", kT0 + 1 * kMinute, "11", "11", "11", "11", "1"),
      Minute("BTC", kT0, "1", "1", "1", "1", "1"),
      Minute("BTC", kT0 + 1 * kMinute, "2", "2", "2", "2", "1"),
  };
  const std::vector<Candle> rolled = *RollUp(minutes, Interval::k15m);
  ASSERT_EQ(rolled.size(), 3u);
  EXPECT_EQ(rolled[0].symbol, "BTC");
  EXPECT_EQ(rolled[0].open, D("1"));
  EXPECT_EQ(rolled[0].close, D("3"));
  EXPECT_EQ(rolled[1].symbol, "ETH");
  EXPECT_EQ(rolled[1].open_time_ms, kT0);
  EXPECT_EQ(rolled[2].symbol, "ETH");
  EXPECT_EQ(rolled[2].open_time_ms, kT0 + 15 * kMinute);
}

TEST(RollUpTest, ClosedOnlyWhenEveryInputIsClosedAndBucketEnded) {
  const std::vector<Candle> minutes = {
      Minute("X", kT0, "1", "1", "1", "1", "1", 1, true),
      Minute("X", kT0 + kMinute, "1", "1", "1", "1", "1", 1, false),
      Minute("X", kT0 + 5 * kMinute, "1", "1", "1", "1", "1", 1, true),
  };
  const std::vector<Candle> rolled = *RollUp(minutes, Interval::k5m);
  ASSERT_EQ(rolled.size(), 2u);
  EXPECT_FALSE(rolled[0].closed);
  EXPECT_TRUE(rolled[1].closed);
  const std::vector<Candle> live =
      *RollUp(minutes, Interval::k5m, kT0 + 7 * kMinute);
  EXPECT_FALSE(live[1].closed);  // its five minutes are not over
  const std::vector<Candle> later =
      *RollUp(minutes, Interval::k5m, kT0 + 10 * kMinute);
  EXPECT_TRUE(later[1].closed);
}

TEST(RollUpTest, OneMinuteTargetReturnsSortedCopy) {
  const std::vector<Candle> minutes = {
      Minute("X", kT0 + kMinute, "2", "2", "2", "2", "1"),
      Minute("X", kT0, "1", "1", "1", "1", "1"),
  };
  const std::vector<Candle> rolled = *RollUp(minutes, Interval::k1m);
  ASSERT_EQ(rolled.size(), 2u);
  EXPECT_EQ(rolled[0], minutes[1]);
  EXPECT_EQ(rolled[1], minutes[0]);
  EXPECT_TRUE(RollUp({}, Interval::k1d)->empty());
}

TEST(RollUpTest, RejectsBadInput) {
  Candle wrong_interval = Minute("X", kT0, "1", "1", "1", "1", "1");
  wrong_interval.interval = Interval::k5m;
  absl::StatusOr<std::vector<Candle>> result =
      RollUp({wrong_interval}, Interval::k1h);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("one_minute[0]"), std::string::npos);

  result =
      RollUp({Minute("X", kT0 + 1, "1", "1", "1", "1", "1")}, Interval::k1h);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);

  result = RollUp({Minute("X", kT0, "1", "1", "1", "1", "1"),
                   Minute("X", kT0, "2", "2", "2", "2", "1")},
                  Interval::k1h);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("two candles"), std::string::npos);

  result = RollUp({Minute("X", kT0, "1", "1", "1", "1", "1e20"),
                   Minute("X", kT0 + kMinute, "1", "1", "1", "1", "1e20")},
                  Interval::k1h);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(RollUpTest, AggregatorOutputRollsUpToTheSameTotals) {
  CandleAggregator aggregator;
  common::Decimal total_volume;
  int64_t trade_id = 0;
  for (int second = 0; second < 15 * 60; second += 7) {
    const common::Decimal price = *D("100").Add(
        *common::Decimal::FromInteger(second % 13).Divide(D("4")));
    const common::Decimal quantity =
        *common::Decimal::FromInteger(second % 5 + 1).Divide(D("1000"));
    total_volume = *total_volume.Add(quantity);
    aggregator.Ingest(
        Tick{"BTCUSDT", price, quantity, kT0 + second * 1000LL, ++trade_id});
  }
  aggregator.AdvanceTo(kT0 + 60 * kMinute);
  const std::vector<Candle> minutes = aggregator.TakeClosedCandles();
  EXPECT_EQ(minutes.size(), 15u);
  const std::vector<Candle> quarter = *RollUp(minutes, Interval::k15m);
  ASSERT_EQ(quarter.size(), 1u);
  EXPECT_EQ(quarter[0].volume, total_volume);
  EXPECT_EQ(quarter[0].trade_count, trade_id);
  EXPECT_EQ(quarter[0].open, D("100"));
  EXPECT_EQ(quarter[0].high, D("103"));
  EXPECT_EQ(quarter[0].low, D("100"));
}

}  // namespace
}  // namespace cryptotracker::pricing::domain
