// Encoded prices shared by GetPrices and every price stream, and whole
// encoded GetPrices responses.
//
// A price is rendered (quoted in its currency, ten decimals formatted,
// protobuf-encoded) once per change and then reused by every caller until
// the inputs change: the asset's state, the cross rate's state, or the
// `stale` flag. Without this, 1,000 streams re-rendered the same price
// 1,000 times per tick and GetPrices rendered all twenty per call.
//
// The bytes are a StreamPricesResponse holding only `price` (field 1). That
// is also exactly one element of GetPricesResponse's `prices` (field 1), so
// a GetPrices response is the concatenation of its prices' bytes (protobuf
// encodes a repeated message field as its elements one after another).
#ifndef CRYPTOTRACKER_PRICING_STREAM_PRICE_CACHE_H_
#define CRYPTOTRACKER_PRICING_STREAM_PRICE_CACHE_H_

#include <grpcpp/support/slice.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/market/quotes.h"

namespace cryptotracker::pricing::stream {

struct EncodedPrice {
  // The inputs the bytes were rendered from; the entry is current while
  // they are the ones the market holds and `stale` still holds.
  std::shared_ptr<const market::InstrumentState> asset_state;
  std::shared_ptr<const market::InstrumentState> rate_state;
  bool stale = false;
  // While fresh, the last millisecond at which it still is (then `stale`
  // flips); INT64_MAX when stale, which only new data can change.
  int64_t fresh_until_ms = 0;
  // A serialized StreamPricesResponse{price} (see the file comment), as a
  // reference-counted gRPC slice that every stream sends without copying.
  grpc::Slice slice;

  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(slice.begin()), slice.size()};
  }
};

class PriceCache {
 public:
  explicit PriceCache(const market::MarketState& market);
  PriceCache(const PriceCache&) = delete;
  PriceCache& operator=(const PriceCache&) = delete;

  // The current encoded price of asset `asset_index` in `quote`, rendered
  // now if the cached one is out of date. UNAVAILABLE when the asset (or
  // the rate) has no price yet. Thread-safe and lock-free for readers;
  // concurrent misses may both render, and either result is correct.
  absl::StatusOr<std::shared_ptr<const EncodedPrice>> Get(
      size_t asset_index, market::QuoteCurrency quote, int64_t now_ms);

 private:
  static constexpr size_t kQuoteCount = 3;

  const market::MarketState& market_;
  // Index: asset_index * kQuoteCount + quote.
  std::vector<std::atomic<std::shared_ptr<const EncodedPrice>>> entries_;
};

// Whole encoded GetPrices responses by request bytes, so that the common
// requests (the same watch list polled by many clients) cost one lookup.
// An entry is current while the market's version() is the one read before
// it was built and no price in it has gone stale since. Bounded: when
// `max_entries` distinct requests are held, the cache starts over.
class PricesResponseCache {
 public:
  explicit PricesResponseCache(const market::MarketState& market,
                               size_t max_entries = 256);

  // The response for `request`, if one is current at `now_ms`.
  std::optional<grpc::Slice> Find(const std::string& request, int64_t now_ms);
  // Keeps `response`, built from `prices` after version() returned
  // `version`.
  void Store(std::string request, uint64_t version,
             const std::vector<std::shared_ptr<const EncodedPrice>>& prices,
             grpc::Slice response);

 private:
  struct Entry {
    uint64_t version = 0;
    int64_t fresh_until_ms = 0;
    grpc::Slice response;
  };

  const market::MarketState& market_;
  const size_t max_entries_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace cryptotracker::pricing::stream

#endif  // CRYPTOTRACKER_PRICING_STREAM_PRICE_CACHE_H_
