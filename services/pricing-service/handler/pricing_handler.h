// The gRPC PricingService.
//
// Unary calls are synchronous handlers: they run on gRPC's sync thread pool,
// which is where blocking database work (candles, analysis, the catalogue)
// belongs. StreamPrices alone uses the callback API (see price_stream.h) so
// that open streams hold no thread. gRPC 1.51's ServerBuilder accepts a
// service that mixes both kinds of method.
#ifndef CRYPTOTRACKER_PRICING_HANDLER_PRICING_HANDLER_H_
#define CRYPTOTRACKER_PRICING_HANDLER_PRICING_HANDLER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "cryptotracker/pricing/v1/pricing_service.grpc.pb.h"
#include "services/pricing-service/domain/candles.h"
#include "services/pricing-service/handler/price_stream.h"
#include "services/pricing-service/market/candle_recorder.h"
#include "services/pricing-service/market/market_state.h"
#include "services/pricing-service/storage/pricing_repository.h"

namespace cryptotracker::pricing::handler {

// Candle windows the handler reads. Roll-ups of the recent past that the
// `rollup` job has not materialised yet are computed from at most this many
// one-minute candles (about two weeks).
inline constexpr int kMaxRollUpMinutes = 20'000;
inline constexpr int kMaxCandleLimit = 1000;
inline constexpr int kDefaultCandleLimit = 500;
// Analysis uses up to this many of the most recent closed candles.
inline constexpr int kAnalysisCandles = 500;

class PricingHandler final
    : public v1::PricingService::WithCallbackMethod_StreamPrices<
          v1::PricingService::Service> {
 public:
  // `recorder` may be null (no live feed): candles then come from storage
  // only. Nothing is owned.
  PricingHandler(market::MarketState& market,
                 storage::PricingRepository& repository,
                 const market::CandleRecorder* recorder,
                 PriceStreamHub& streams);

  grpc::Status ListAssets(grpc::ServerContext* context,
                          const v1::ListAssetsRequest* request,
                          v1::ListAssetsResponse* response) override;
  grpc::Status GetPrices(grpc::ServerContext* context,
                         const v1::GetPricesRequest* request,
                         v1::GetPricesResponse* response) override;
  grpc::ServerWriteReactor<v1::StreamPricesResponse>* StreamPrices(
      grpc::CallbackServerContext* context,
      const v1::StreamPricesRequest* request) override;
  grpc::Status GetCandles(grpc::ServerContext* context,
                          const v1::GetCandlesRequest* request,
                          v1::GetCandlesResponse* response) override;
  grpc::Status GetAnalysis(grpc::ServerContext* context,
                           const v1::GetAnalysisRequest* request,
                           v1::Analysis* response) override;
  grpc::Status GetMarketSummary(grpc::ServerContext* context,
                                const v1::GetMarketSummaryRequest* request,
                                v1::MarketSummary* response) override;

 private:
  // The exchange pair of a GetCandles/GetAnalysis symbol ("EUR" gives the
  // EURUSDT rate pair); NOT_FOUND for an untracked one.
  std::string PairOf(const std::string& symbol) const;

  // Candles of `pair` in ascending open time: with `start_ms`, the first
  // `limit` opening in [start_ms, end_ms); without, the last `limit`
  // opening before end_ms. Stored candles, roll-ups computed from stored
  // one-minute candles for the recent buckets not materialised yet, and the
  // recorder's unpersisted and open candles.
  std::vector<Candle> LoadCandles(const std::string& pair, Interval interval,
                                  std::optional<int64_t> start_ms,
                                  int64_t end_ms, int limit, int64_t now_ms);
  std::vector<Candle> LoadOneMinute(const std::string& pair,
                                    std::optional<int64_t> start_ms,
                                    int64_t end_ms, int limit);

  // Close of the newest candle opening before `time_ms` (looked up in 1m
  // then 1h candles), for the fixed-span returns.
  std::optional<Decimal> PriceAt(const std::string& pair, int64_t time_ms);

  market::MarketState& market_;
  storage::PricingRepository& repository_;
  const market::CandleRecorder* recorder_;
  PriceStreamHub& streams_;
};

}  // namespace cryptotracker::pricing::handler

#endif  // CRYPTOTRACKER_PRICING_HANDLER_PRICING_HANDLER_H_
