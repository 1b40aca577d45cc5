#include "services/pricing-service/candles/candle_cache.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cryptotracker::pricing::candles {
namespace {

constexpr int64_t kHourMs = 3'600'000;

domain::Candle HourCandle(int64_t open_time_ms) {
  domain::Candle candle;
  candle.symbol = "BTCUSDT";
  candle.interval = domain::Interval::k1h;
  candle.open_time_ms = open_time_ms;
  candle.closed = true;
  return candle;
}

// "<open time>;" per candle, so that offsets and bytes are easy to check.
void Encode(const domain::Candle& candle, std::string* out) {
  *out += std::to_string(candle.open_time_ms) + ";";
}

// A loader that counts its calls and returns candles opening every hour
// before end_ms, at most three.
struct CountingLoader {
  int calls = 0;
  std::vector<int64_t> ends;

  CandleCache::Loader Fn() {
    return [this](int64_t end_ms) {
      ++calls;
      ends.push_back(end_ms);
      std::vector<domain::Candle> candles;
      const int64_t newest = (end_ms - 1) / kHourMs * kHourMs;
      for (int64_t t = newest - 2 * kHourMs; t <= newest; t += kHourMs) {
        if (t >= 0) candles.push_back(HourCandle(t));
      }
      return candles;
    };
  }
};

TEST(CandleCacheTest, ReusesASnapshotWithinTheTtl) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs + 10;
  auto first = cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  auto again =
      cache.Get("BTCUSDT", domain::Interval::k1h, t0 + 4'999, loader.Fn());
  EXPECT_EQ(loader.calls, 1);
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(first->end_ms, t0);
  ASSERT_EQ(first->candles.size(), 3u);
  EXPECT_EQ(first->candles.back().open_time_ms, 100 * kHourMs);
}

TEST(CandleCacheTest, ReloadsOnceExpired) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs;
  auto first = cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  auto second =
      cache.Get("BTCUSDT", domain::Interval::k1h, t0 + 5'000, loader.Fn());
  EXPECT_EQ(loader.calls, 2);
  EXPECT_NE(first.get(), second.get());
  EXPECT_EQ(second->end_ms, t0 + 5'000);
  // The new snapshot is kept.
  EXPECT_EQ(cache.Get("BTCUSDT", domain::Interval::k1h, t0 + 6'000, loader.Fn())
                .get(),
            second.get());
  EXPECT_EQ(loader.calls, 2);
}

TEST(CandleCacheTest, ReloadsWhenTheClockWentBack) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs;
  cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  // A snapshot read at t0 may hold candles opening after t0 - 1.
  auto earlier =
      cache.Get("BTCUSDT", domain::Interval::k1h, t0 - 1, loader.Fn());
  EXPECT_EQ(loader.calls, 2);
  EXPECT_EQ(earlier->end_ms, t0 - 1);
  EXPECT_LT(earlier->candles.back().open_time_ms, t0 - 1);
}

TEST(CandleCacheTest, KeysArePairAndInterval) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs;
  cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  cache.Get("ETHUSDT", domain::Interval::k1h, t0, loader.Fn());
  cache.Get("BTCUSDT", domain::Interval::k4h, t0, loader.Fn());
  cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  EXPECT_EQ(loader.calls, 3);
}

TEST(CandleCacheTest, ZeroTtlReadsEveryTime) {
  CandleCache cache(0, Encode);
  EXPECT_FALSE(cache.enabled());
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs;
  auto first = cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  auto second = cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  EXPECT_EQ(loader.calls, 2);
  EXPECT_EQ(first->candles.size(), 3u);
  EXPECT_EQ(second->EncodedFrom(0), first->EncodedFrom(0));
}

TEST(CandleCacheTest, EncodesEachCandleAtItsOffset) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  auto snapshot =
      cache.Get("BTCUSDT", domain::Interval::k1h, 3 * kHourMs + 1, loader.Fn());
  ASSERT_EQ(snapshot->candles.size(), 3u);
  ASSERT_EQ(snapshot->offsets.size(), 4u);
  const std::string one = std::to_string(kHourMs) + ";";
  const std::string two = std::to_string(2 * kHourMs) + ";";
  const std::string three = std::to_string(3 * kHourMs) + ";";
  EXPECT_EQ(snapshot->EncodedFrom(0), one + two + three);
  EXPECT_EQ(snapshot->EncodedFrom(2), three);
  EXPECT_EQ(snapshot->EncodedFrom(3), "");
}

TEST(CandleCacheTest, EmptySnapshotsAreNotKept) {
  // A pair with nothing stored yet (its history is being filled) shows its
  // first stored candles at once, not a TTL later.
  CandleCache cache(5'000, Encode);
  int calls = 0;
  const auto nothing = [&](int64_t) {
    ++calls;
    return std::vector<domain::Candle>{};
  };
  auto snapshot = cache.Get("BTCUSDT", domain::Interval::k1h, 1'000, nothing);
  cache.Get("BTCUSDT", domain::Interval::k1h, 2'000, nothing);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(snapshot->candles.empty());
  EXPECT_EQ(snapshot->EncodedFrom(0), "");
}

TEST(CandleCacheTest, StoringASnapshotKeepsTheFreshOnesOfOtherKeys) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs;
  cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  cache.Get("ETHUSDT", domain::Interval::k1h, t0 + 4'000, loader.Fn());
  // At t0 + 6s only the ETH snapshot is fresh: storing the SOL one drops
  // the expired BTC one (memory follows what is asked for now) but keeps
  // the ETH one.
  cache.Get("SOLUSDT", domain::Interval::k1h, t0 + 6'000, loader.Fn());
  cache.Get("ETHUSDT", domain::Interval::k1h, t0 + 6'000, loader.Fn());
  EXPECT_EQ(loader.calls, 3);
}

TEST(CandleCacheTest, AFailedLoadKeepsNothing) {
  CandleCache cache(5'000, Encode);
  const auto failing = [](int64_t) -> std::vector<domain::Candle> {
    throw std::runtime_error("database down");
  };
  EXPECT_THROW(cache.Get("BTCUSDT", domain::Interval::k1h, 1'000, failing),
               std::runtime_error);
  CountingLoader loader;
  cache.Get("BTCUSDT", domain::Interval::k1h, 1'000, loader.Fn());
  EXPECT_EQ(loader.calls, 1);
}

TEST(CandleCacheTest, AnExpiredSnapshotIsServedWhileAnotherCallerReloads) {
  CandleCache cache(5'000, Encode);
  CountingLoader loader;
  const int64_t t0 = 100 * kHourMs;
  auto old = cache.Get("BTCUSDT", domain::Interval::k1h, t0, loader.Fn());
  std::shared_ptr<const StoredCandles> during;
  // The reloading caller's loader asks the cache again, as a concurrent
  // caller would while the reload runs.
  auto fresh = cache.Get("BTCUSDT", domain::Interval::k1h, t0 + 10'000,
                         [&](int64_t end_ms) {
                           during = cache.Get("BTCUSDT", domain::Interval::k1h,
                                              t0 + 10'001, loader.Fn());
                           return loader.Fn()(end_ms);
                         });
  EXPECT_EQ(during.get(), old.get());
  EXPECT_EQ(fresh->end_ms, t0 + 10'000);
  EXPECT_EQ(loader.calls, 2);
}

}  // namespace
}  // namespace cryptotracker::pricing::candles
