#include "services/pricing-service/client/price_book.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace cryptotracker::pricing::client {
namespace {

using std::chrono::seconds;

// A fixed instant as the fake clock's zero.
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'765'000'000));

Price MakePrice(const std::string& symbol, const std::string& last,
                TimePoint update_time, const std::string& quote = "USD") {
  Price price;
  price.symbol = symbol;
  price.quote = quote;
  price.last = *Decimal::Parse(last);
  price.update_time = update_time;
  return price;
}

TEST(PriceBookTest, KeepsTheLatestPricePerSymbolAndQuote) {
  PriceBook book;
  EXPECT_FALSE(book.Get("BTC", "USD", kT0).has_value());
  book.Apply(MakePrice("BTC", "100", kT0), kT0);
  book.Apply(MakePrice("BTC", "90", kT0, "EUR"), kT0);
  book.Apply(MakePrice("BTC", "101.5", kT0 + seconds(1)), kT0 + seconds(1));
  auto usd = book.Get("BTC", "USD", kT0 + seconds(1));
  ASSERT_TRUE(usd.has_value());
  EXPECT_EQ(usd->price.last, *Decimal::Parse("101.5"));
  EXPECT_EQ(usd->received_at, kT0 + seconds(1));
  EXPECT_EQ(book.Get("BTC", "EUR", kT0)->price.last, *Decimal::Parse("90"));
  EXPECT_EQ(book.size(), 2u);
  EXPECT_EQ(book.Snapshot(kT0).size(), 2u);
}

TEST(PriceBookTest, IgnoresAnOlderUpdateButAcceptsAnEqualTime) {
  PriceBook book;
  book.Apply(MakePrice("ETH", "10", kT0 + seconds(5)), kT0);
  EXPECT_FALSE(book.Apply(MakePrice("ETH", "9", kT0 + seconds(4)), kT0));
  EXPECT_EQ(book.Get("ETH", "USD", kT0)->price.last, *Decimal::Parse("10"));
  // A stale-flag-only update keeps the time.
  Price flagged = MakePrice("ETH", "10", kT0 + seconds(5));
  flagged.stale = true;
  EXPECT_TRUE(book.Apply(flagged, kT0));
  EXPECT_TRUE(book.Get("ETH", "USD", kT0)->stale);
}

TEST(PriceBookTest, APriceOlderThanMaxAgeReadsStale) {
  PriceBook book({.max_age = seconds(30), .disconnect_grace = seconds(10)});
  book.MarkConnected("USD", kT0);
  book.Apply(MakePrice("BTC", "100", kT0), kT0);
  EXPECT_FALSE(book.Get("BTC", "USD", kT0 + seconds(30))->stale);
  EXPECT_TRUE(book.Get("BTC", "USD", kT0 + seconds(31))->stale);
  // A new price is fresh again.
  book.Apply(MakePrice("BTC", "100", kT0 + seconds(31)), kT0 + seconds(31));
  EXPECT_FALSE(book.Get("BTC", "USD", kT0 + seconds(31))->stale);
}

TEST(PriceBookTest, DisconnectedBeyondTheGraceReadsStaleUntilReconnected) {
  PriceBook book({.max_age = seconds(600), .disconnect_grace = seconds(10)});
  book.MarkConnected("USD", kT0);
  book.Apply(MakePrice("BTC", "100", kT0), kT0);
  book.Apply(MakePrice("BTC", "90", kT0, "EUR"), kT0);
  book.MarkConnected("EUR", kT0);
  book.MarkDisconnected("USD", kT0 + seconds(1));
  EXPECT_FALSE(book.IsConnected("USD"));
  EXPECT_FALSE(book.Get("BTC", "USD", kT0 + seconds(11))->stale);
  // Failed reconnection attempts do not restart the grace period.
  book.MarkDisconnected("USD", kT0 + seconds(8));
  EXPECT_TRUE(book.Get("BTC", "USD", kT0 + seconds(12))->stale);
  // Only that quote's stream is down.
  EXPECT_FALSE(book.Get("BTC", "EUR", kT0 + seconds(12))->stale);
  book.MarkConnected("USD", kT0 + seconds(13));
  EXPECT_TRUE(book.IsConnected("USD"));
  EXPECT_FALSE(book.Get("BTC", "USD", kT0 + seconds(13))->stale);
  // Down again later: a new grace period from then.
  book.MarkDisconnected("USD", kT0 + seconds(100));
  EXPECT_FALSE(book.Get("BTC", "USD", kT0 + seconds(105))->stale);
  EXPECT_TRUE(book.Get("BTC", "USD", kT0 + seconds(111))->stale);
}

TEST(PriceBookTest, TheServersStaleFlagIsKept) {
  PriceBook book;
  Price price = MakePrice("SOL", "20", kT0);
  price.stale = true;
  book.Apply(price, kT0);
  EXPECT_TRUE(book.Get("SOL", "USD", kT0)->stale);
}

TEST(PriceBookTest, ListenersHearEveryUpdateWithThePreviousPrice) {
  PriceBook book;
  std::vector<PriceMove> heard;
  const auto id = book.AddListener(
      [&heard](const PriceMove& move) { heard.push_back(move); });
  book.Apply(MakePrice("BTC", "100", kT0), kT0);
  book.Apply(MakePrice("BTC", "100", kT0 + seconds(1)),
             kT0);  // statistics only
  book.Apply(MakePrice("BTC", "99", kT0 + seconds(2)), kT0);
  book.Apply(MakePrice("BTC", "1", kT0 - seconds(1)), kT0);  // older: ignored
  ASSERT_EQ(heard.size(), 3u);
  EXPECT_FALSE(heard[0].previous_last.has_value());
  EXPECT_TRUE(heard[0].moved());
  EXPECT_FALSE(heard[1].moved());
  EXPECT_EQ(*heard[2].previous_last, *Decimal::Parse("100"));
  EXPECT_EQ(heard[2].price.last, *Decimal::Parse("99"));
  EXPECT_TRUE(heard[2].moved());
  book.RemoveListener(id);
  book.Apply(MakePrice("BTC", "98", kT0 + seconds(3)), kT0);
  EXPECT_EQ(heard.size(), 3u);
}

TEST(PriceBookTest, AListenerMayReadTheBook) {
  PriceBook book;
  std::optional<BookEntry> seen;
  book.AddListener([&](const PriceMove& move) {
    seen = book.Get(move.price.symbol, move.price.quote, kT0);
  });
  book.Apply(MakePrice("ADA", "0.5", kT0), kT0);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->price.last, *Decimal::Parse("0.5"));
}

TEST(PriceBookTest, ConcurrentWritersAndReadersAgree) {
  PriceBook book;
  std::atomic<int> heard = 0;
  book.AddListener([&heard](const PriceMove&) { ++heard; });
  constexpr int kUpdates = 2'000;
  std::thread writer([&] {
    for (int i = 1; i <= kUpdates; ++i) {
      book.Apply(MakePrice("BTC", std::to_string(i), kT0 + seconds(i)), kT0);
    }
  });
  std::thread reader([&] {
    Decimal last;
    for (int i = 0; i < kUpdates; ++i) {
      if (auto entry = book.Get("BTC", "USD", kT0)) {
        EXPECT_GE(entry->price.last, last);  // never goes back
        last = entry->price.last;
      }
    }
  });
  writer.join();
  reader.join();
  EXPECT_EQ(heard.load(), kUpdates);
  EXPECT_EQ(book.Get("BTC", "USD", kT0)->price.last,
            Decimal::FromInteger(kUpdates));
}

}  // namespace
}  // namespace cryptotracker::pricing::client
