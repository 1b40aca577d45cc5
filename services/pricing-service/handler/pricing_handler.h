// The gRPC PricingService, entirely on the callback API: no call holds a
// gRPC thread while it waits. The handler validates requests, calls the
// modules that know the answers (market/, stream/, candles/, domain/) and
// maps their results to the contract.
//
// GetPrices and StreamPrices use raw (ByteBuffer) messages and answer with
// prices encoded once per change by the stream::PriceCache, so the hot calls
// neither render nor serialize per request. GetCandles is raw too: the
// newest stored candles come encoded from the candle read model's cache.
// GetMarketSummary reads the in-memory market on the gRPC thread.
// ListAssets, GetCandles and GetAnalysis query PostgreSQL, so their bodies
// run on a BlockingExecutor (threads of their own, as many as database
// connections).
#ifndef CRYPTOTRACKER_PRICING_HANDLER_PRICING_HANDLER_H_
#define CRYPTOTRACKER_PRICING_HANDLER_PRICING_HANDLER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cryptotracker/pricing/v1/pricing_service.grpc.pb.h"
#include "services/common/blocking_executor.h"
#include "services/pricing-service/candles/candle_reader.h"
#include "services/pricing-service/domain/analysis.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/storage/pricing_repository.h"
#include "services/pricing-service/stream/price_cache.h"
#include "services/pricing-service/stream/price_stream.h"

namespace cryptotracker::pricing::handler {

// GetCandles' `limit` when the request names none.
inline constexpr int kDefaultCandleLimit = 500;

static_assert(domain::kAnalysisCandles + 1 <= candles::kMaxCandleLimit,
              "analysis reads its candles through the candle cache, which "
              "keeps kMaxCandleLimit of them");

struct PricingHandlerOptions {
  // How long the newest stored candles of a (pair, interval) are reused by
  // GetCandles and GetAnalysis (see candles/candle_cache.h); zero turns the
  // cache off.
  std::chrono::milliseconds candle_cache_ttl{std::chrono::seconds(5)};
};

class PricingHandler final
    : public v1::PricingService::WithRawCallbackMethod_GetPrices<
          v1::PricingService::WithRawCallbackMethod_StreamPrices<
              v1::PricingService::WithRawCallbackMethod_GetCandles<
                  v1::PricingService::CallbackService>>> {
 public:
  // `recorder` may be null (no live feed): candles then come from storage
  // only. Nothing is owned.
  PricingHandler(market::MarketState& market, stream::PriceCache& prices,
                 common::BlockingExecutor& blocking,
                 storage::PricingRepository& repository,
                 const market::CandleRecorder* recorder,
                 stream::PriceStreamHub& streams,
                 const PricingHandlerOptions& options = {});

  grpc::ServerUnaryReactor* ListAssets(
      grpc::CallbackServerContext* context,
      const v1::ListAssetsRequest* request,
      v1::ListAssetsResponse* response) override;
  // Raw: `request` is an encoded GetPricesRequest, `response` receives an
  // encoded GetPricesResponse.
  grpc::ServerUnaryReactor* GetPrices(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  // Raw: `request` is an encoded StreamPricesRequest; the stream writes
  // encoded StreamPricesResponse messages.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamPrices(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  // Raw: `request` is an encoded GetCandlesRequest, `response` receives an
  // encoded GetCandlesResponse.
  grpc::ServerUnaryReactor* GetCandles(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetAnalysis(grpc::CallbackServerContext* context,
                                        const v1::GetAnalysisRequest* request,
                                        v1::Analysis* response) override;
  grpc::ServerUnaryReactor* GetMarketSummary(
      grpc::CallbackServerContext* context,
      const v1::GetMarketSummaryRequest* request,
      v1::MarketSummary* response) override;

 private:
  // What a GetPrices/StreamPrices request names, with the current encoded
  // prices. Throws INVALID_ARGUMENT / NOT_FOUND for bad symbols or quote,
  // UNAVAILABLE when a named symbol has no price yet or, for "every asset",
  // when none has.
  struct QuotedSelection {
    market::QuoteCurrency quote = market::QuoteCurrency::kUsd;
    // Asset indices requested (every tracked asset when none was named).
    std::vector<size_t> requested;
    // The requested assets that have a price now (all of them when named
    // explicitly), and those prices, in the same order.
    std::vector<size_t> priced;
    std::vector<std::shared_ptr<const stream::EncodedPrice>> prices;
  };
  QuotedSelection QuoteAll(
      const google::protobuf::RepeatedPtrField<std::string>& symbols,
      std::string_view quote);

  // The exchange pair of a GetCandles/GetAnalysis symbol ("EUR" gives the
  // EURUSDT rate pair); NOT_FOUND for an untracked one.
  std::string PairOf(const std::string& symbol) const;

  market::MarketState& market_;
  stream::PriceCache& prices_;
  stream::PricesResponseCache responses_;
  common::BlockingExecutor& blocking_;
  storage::PricingRepository& repository_;
  stream::PriceStreamHub& streams_;
  candles::CandleReader candles_;
};

}  // namespace cryptotracker::pricing::handler

#endif  // CRYPTOTRACKER_PRICING_HANDLER_PRICING_HANDLER_H_
