#include "services/pricing-service/market/price_broadcaster.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace cryptotracker::pricing::market {

void PriceBroadcaster::Subscribe(std::shared_ptr<PriceSubscriber> subscriber) {
  std::unique_lock lock(mu_);
  subscribers_.push_back(std::move(subscriber));
}

void PriceBroadcaster::Unsubscribe(const PriceSubscriber* subscriber) {
  std::shared_ptr<PriceSubscriber> removed;  // released outside the lock
  std::unique_lock lock(mu_);
  auto it = std::find_if(
      subscribers_.begin(), subscribers_.end(),
      [subscriber](const auto& entry) { return entry.get() == subscriber; });
  if (it == subscribers_.end()) return;
  removed = std::move(*it);
  // Order does not matter; swap-and-pop keeps removal O(1) after the search.
  *it = std::move(subscribers_.back());
  subscribers_.pop_back();
  lock.unlock();
}

void PriceBroadcaster::Publish(size_t asset_index, PriceChange change) const {
  std::shared_lock lock(mu_);
  for (const auto& subscriber : subscribers_) {
    subscriber->OnAssetUpdated(asset_index, change);
  }
}

void PriceBroadcaster::PublishRate(RatePair rate, PriceChange change) const {
  std::shared_lock lock(mu_);
  for (const auto& subscriber : subscribers_) {
    subscriber->OnRateUpdated(rate, change);
  }
}

}  // namespace cryptotracker::pricing::market
