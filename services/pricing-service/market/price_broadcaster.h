// Fan-out of "asset N changed" and "cross rate R changed" notifications to
// stream subscribers.
//
// Notifications carry only what changed, never the price: subscribers read
// the newest state when they actually write (see ConflatingOutbox), so a
// burst of updates costs a slow subscriber one message, not a queue.
#ifndef CRYPTOTRACKER_PRICING_MARKET_PRICE_BROADCASTER_H_
#define CRYPTOTRACKER_PRICING_MARKET_PRICE_BROADCASTER_H_

#include <cstddef>
#include <memory>
#include <shared_mutex>
#include <vector>

namespace cryptotracker::pricing::market {

// The pairs that convert USD prices into the other quote currencies. A move
// of one changes the price of every asset in that currency (EURUSDT has no
// asset of its own, so without this notice EUR streams would miss it).
enum class RatePair { kEurUsdt, kBtcUsdt };
inline constexpr size_t kRatePairCount = 2;

// What an update changed. Streams send a price at once and let new
// statistics ride along with the next price (or send them after a short
// hold): a miniTicker a second per symbol would otherwise double the
// messages every subscriber gets without telling it anything new about the
// price.
enum class PriceChange {
  // A trade (even at the same price: it is a tick with its own time), a
  // ticker with a new last price, the first price, or a staleness flip.
  kPrice,
  // A ticker that left the last price as it was: only the 24-hour
  // statistics and the report time changed.
  kStatisticsOnly,
};

class PriceSubscriber {
 public:
  virtual ~PriceSubscriber() = default;
  // Both are called on the publishing thread and must not block (no I/O,
  // no waiting for the client). Either may run concurrently with itself
  // and with the other.
  virtual void OnAssetUpdated(size_t asset_index, PriceChange change) = 0;
  virtual void OnRateUpdated(RatePair rate, PriceChange change) = 0;
};

class PriceBroadcaster {
 public:
  void Subscribe(std::shared_ptr<PriceSubscriber> subscriber);
  // After this returns, `subscriber` receives no further calls that start
  // later; calls already under way may still finish (the broadcaster's
  // shared_ptr kept the subscriber alive for them).
  void Unsubscribe(const PriceSubscriber* subscriber);

  // Notify every subscriber.
  void Publish(size_t asset_index, PriceChange change) const;
  void PublishRate(RatePair rate, PriceChange change) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<PriceSubscriber>> subscribers_;
};

}  // namespace cryptotracker::pricing::market

#endif  // CRYPTOTRACKER_PRICING_MARKET_PRICE_BROADCASTER_H_
