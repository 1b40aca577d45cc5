#include "testing/exchange-sim/market_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/exchange-sim/wire_format.h"

namespace cryptotracker::exchange_sim {
namespace {

// 2025-03-10T12:00:00Z, after the anchor; and a minute in 2023, before it.
constexpr int64_t kAfterAnchorMs = 1'741'608'000'000;
constexpr int64_t kBeforeAnchorMs = 1'690'000'020'000;

int Asset(const MarketModel& model, const char* pair) {
  const int index = model.FindPair(pair);
  EXPECT_GE(index, 0) << pair;
  return index;
}

TEST(MarketModelTest, DefaultAssetsCoverTopCoinsAndEuro) {
  const MarketModel model(1, 64);
  for (const char* pair :
       {"BTCUSDT",   "ETHUSDT", "BNBUSDT",  "SOLUSDT",  "XRPUSDT", "ADAUSDT",
        "DOGEUSDT",  "TRXUSDT", "TONUSDT",  "AVAXUSDT", "DOTUSDT", "LINKUSDT",
        "MATICUSDT", "LTCUSDT", "BCHUSDT",  "SHIBUSDT", "XLMUSDT", "UNIUSDT",
        "ATOMUSDT",  "ETCUSDT", "NEARUSDT", "APTUSDT",  "EURUSDT"}) {
    EXPECT_GE(model.FindPair(pair), 0) << pair;
  }
  EXPECT_EQ(model.FindPair("NOPEUSDT"), -1);
  EXPECT_EQ(model.FindCoinGeckoId("bitcoin"), model.FindPair("BTCUSDT"));
}

TEST(MarketModelTest, RejectsTradeCountsThatAreNotPowersOfTwo) {
  EXPECT_THROW(MarketModel(1, 60), std::invalid_argument);
  EXPECT_THROW(MarketModel(1, 0), std::invalid_argument);
  EXPECT_THROW(MarketModel(1, 8192), std::invalid_argument);
}

TEST(MarketModelTest, TradesPerMinuteForRateRoundsToPowersOfTwo) {
  EXPECT_EQ(MarketModel::TradesPerMinuteForRate(1.0), 64);     // 60 -> 64
  EXPECT_EQ(MarketModel::TradesPerMinuteForRate(20.0), 1024);  // 1200
  EXPECT_EQ(MarketModel::TradesPerMinuteForRate(0.0), 1);
  EXPECT_EQ(MarketModel::TradesPerMinuteForRate(1000.0), 4096);
}

TEST(MarketModelTest, PriceAtAnchorIsTheStartPrice) {
  const MarketModel model(7, 64);
  for (int i = 0; i < static_cast<int>(model.assets().size()); ++i) {
    EXPECT_DOUBLE_EQ(model.PriceAtGridStep(i, 0), model.asset(i).start_price);
  }
}

TEST(MarketModelTest, SameSeedSameTradesDifferentSeedDifferentPrices) {
  const MarketModel a(42, 64);
  const MarketModel b(42, 64);
  const MarketModel c(43, 64);
  const int btc = Asset(a, "BTCUSDT");
  const std::vector<Trade> first = a.TradesInMinute(btc, kAfterAnchorMs);
  const std::vector<Trade> second = b.TradesInMinute(btc, kAfterAnchorMs);
  const std::vector<Trade> other = c.TradesInMinute(btc, kAfterAnchorMs);
  ASSERT_EQ(first.size(), 64u);
  ASSERT_EQ(second.size(), 64u);
  int differing = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].id, second[i].id);
    EXPECT_EQ(first[i].time_ms, second[i].time_ms);
    EXPECT_EQ(first[i].price_ticks, second[i].price_ticks);
    EXPECT_EQ(first[i].quantity_units, second[i].quantity_units);
    EXPECT_EQ(first[i].buyer_is_maker, second[i].buyer_is_maker);
    if (first[i].price_ticks != other[i].price_ticks) ++differing;
  }
  EXPECT_GT(differing, 32);
}

TEST(MarketModelTest, TradesAreOrderedInsideTheirMinuteWithGrowingIds) {
  const MarketModel model(3, 256);
  const int eth = Asset(model, "ETHUSDT");
  int64_t last_id = 0;
  int64_t last_time = 0;
  for (int64_t minute = kAfterAnchorMs; minute < kAfterAnchorMs + 5 * 60'000;
       minute += 60'000) {
    const std::vector<Trade> trades = model.TradesInMinute(eth, minute);
    ASSERT_EQ(trades.size(), 256u);
    for (const Trade& trade : trades) {
      EXPECT_GT(trade.id, last_id);
      EXPECT_GE(trade.time_ms, minute);
      EXPECT_LT(trade.time_ms, minute + 60'000);
      EXPECT_GT(trade.time_ms, last_time);
      EXPECT_GT(trade.price_ticks, 0);
      EXPECT_GT(trade.quantity_units, 0);
      last_id = trade.id;
      last_time = trade.time_ms;
    }
  }
  EXPECT_TRUE(model.TradesInMinute(eth, kFirstKlineMs - 60'000).empty());
  EXPECT_TRUE(model.TradesInMinute(eth, kAfterAnchorMs + 1).empty());
}

// Random access (descending the bridge tree to one grid point) and the
// minute refinement used for trades must give the same path, on both sides
// of the anchor: this is what makes history and live data agree.
TEST(MarketModelTest, TradePricesMatchRandomAccessPath) {
  const MarketModel model(11, 16);
  const int sol = Asset(model, "SOLUSDT");
  const double scale = std::pow(10.0, model.asset(sol).price_decimals);
  for (int64_t minute :
       {kAfterAnchorMs, kBeforeAnchorMs, kAnchorMs, kAnchorMs - 60'000}) {
    const std::vector<Trade> trades = model.TradesInMinute(sol, minute);
    ASSERT_EQ(trades.size(), 16u);
    const int64_t first_step =
        (minute - kAnchorMs) / 60'000 * kGridStepsPerMinute;
    for (size_t j = 0; j < trades.size(); ++j) {
      const double price = model.PriceAtGridStep(
          sol,
          first_step + static_cast<int64_t>(j) * (kGridStepsPerMinute / 16));
      EXPECT_EQ(trades[j].price_ticks, std::llround(price * scale))
          << "minute " << minute << " trade " << j;
    }
  }
}

// A faster tick rate samples the same path more densely: it does not change
// the prices at the grid points both rates trade. (The time stamps differ by
// the phase, a fraction of each rate's own spacing.)
TEST(MarketModelTest, TickRateDoesNotChangeThePath) {
  const MarketModel slow(5, 64);
  const MarketModel fast(5, 1024);
  const int btc = Asset(slow, "BTCUSDT");
  const std::vector<Trade> a = slow.TradesInMinute(btc, kAfterAnchorMs);
  const std::vector<Trade> b = fast.TradesInMinute(btc, kAfterAnchorMs);
  for (size_t j = 0; j < a.size(); ++j) {
    EXPECT_EQ(a[j].price_ticks, b[j * 16].price_ticks);
    EXPECT_EQ(a[j].id, b[j * 16].id);
    // Grid instant j / 64 of the minute; spacings 937.5 and 58.6 ms.
    const int64_t grid_time =
        kAfterAnchorMs + static_cast<int64_t>(j) * kMinuteMs / 64;
    EXPECT_GE(a[j].time_ms, grid_time);
    EXPECT_LT(a[j].time_ms, grid_time + 938);
    EXPECT_GE(b[j * 16].time_ms, grid_time);
    EXPECT_LT(b[j * 16].time_ms, grid_time + 59);
  }
}

// Each asset trades at its own phase within the trade spacing: the market
// is not one burst per spacing, every trade stays inside its minute, and
// the phases are a pure function of the seed.
TEST(MarketModelTest, AssetsTradeAtDistinctDeterministicPhases) {
  for (int tpm : {1, 64, 1024, 4096}) {
    const MarketModel model(42, tpm);
    const MarketModel same(42, tpm);
    const MarketModel other(43, tpm);
    const int64_t spacing_units = kMinuteMs;  // in 1/tpm ms
    std::set<int64_t> phases;
    std::set<int64_t> first_times;
    int differing = 0;
    for (int i = 0; i < static_cast<int>(model.assets().size()); ++i) {
      const int64_t phase = model.TradePhase(i);
      EXPECT_GE(phase, 0);
      EXPECT_LT(phase, spacing_units);
      EXPECT_EQ(phase, same.TradePhase(i));
      if (phase != other.TradePhase(i)) ++differing;
      phases.insert(phase);
      const std::vector<Trade> trades = model.TradesInMinute(i, kAfterAnchorMs);
      ASSERT_EQ(trades.size(), static_cast<size_t>(tpm));
      first_times.insert(trades.front().time_ms);
      const std::vector<Trade> again = same.TradesInMinute(i, kAfterAnchorMs);
      for (size_t j = 0; j < trades.size(); ++j) {
        // Inside the minute, after the grid instant, before the next one.
        const int64_t grid =
            kAfterAnchorMs + static_cast<int64_t>(j) * kMinuteMs / tpm;
        const int64_t next_grid =
            kAfterAnchorMs + static_cast<int64_t>(j + 1) * kMinuteMs / tpm;
        EXPECT_GE(trades[j].time_ms, grid);
        EXPECT_LT(trades[j].time_ms, std::max(next_grid, grid + 1));
        EXPECT_LT(trades[j].time_ms, kAfterAnchorMs + kMinuteMs);
        if (j > 0) EXPECT_GT(trades[j].time_ms, trades[j - 1].time_ms);
        EXPECT_EQ(trades[j].time_ms, again[j].time_ms);
        EXPECT_EQ(trades[j].price_ticks, again[j].price_ticks);
        EXPECT_EQ(trades[j].id, again[j].id);
      }
    }
    EXPECT_EQ(phases.size(), model.assets().size()) << tpm;
    EXPECT_GT(differing, static_cast<int>(model.assets().size()) / 2) << tpm;
    // At one trade a second the first trades spread over the second rather
    // than landing on the same millisecond.
    if (tpm == 64) {
      EXPECT_GE(first_times.size(), model.assets().size() - 2);
      EXPECT_GT(*first_times.rbegin() - *first_times.begin(), 500);
    }
  }
}

TEST(MarketModelTest, NextTradeTimeAfterMatchesTheTrades) {
  for (int tpm : {1, 64, 1024, 4096}) {
    const MarketModel model(8, tpm);
    for (const char* pair : {"BTCUSDT", "EURUSDT"}) {
      const int asset = Asset(model, pair);
      const int64_t from = kAfterAnchorMs - 2 * kMinuteMs;
      const std::vector<Trade> trades =
          model.TradesBetween(asset, from, from + 4 * kMinuteMs);
      ASSERT_EQ(trades.size(), static_cast<size_t>(4 * tpm));
      // Just before, at and just after trades, and around the minutes.
      std::vector<int64_t> probes;
      for (size_t k = 0; k + 1 < trades.size(); k += tpm > 64 ? 7 : 1) {
        probes.insert(probes.end(), {trades[k].time_ms - 1, trades[k].time_ms,
                                     trades[k].time_ms + 1});
      }
      for (int m = 1; m < 4; ++m) {
        const int64_t boundary = from + m * kMinuteMs;
        probes.insert(probes.end(), {boundary - 1, boundary, boundary + 1});
      }
      for (int64_t probe : probes) {
        auto next = std::upper_bound(
            trades.begin(), trades.end(), probe,
            [](int64_t time, const Trade& t) { return time < t.time_ms; });
        ASSERT_NE(next, trades.end());
        EXPECT_EQ(model.NextTradeTimeAfter(asset, probe), next->time_ms)
            << pair << " tpm " << tpm << " probe " << probe;
      }
    }
  }
  const MarketModel model(8, 64);
  EXPECT_EQ(model.NextTradeTimeAfter(0, 0),
            model.TradesInMinute(0, kFirstKlineMs).front().time_ms);
}

// Klines are the aggregate of the (phased) trades, whether built from the
// whole minute, from the trades in a time range, or seen partially live.
TEST(MarketModelTest, KlinesAggregateTheSameTrades) {
  const MarketModel model(42, 64);
  for (int i = 0; i < static_cast<int>(model.assets().size()); ++i) {
    const int64_t minute = kAfterAnchorMs + 3 * kMinuteMs;
    const std::vector<Trade> trades = model.TradesInMinute(i, minute);
    Bar from_trades;
    from_trades.open_time_ms = minute;
    for (const Trade& trade :
         model.TradesBetween(i, minute, minute + kMinuteMs)) {
      from_trades.Add(trade);
    }
    const Bar kline =
        model.Aggregate(i, minute, kMinuteMs, minute + 86'400'000);
    EXPECT_EQ(kline.trade_count, 64);
    EXPECT_EQ(kline.trade_count, from_trades.trade_count);
    EXPECT_EQ(kline.open_ticks, trades.front().price_ticks);
    EXPECT_EQ(kline.close_ticks, trades.back().price_ticks);
    EXPECT_EQ(kline.high_ticks, from_trades.high_ticks);
    EXPECT_EQ(kline.low_ticks, from_trades.low_ticks);
    EXPECT_EQ(kline.volume_units, from_trades.volume_units);
    EXPECT_TRUE(kline.quote_volume == from_trades.quote_volume);
    EXPECT_EQ(kline.last_trade_time_ms, trades.back().time_ms);
    // Live, just before and at the 20th trade: the partial kline counts the
    // trades stamped up to the clock.
    const int64_t t = trades[19].time_ms;
    EXPECT_EQ(model.Aggregate(i, minute, kMinuteMs, t - 1).trade_count, 19);
    EXPECT_EQ(model.Aggregate(i, minute, kMinuteMs, t).trade_count, 20);
    EXPECT_EQ(model.Aggregate(i, minute, kMinuteMs, t).close_ticks,
              trades[19].price_ticks);
  }
}

TEST(MarketModelTest, KlinesAreConsistentAcrossIntervalsAndClocks) {
  const MarketModel model(9, 64);
  const int xrp = Asset(model, "XRPUSDT");
  const int64_t hour = kAfterAnchorMs;
  const int64_t later = hour + 10 * 3'600'000;
  const Bar hourly = model.Aggregate(xrp, hour, 3'600'000, later);
  Bar merged;
  merged.open_time_ms = hour;
  for (int m = 0; m < 60; ++m) {
    merged.Merge(model.Aggregate(xrp, hour + m * 60'000, 60'000, later));
  }
  EXPECT_EQ(hourly.open_ticks, merged.open_ticks);
  EXPECT_EQ(hourly.high_ticks, merged.high_ticks);
  EXPECT_EQ(hourly.low_ticks, merged.low_ticks);
  EXPECT_EQ(hourly.close_ticks, merged.close_ticks);
  EXPECT_EQ(hourly.volume_units, merged.volume_units);
  EXPECT_TRUE(hourly.quote_volume == merged.quote_volume);
  EXPECT_EQ(hourly.trade_count, 60 * 64);

  // A minute seen live (partial, then complete) equals the same minute
  // served as history a day later, through the cache or not.
  const int64_t minute = hour + 7 * 60'000;
  const Bar partial = model.Aggregate(xrp, minute, 60'000, minute + 29'999);
  const Bar live = model.Aggregate(xrp, minute, 60'000, minute + 59'999);
  const Bar history = model.Aggregate(xrp, minute, 60'000, minute + 86'400'000);
  EXPECT_EQ(partial.trade_count, 32);
  EXPECT_EQ(partial.open_ticks, live.open_ticks);
  EXPECT_EQ(live.close_ticks, history.close_ticks);
  EXPECT_EQ(live.high_ticks, history.high_ticks);
  EXPECT_EQ(live.volume_units, history.volume_units);
  const std::vector<Trade> trades = model.TradesInMinute(xrp, minute);
  EXPECT_EQ(live.close_ticks, trades.back().price_ticks);
  EXPECT_EQ(live.first_trade_id, trades.front().id);
  EXPECT_EQ(live.last_trade_id, trades.back().id);
}

std::vector<double> MinuteLogReturns(const MarketModel& model, int asset,
                                     int64_t first_step, int count) {
  std::vector<double> returns;
  double previous = std::log(model.PriceAtGridStep(asset, first_step));
  for (int i = 1; i <= count; ++i) {
    const double current = std::log(
        model.PriceAtGridStep(asset, first_step + i * kGridStepsPerMinute));
    returns.push_back(current - previous);
    previous = current;
  }
  return returns;
}

double Correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0;
  double sxx = 0;
  double syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(MarketModelTest, CorrelationAndVolatilityAreAsConfigured) {
  const MarketModel model(2024, 64);
  const int btc = Asset(model, "BTCUSDT");
  const int eth = Asset(model, "ETHUSDT");
  const int eur = Asset(model, "EURUSDT");
  constexpr int kMinutes = 20'000;
  const int64_t start = 3'000 * kGridStepsPerMinute;
  const std::vector<double> r_btc =
      MinuteLogReturns(model, btc, start, kMinutes);
  const std::vector<double> r_eth =
      MinuteLogReturns(model, eth, start, kMinutes);
  const std::vector<double> r_eur =
      MinuteLogReturns(model, eur, start, kMinutes);

  const double expected =
      model.asset(btc).market_beta * model.asset(eth).market_beta;
  // Standard error of a correlation estimate over 20,000 samples is < 0.01.
  EXPECT_NEAR(Correlation(r_btc, r_eth), expected, 0.04);
  EXPECT_NEAR(Correlation(r_btc, r_eur), 0.0, 0.04);

  double sum_squares = 0;
  for (double r : r_btc) sum_squares += r * r;
  const double annualised = std::sqrt(sum_squares / kMinutes * 365.0 * 24 * 60);
  EXPECT_NEAR(annualised, model.asset(btc).annual_volatility,
              0.05 * model.asset(btc).annual_volatility);
}

// --- History: one series from the listing to now --------------------------

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;
// 2026-12-01T00:00:00Z: "now" for the history tests, so every kline below
// is closed.
constexpr int64_t kHistoryNowMs = 1'796'083'200'000;

void ExpectSameBar(const Bar& a, const Bar& b, const std::string& what) {
  EXPECT_EQ(a.open_time_ms, b.open_time_ms) << what;
  EXPECT_EQ(a.open_ticks, b.open_ticks) << what;
  EXPECT_EQ(a.high_ticks, b.high_ticks) << what;
  EXPECT_EQ(a.low_ticks, b.low_ticks) << what;
  EXPECT_EQ(a.close_ticks, b.close_ticks) << what;
  EXPECT_EQ(a.volume_units, b.volume_units) << what;
  EXPECT_TRUE(a.quote_volume == b.quote_volume) << what;
  EXPECT_EQ(a.taker_buy_volume_units, b.taker_buy_volume_units) << what;
  EXPECT_TRUE(a.taker_buy_quote_volume == b.taker_buy_quote_volume) << what;
  EXPECT_EQ(a.trade_count, b.trade_count) << what;
  EXPECT_EQ(a.first_trade_id, b.first_trade_id) << what;
  EXPECT_EQ(a.last_trade_id, b.last_trade_id) << what;
  EXPECT_EQ(a.last_trade_time_ms, b.last_trade_time_ms) << what;
}

Bar MergeOf(const MarketModel& model, int asset, int64_t open, int64_t width,
            int64_t parts) {
  Bar merged;
  merged.open_time_ms = open;
  for (int64_t i = 0; i < parts; ++i) {
    merged.Merge(
        model.Aggregate(asset, open + i * width, width, kHistoryNowMs));
  }
  return merged;
}

// A 1h kline is the aggregate of its sixty 1m klines, a 1d kline of its 24
// hours, a 4h of four hours, a 5m of five minutes, and a minute of its
// trades: over random hours and days since 2017, for every tick-rate
// regime (one trade a minute, two, a few, the default and a fast rate).
TEST(MarketModelHistoryTest, KlinesAreConsistentAcrossIntervalsSince2017) {
  std::mt19937_64 random(2017);
  for (int tpm : {1, 2, 4, 64, 1024}) {
    const MarketModel model(42, tpm);
    for (const char* pair : {"BTCUSDT", "SHIBUSDT", "EURUSDT", "TONUSDT"}) {
      const int asset = Asset(model, pair);
      const int64_t listing = model.ListingMs(asset);
      std::uniform_int_distribution<int64_t> day_of(listing / kDay,
                                                    kHistoryNowMs / kDay - 1);
      for (int sample = 0; sample < 3; ++sample) {
        const int64_t day = day_of(random) * kDay;
        const std::string what = std::string(pair) + " tpm " +
                                 std::to_string(tpm) + " day " +
                                 std::to_string(day);
        const Bar daily = model.Aggregate(asset, day, kDay, kHistoryNowMs);
        ExpectSameBar(daily, MergeOf(model, asset, day, kHour, 24), what);
        EXPECT_EQ(daily.trade_count, 1440 * tpm);
        const int64_t hour = day + static_cast<int64_t>(random() % 24) * kHour;
        const Bar hourly = model.Aggregate(asset, hour, kHour, kHistoryNowMs);
        ExpectSameBar(hourly, MergeOf(model, asset, hour, kMinuteMs, 60),
                      what + " hour " + std::to_string(hour));
        const int64_t four =
            day + static_cast<int64_t>(random() % 6) * 4 * kHour;
        ExpectSameBar(model.Aggregate(asset, four, 4 * kHour, kHistoryNowMs),
                      MergeOf(model, asset, four, kHour, 4), what + " 4h");
        const int64_t five =
            hour + static_cast<int64_t>(random() % 12) * 5 * kMinuteMs;
        ExpectSameBar(
            model.Aggregate(asset, five, 5 * kMinuteMs, kHistoryNowMs),
            MergeOf(model, asset, five, kMinuteMs, 5), what + " 5m");
        const int64_t minute = five + 2 * kMinuteMs;
        Bar from_trades;
        from_trades.open_time_ms = minute;
        for (const Trade& trade : model.TradesInMinute(asset, minute)) {
          from_trades.Add(trade);
          EXPECT_GE(trade.price_ticks, hourly.low_ticks) << what;
          EXPECT_LE(trade.price_ticks, hourly.high_ticks) << what;
          EXPECT_GT(trade.quantity_units, 0) << what;
        }
        ExpectSameBar(model.Aggregate(asset, minute, kMinuteMs, kHistoryNowMs),
                      from_trades, what + " minute");
        // A trade's part of the quote volume is its price times quantity,
        // to within a percent (a few at a few trades a minute).
        for (const Trade& trade : model.TradesInMinute(asset, minute)) {
          const double exact = static_cast<double>(trade.price_ticks) *
                               static_cast<double>(trade.quantity_units);
          EXPECT_NEAR(static_cast<double>(trade.quote_amount) / exact, 1.0,
                      tpm >= 64 ? 0.01 : 0.03)
              << what;
        }
      }
    }
  }
}

// A window that is still forming (now inside it) is the aggregate of the
// closed parts and the trades so far; once closed it is the history kline.
TEST(MarketModelHistoryTest, FormingKlinesBecomeTheHistoryKlines) {
  const MarketModel model(42, 64);
  const int btc = Asset(model, "BTCUSDT");
  const int64_t day = kHistoryNowMs - 20 * kDay;
  const int64_t now = day + 13 * kHour + 17 * kMinuteMs + 29'500;
  const Bar forming = model.Aggregate(btc, day, kDay, now);
  Bar expected = MergeOf(model, btc, day, kHour, 13);
  expected.Merge(MergeOf(model, btc, day + 13 * kHour, kMinuteMs, 17));
  Bar partial;
  partial.open_time_ms = now - 29'500;
  for (const Trade& trade : model.TradesInMinute(btc, now - 29'500)) {
    if (trade.time_ms <= now) partial.Add(trade);
  }
  expected.Merge(partial);
  ExpectSameBar(forming, expected, "forming day");
  EXPECT_GT(forming.last_quantity_units, 0);
  // An unaligned window (a 24-hour ticker's) is the aggregate of exactly
  // the trades inside it.
  const int64_t from = day - 5 * kHour - 12'345;
  const int64_t to = day + 2 * kHour + 7 * kMinuteMs + 30'001;
  Bar trades_in_window;
  trades_in_window.open_time_ms = from;
  for (const Trade& trade : model.TradesBetween(btc, from, to + 1)) {
    trades_in_window.Add(trade);
  }
  const Bar window = model.Aggregate(btc, from, to + 1 - from, to);
  ExpectSameBar(window, trades_in_window, "unaligned window");
  EXPECT_EQ(window.last_quantity_units, trades_in_window.last_quantity_units);
  const Bar closed = model.Aggregate(btc, day, kDay, day + kDay - 1);
  ExpectSameBar(closed, model.Aggregate(btc, day, kDay, kHistoryNowMs),
                "closed day");
}

// Nothing before a pair's listing; its first day opens at the listing
// price; BTC and ETH list on the model's first day.
TEST(MarketModelHistoryTest, HistoryStartsAtEachListing) {
  const MarketModel model(42, 64);
  EXPECT_EQ(model.ListingMs(Asset(model, "BTCUSDT")), kFirstKlineMs);
  EXPECT_EQ(model.ListingMs(Asset(model, "ETHUSDT")), kFirstKlineMs);
  for (int i = 0; i < static_cast<int>(model.assets().size()); ++i) {
    const AssetSpec& spec = model.asset(i);
    const int64_t listing = model.ListingMs(i);
    EXPECT_EQ(listing % kDay, 0) << spec.pair;
    EXPECT_GE(listing, kFirstKlineMs) << spec.pair;
    EXPECT_TRUE(model.TradesInMinute(i, listing - kMinuteMs).empty());
    EXPECT_FALSE(model.TradesInMinute(i, listing).empty());
    EXPECT_TRUE(
        model.Aggregate(i, listing - kDay, kDay, kHistoryNowMs).empty());
    const Bar first = model.Aggregate(i, listing, kDay, kHistoryNowMs);
    EXPECT_EQ(
        first.open_ticks,
        std::llround(spec.listing_price * std::pow(10.0, spec.price_decimals)))
        << spec.pair;
    // A window straddling the listing holds only the listed part.
    const Bar straddling =
        model.Aggregate(i, listing - kHour, 2 * kHour, kHistoryNowMs);
    EXPECT_EQ(straddling.trade_count, 60 * 64) << spec.pair;
    EXPECT_EQ(straddling.open_ticks, first.open_ticks) << spec.pair;
    EXPECT_EQ(model.NextTradeTimeAfter(i, 0),
              model.TradesInMinute(i, listing).front().time_ms);
  }
  EXPECT_GT(model.ListingMs(Asset(model, "SOLUSDT")),
            model.ListingMs(Asset(model, "BNBUSDT")));
}

// Daily closes stay in a plausible band: BTC from about 4,000 in 2017 to
// its 2025 level, never absurd, and every day's high and low bracket its
// open and close.
TEST(MarketModelHistoryTest, PricesStayInARealisticBand) {
  const MarketModel model(42, 64);
  for (int i = 0; i < static_cast<int>(model.assets().size()); ++i) {
    const AssetSpec& spec = model.asset(i);
    const double scale = std::pow(10.0, spec.price_decimals);
    const double low_bound =
        std::min(spec.listing_price, spec.start_price) / 1.6 / 1.5;
    const double high_bound =
        std::max(spec.listing_price, spec.start_price) * 1.6 * 1.5;
    for (int64_t day = model.ListingMs(i); day < kHistoryNowMs; day += kDay) {
      const Bar bar = model.Aggregate(i, day, kDay, kHistoryNowMs);
      ASSERT_FALSE(bar.empty()) << spec.pair << " " << day;
      ASSERT_LE(bar.low_ticks, std::min(bar.open_ticks, bar.close_ticks));
      ASSERT_GE(bar.high_ticks, std::max(bar.open_ticks, bar.close_ticks));
      ASSERT_GT(bar.low_ticks / scale, low_bound) << spec.pair << " " << day;
      ASSERT_LT(bar.high_ticks / scale, high_bound) << spec.pair << " " << day;
    }
  }
  const int btc = Asset(model, "BTCUSDT");
  const Bar first = model.Aggregate(btc, kFirstKlineMs, kDay, kHistoryNowMs);
  EXPECT_NEAR(first.open_ticks / 100.0, 4261, 1);
  const Bar anchor = model.Aggregate(btc, kAnchorMs, kDay, kHistoryNowMs);
  EXPECT_EQ(anchor.open_ticks, 9'350'000);
}

// A year and more of daily klines costs O(1) each: no day is broken into
// hours; hourly klines break each day once.
TEST(MarketModelHistoryTest, LongRequestsDoNotReplayTheMinutes) {
  const MarketModel model(42, 64);
  const int btc = Asset(model, "BTCUSDT");
  const std::string daily = KlinesBody(model, btc, kDay, kFirstKlineMs,
                                       std::nullopt, 1000, kHistoryNowMs);
  EXPECT_EQ(model.children_built(), 0);
  EXPECT_EQ(std::count(daily.begin(), daily.end(), '['), 1001);
  const std::string hourly = KlinesBody(model, btc, kHour, kAnchorMs,
                                        std::nullopt, 1000, kHistoryNowMs);
  EXPECT_EQ(std::count(hourly.begin(), hourly.end(), '['), 1001);
  EXPECT_LE(model.children_built(), 42);  // 1000 hours: 42 days
}

TEST(WireFormatTest, FixedPointRendersExactDecimals) {
  EXPECT_EQ((FixedPoint{9351234, 2}.ToString(8)), "93512.34000000");
  EXPECT_EQ((FixedPoint{5, 8}.ToString(8)), "0.00000005");
  EXPECT_EQ((FixedPoint{-150, 2}.ToString(8)), "-1.50000000");
  EXPECT_EQ((FixedPoint{1234567, 9}.ToString(8)), "0.001234567");
  EXPECT_EQ((FixedPoint{0, 3}.ToString()), "0.000");
  EXPECT_EQ((FixedPoint{-3125, 3}.ToString()), "-3.125");
}

TEST(WireFormatTest, KlineRowHasTheTwelveBinanceFields) {
  const MarketModel model(1, 64);
  const int btc = model.FindPair("BTCUSDT");
  Bar bar;
  bar.open_time_ms = kAfterAnchorMs;
  bar.Add({10, kAfterAnchorMs, 9000012, 150, false});
  bar.Add({11, kAfterAnchorMs + 900, 9000000, 50, true});
  EXPECT_EQ(KlineRow(model.asset(btc), bar, 60'000),
            "[1741608000000,\"90000.12000000\",\"90000.12000000\","
            "\"90000.00000000\",\"90000.00000000\",\"0.00200000\","
            "1741608059999,\"180.00018000\",2,\"0.00150000\","
            "\"135.00018000\",\"0\"]");
  EXPECT_EQ(BinanceError(-1121, "Invalid symbol."),
            "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
  EXPECT_EQ(IsoTimestamp(1712508571736), "2024-04-07T16:49:31.736Z");
  EXPECT_EQ(BinanceIntervalMillis("1h"), 3'600'000);
  EXPECT_FALSE(BinanceIntervalMillis("1M").has_value());
}

}  // namespace
}  // namespace cryptotracker::exchange_sim
