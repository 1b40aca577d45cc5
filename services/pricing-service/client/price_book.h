// A local, thread-safe book of the latest price per (symbol, quote), fed by a
// PriceSubscription, so a service reads prices without a call per request.
//
// Staleness: an entry reads as stale when the pricing-service said so, when
// its update_time is older than BookOptions::max_age, or when the stream of
// its quote currency has been down for longer than
// BookOptions::disconnect_grace (the price may have moved meanwhile without
// anybody hearing). Every method that judges staleness takes the current
// time, so tests drive it with a fake clock; the overloads without one use
// the system clock.
#ifndef CRYPTOTRACKER_PRICING_CLIENT_PRICE_BOOK_H_
#define CRYPTOTRACKER_PRICING_CLIENT_PRICE_BOOK_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/pricing-service/client/prices.h"

namespace cryptotracker::pricing::client {

struct BookOptions {
  // The pricing-service's own default staleness limit (PRICE_STALE_SECONDS).
  std::chrono::seconds max_age{60};
  // Long enough to ride out a pricing-service restart, short enough that
  // nothing acts on a price nobody is watching.
  std::chrono::seconds disconnect_grace{10};
};

struct BookEntry {
  Price price;
  TimePoint received_at;
  bool stale = false;  // as judged at the time asked (see the file comment)
};

// One update applied to the book, as listeners see it.
struct PriceMove {
  Price price;
  // The last price before this update; empty for a symbol's first one.
  std::optional<Decimal> previous_last;
  // False for a statistics-only or stale-flag-only update, whose last price
  // is unchanged.
  bool moved() const { return !previous_last || *previous_last != price.last; }
};

class PriceBook {
 public:
  using Listener = std::function<void(const PriceMove&)>;
  using ListenerId = int;

  explicit PriceBook(BookOptions options = {});
  PriceBook(const PriceBook&) = delete;
  PriceBook& operator=(const PriceBook&) = delete;

  // Stores `price` as the latest of its (symbol, quote) unless the stored one
  // is newer (an update_time later than this one's), then tells every
  // listener. Returns false when the update was older and ignored.
  bool Apply(Price price, TimePoint received_at);

  // The stream of `quote` is up / down since `at`.
  void MarkConnected(const std::string& quote, TimePoint at);
  void MarkDisconnected(const std::string& quote, TimePoint at);
  bool IsConnected(std::string_view quote) const;

  std::optional<BookEntry> Get(std::string_view symbol, std::string_view quote,
                               TimePoint now) const;
  std::optional<BookEntry> Get(std::string_view symbol,
                               std::string_view quote) const {
    return Get(symbol, quote, std::chrono::system_clock::now());
  }
  // Every entry, by quote then symbol.
  std::vector<BookEntry> Snapshot(TimePoint now) const;
  std::size_t size() const;

  // `listener` is called after every applied update, on the thread that
  // applies it (the subscription's), without the book's lock held: it may
  // read the book, and should be quick, because the stream waits for it.
  ListenerId AddListener(Listener listener);
  // After this returns the listener is not called again, except by an
  // update already being delivered on another thread.
  void RemoveListener(ListenerId id);

 private:
  struct Feed {
    bool connected = false;
    TimePoint down_since;
  };

  bool IsStale(const BookEntry& entry, TimePoint now) const;  // mutex_ held

  const BookOptions options_;
  mutable std::mutex mutex_;
  // quote -> symbol -> entry; both keys upper-case as the server sends them.
  std::map<std::string, std::map<std::string, BookEntry, std::less<>>,
           std::less<>>
      entries_;
  std::map<std::string, Feed, std::less<>> feeds_;

  std::mutex listeners_mutex_;
  ListenerId next_listener_id_ = 1;
  std::map<ListenerId, std::shared_ptr<const Listener>> listeners_;
};

}  // namespace cryptotracker::pricing::client

#endif  // CRYPTOTRACKER_PRICING_CLIENT_PRICE_BOOK_H_
