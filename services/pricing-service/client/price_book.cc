#include "services/pricing-service/client/price_book.h"

#include <utility>

namespace cryptotracker::pricing::client {

PriceBook::PriceBook(BookOptions options) : options_(options) {}

bool PriceBook::Apply(Price price, TimePoint received_at) {
  PriceMove move;
  {
    std::lock_guard lock(mutex_);
    auto& by_symbol = entries_[price.quote];
    auto existing = by_symbol.find(price.symbol);
    if (existing != by_symbol.end()) {
      // A resubscription first repeats the current price, and a stale-flag
      // change keeps its time: equal times are updates too.
      if (price.update_time < existing->second.price.update_time) return false;
      move.previous_last = existing->second.price.last;
      existing->second.price = price;
      existing->second.received_at = received_at;
    } else {
      by_symbol.emplace(price.symbol, BookEntry{price, received_at, false});
    }
    move.price = std::move(price);
  }
  std::vector<std::shared_ptr<const Listener>> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    listeners.reserve(listeners_.size());
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) (*listener)(move);
  return true;
}

void PriceBook::MarkConnected(const std::string& quote, TimePoint) {
  std::lock_guard lock(mutex_);
  feeds_[quote].connected = true;
}

void PriceBook::MarkDisconnected(const std::string& quote, TimePoint at) {
  std::lock_guard lock(mutex_);
  Feed& feed = feeds_[quote];
  // The first moment counts: repeated failures while down do not restart
  // the grace period.
  if (feed.connected || feed.down_since == TimePoint()) feed.down_since = at;
  feed.connected = false;
}

bool PriceBook::IsConnected(std::string_view quote) const {
  std::lock_guard lock(mutex_);
  auto feed = feeds_.find(quote);
  return feed != feeds_.end() && feed->second.connected;
}

bool PriceBook::IsStale(const BookEntry& entry, TimePoint now) const {
  if (entry.price.stale) return true;
  if (now - entry.price.update_time > options_.max_age) return true;
  auto feed = feeds_.find(entry.price.quote);
  return feed != feeds_.end() && !feed->second.connected &&
         now - feed->second.down_since > options_.disconnect_grace;
}

std::optional<BookEntry> PriceBook::Get(std::string_view symbol,
                                        std::string_view quote,
                                        TimePoint now) const {
  std::lock_guard lock(mutex_);
  auto by_symbol = entries_.find(quote);
  if (by_symbol == entries_.end()) return std::nullopt;
  auto entry = by_symbol->second.find(symbol);
  if (entry == by_symbol->second.end()) return std::nullopt;
  BookEntry result = entry->second;
  result.stale = IsStale(result, now);
  return result;
}

std::vector<BookEntry> PriceBook::Snapshot(TimePoint now) const {
  std::lock_guard lock(mutex_);
  std::vector<BookEntry> result;
  for (const auto& [quote, by_symbol] : entries_) {
    for (const auto& [symbol, entry] : by_symbol) {
      result.push_back(entry);
      result.back().stale = IsStale(entry, now);
    }
  }
  return result;
}

std::size_t PriceBook::size() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [quote, by_symbol] : entries_) count += by_symbol.size();
  return count;
}

PriceBook::ListenerId PriceBook::AddListener(Listener listener) {
  std::lock_guard lock(listeners_mutex_);
  const ListenerId id = next_listener_id_++;
  listeners_.emplace(id, std::make_shared<const Listener>(std::move(listener)));
  return id;
}

void PriceBook::RemoveListener(ListenerId id) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(id);
}

}  // namespace cryptotracker::pricing::client
