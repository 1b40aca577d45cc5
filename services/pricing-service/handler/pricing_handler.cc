#include "services/pricing-service/handler/pricing_handler.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "services/common/blocking_executor.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/pricing-service/contract/proto_convert.h"
#include "services/pricing-service/domain/analysis.h"
#include "services/pricing-service/domain/market_breadth.h"
#include "services/pricing-service/handler/page_token.h"
#include "services/pricing-service/market/quotes.h"

namespace cryptotracker::pricing::handler {
namespace {

using common::GuardedCall;
using common::StatusException;
using common::ValidationError;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 500;
constexpr int kMaxQueryLength = 50;
constexpr int kDefaultTopCount = 5;
constexpr int kMaxTopCount = 20;
// Display precision of indicator values.
constexpr int kPriceDigits = 8;
using market::kPercentDigits;
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

// 100 symbols of up to 20 characters and a quote, encoded.
constexpr size_t kMaxCachedRequestBytes = 4096;

// The bytes of a raw request, e.g. as a cache key.
std::string RawBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) {
    throw StatusException(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       "request: unreadable message"));
  }
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// Decodes the request of a raw method; INVALID_ARGUMENT when the bytes are
// not a `Message` (the generated handlers would answer INTERNAL).
template <class Message>
void ParseRawRequest(const grpc::ByteBuffer& raw, Message* message) {
  grpc::ByteBuffer input(raw);  // Deserialize consumes its buffer.
  if (!grpc::SerializationTraits<Message>::Deserialize(&input, message).ok()) {
    throw StatusException(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     "request: not a valid " + Message::descriptor()->name()));
  }
}

// Indicator values leave floating point through Decimal::FromDouble; ""
// when there was no value or it is not representable.
std::string FormatDouble(domain::LatestValue value, int digits) {
  if (!value.has_value()) return std::string();
  absl::StatusOr<common::Decimal> decimal =
      common::Decimal::FromDouble(*value, digits);
  return decimal.ok() ? decimal->ToString() : std::string();
}

// A fraction (0.05) as a percentage ("5").
std::string FormatPercent(domain::LatestValue fraction) {
  if (!fraction.has_value()) return std::string();
  return FormatDouble(*fraction * 100.0, kPercentDigits);
}

// market::PercentChange as API text; "" when it cannot be computed.
std::string PercentChangeText(common::Decimal from, common::Decimal to) {
  if (!from.IsPositive()) return "";
  absl::StatusOr<common::Decimal> percent = market::PercentChange(from, to);
  return percent.ok() ? percent->ToString() : "";
}

}  // namespace

PricingHandler::PricingHandler(market::MarketState& market,
                               stream::PriceCache& prices,
                               common::BlockingExecutor& blocking,
                               storage::PricingRepository& repository,
                               const market::CandleRecorder* recorder,
                               stream::PriceStreamHub& streams,
                               const PricingHandlerOptions& options)
    : market_(market),
      prices_(prices),
      responses_(market),
      blocking_(blocking),
      repository_(repository),
      streams_(streams),
      candles_(repository, recorder, options.candle_cache_ttl,
               contract::AppendCandleField) {}

grpc::ServerUnaryReactor* PricingHandler::ListAssets(
    grpc::CallbackServerContext* context, const v1::ListAssetsRequest* request,
    v1::ListAssetsResponse* response) {
  return common::FinishOnExecutor(
      blocking_, context, "ListAssets", [this, request, response] {
        int page_size = request->page_size();
        if (page_size == 0) page_size = kDefaultPageSize;
        if (page_size < 1 || page_size > kMaxPageSize) {
          throw ValidationError("page_size",
                                "must be between 1 and 500 (0 means "
                                "the default of 100)");
        }
        if (request->query().size() > kMaxQueryLength) {
          throw ValidationError("query", "must be at most 50 characters");
        }
        const std::string query = absl::AsciiStrToLower(request->query());
        const size_t offset =
            request->page_token().empty()
                ? 0
                : ParsePageToken(request->page_token(), query);
        std::vector<storage::AssetRecord> matching;
        for (storage::AssetRecord& asset : repository_.ListAssets()) {
          // Only what this deployment tracks (SYMBOLS may narrow the
          // catalogue).
          if (!market_.FindAsset(asset.symbol).has_value()) continue;
          if (!query.empty() &&
              absl::AsciiStrToLower(asset.symbol).find(query) ==
                  std::string::npos &&
              absl::AsciiStrToLower(asset.name).find(query) ==
                  std::string::npos) {
            continue;
          }
          matching.push_back(std::move(asset));
        }
        const size_t end =
            std::min(matching.size(), offset + static_cast<size_t>(page_size));
        for (size_t i = offset; i < end; ++i) {
          const storage::AssetRecord& record = matching[i];
          v1::Asset* asset = response->add_assets();
          asset->set_symbol(record.symbol);
          asset->set_name(record.name);
          asset->set_rank(record.rank);
          asset->set_exchange(record.exchange);
          asset->set_pair(record.pair);
          asset->set_market_cap_usd(record.market_cap_usd);
          asset->set_circulating_supply(record.circulating_supply);
          asset->set_price_decimals(record.price_decimals);
          asset->set_quantity_decimals(record.quantity_decimals);
          v1::AssetMetadata* metadata = asset->mutable_metadata();
          metadata->set_logo_url(record.logo_url);
          metadata->set_website_url(record.website_url);
          metadata->set_description(record.description);
          for (const std::string& category : record.categories) {
            metadata->add_categories(category);
          }
          contract::SetTimestamp(record.update_time_ms,
                                 asset->mutable_update_time());
        }
        if (end < matching.size()) {
          response->set_next_page_token(PageToken(end, query));
        }
      });
}

PricingHandler::QuotedSelection PricingHandler::QuoteAll(
    const google::protobuf::RepeatedPtrField<std::string>& symbols,
    std::string_view quote_text) {
  QuotedSelection selection;
  selection.quote = contract::QuoteFromRequest(quote_text);
  const bool explicit_symbols = !symbols.empty();
  const int64_t now_ms = market_.NowMs();
  selection.requested = contract::ResolveSymbols(symbols, market_);
  selection.priced.reserve(selection.requested.size());
  selection.prices.reserve(selection.requested.size());
  for (size_t index : selection.requested) {
    absl::StatusOr<std::shared_ptr<const stream::EncodedPrice>> price =
        prices_.Get(index, selection.quote, now_ms);
    if (!price.ok()) {
      // "Every asset" lists the priced ones; a named symbol must have one.
      if (!explicit_symbols) continue;
      throw StatusException(common::Unavailable(
          "no " + std::string(market::QuoteCurrencyName(selection.quote)) +
          " price received yet for " + market_.assets()[index].symbol));
    }
    selection.priced.push_back(index);
    selection.prices.push_back(*std::move(price));
  }
  if (selection.prices.empty() && !selection.requested.empty()) {
    throw StatusException(
        common::Unavailable("no price received yet from any source"));
  }
  return selection;
}

grpc::ServerUnaryReactor* PricingHandler::GetPrices(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(GuardedCall(
      context, "GetPrices",
      [&] {
        const int64_t now_ms = market_.NowMs();
        std::string key = RawBytes(*request);
        if (std::optional<grpc::Slice> cached = responses_.Find(key, now_ms)) {
          *response = grpc::ByteBuffer(&*cached, 1);
          return;
        }
        const uint64_t version = market_.version();
        v1::GetPricesRequest parsed;
        ParseRawRequest(*request, &parsed);
        const QuotedSelection selection =
            QuoteAll(parsed.symbols(), parsed.quote());
        // Each price's bytes are one element of GetPricesResponse.prices
        // (see price_cache.h), so the response is their concatenation.
        size_t size = 0;
        for (const auto& price : selection.prices) size += price->slice.size();
        std::string body;
        body.reserve(size);
        for (const auto& price : selection.prices) body += price->bytes();
        grpc::Slice slice(body);
        *response = grpc::ByteBuffer(&slice, 1);
        // Requests carrying more than symbols and quote (unknown fields)
        // are answered but not kept.
        if (key.size() <= kMaxCachedRequestBytes) {
          responses_.Store(std::move(key), version, selection.prices,
                           std::move(slice));
        }
      },
      common::AccessLog::kFailures));
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* PricingHandler::StreamPrices(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  QuotedSelection selection;
  // Validation as in GetPrices; the error ends the call before any message.
  const grpc::Status status = GuardedCall(context, "StreamPrices", [&] {
    v1::StreamPricesRequest parsed;
    ParseRawRequest(*request, &parsed);
    selection = QuoteAll(parsed.symbols(), parsed.quote());
  });
  if (!status.ok()) return stream::PriceStreamHub::Fail(status);
  // Every requested asset is watched, also one that has no price yet when
  // all were asked for; the first messages are the ones priced now.
  return streams_.Open(selection.requested, selection.priced, selection.quote);
}

std::string PricingHandler::PairOf(const std::string& symbol) const {
  if (symbol == "EUR") return std::string(market::kEurRatePair);
  const std::optional<size_t> index = market_.FindAsset(symbol);
  if (!index.has_value()) {
    throw StatusException(
        common::NotFound("symbol " + symbol + " is not tracked"));
  }
  return market_.assets()[*index].pair;
}

grpc::ServerUnaryReactor* PricingHandler::GetCandles(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return common::FinishOnExecutor(
      blocking_, context, "GetCandles", [this, request, response] {
        v1::GetCandlesRequest parsed;
        ParseRawRequest(*request, &parsed);
        const std::string symbol =
            contract::NormaliseSymbol(parsed.symbol(), "symbol");
        const domain::Interval interval =
            contract::IntervalFromProto(parsed.interval());
        if (parsed.limit() < 0 || parsed.limit() > candles::kMaxCandleLimit) {
          throw ValidationError(
              "limit",
              "must be between 1 and 1000 (0 means the default "
              "of 500)");
        }
        const int limit =
            parsed.limit() == 0 ? kDefaultCandleLimit : parsed.limit();
        std::optional<int64_t> start_ms;
        if (parsed.has_start_time()) {
          start_ms =
              contract::TimestampMillis(parsed.start_time(), "start_time");
        }
        const int64_t now_ms = common::WallClockMs();
        const int64_t end_ms =
            parsed.has_end_time()
                ? contract::TimestampMillis(parsed.end_time(), "end_time")
                : now_ms;
        if (start_ms.has_value() && *start_ms >= end_ms) {
          throw ValidationError("start_time", "must be before end_time");
        }
        const std::string pair = PairOf(symbol);
        candles::CandleWindow window = candles_.LoadCandles(
            pair, interval, start_ms, end_ms, limit, now_ms);

        // The response is the encoded fields before `candles`, then each
        // candle as an element of `candles` (see AppendCandleField): the
        // cached ones are sent from the snapshot's bytes without a copy.
        v1::GetCandlesResponse head;
        head.set_symbol(symbol);
        head.set_quote("USD");
        head.set_pair(pair);
        head.set_derivation(v1::PRICE_DERIVATION_STABLECOIN);
        head.set_interval(parsed.interval());
        std::vector<grpc::Slice> slices;
        slices.emplace_back(head.SerializeAsString());
        if (window.stored != nullptr &&
            window.first < window.stored->candles.size()) {
          const std::string_view bytes =
              window.stored->EncodedFrom(window.first);
          // The slice holds a reference to the snapshot until gRPC has sent
          // it.
          auto* owner =
              new std::shared_ptr<const candles::StoredCandles>(window.stored);
          slices.emplace_back(
              const_cast<char*>(bytes.data()), bytes.size(),
              [](void* snapshot) {
                delete static_cast<
                    std::shared_ptr<const candles::StoredCandles>*>(snapshot);
              },
              owner);
        }
        if (!window.rest.empty()) {
          std::string tail;
          for (const domain::Candle& candle : window.rest) {
            contract::AppendCandleField(candle, &tail);
          }
          slices.emplace_back(tail);
        }
        *response = grpc::ByteBuffer(slices.data(), slices.size());
      });
}

grpc::ServerUnaryReactor* PricingHandler::GetAnalysis(
    grpc::CallbackServerContext* context, const v1::GetAnalysisRequest* request,
    v1::Analysis* response) {
  return common::FinishOnExecutor(
      blocking_, context, "GetAnalysis", [this, request, response] {
        const std::string symbol =
            contract::NormaliseSymbol(request->symbol(), "symbol");
        const domain::Interval interval =
            contract::IntervalFromProto(request->interval());
        const std::string pair = PairOf(symbol);
        const int64_t now_ms = common::WallClockMs();
        const std::vector<domain::Candle> candles = domain::AnalysisCandles(
            candles_
                .LoadCandles(pair, interval, std::nullopt, now_ms,
                             domain::kAnalysisCandles + 1, now_ms)
                .ToVector());
        if (candles.empty()) {
          throw StatusException(common::Unavailable(
              "no closed " + std::string(domain::IntervalName(interval)) +
              " candles stored yet for " + symbol));
        }
        response->set_symbol(symbol);
        response->set_quote("USD");
        response->set_pair(pair);
        response->set_interval(request->interval());
        v1::CandleRange* range = response->mutable_candle_range();
        contract::SetTimestamp(candles.front().open_time_ms,
                               range->mutable_start_time());
        contract::SetTimestamp(candles.back().close_time_ms(),
                               range->mutable_end_time());
        range->set_candle_count(static_cast<int32_t>(candles.size()));
        response->set_last_close(candles.back().close.ToString());

        const domain::AnalysisValues values =
            domain::Analyze(candles, interval);
        for (const domain::PeriodValue& sma : values.sma) {
          v1::MovingAverage* average = response->add_sma();
          average->set_period(sma.period);
          average->set_value(FormatDouble(sma.value, kPriceDigits));
        }
        for (const domain::PeriodValue& ema : values.ema) {
          v1::MovingAverage* average = response->add_ema();
          average->set_period(ema.period);
          average->set_value(FormatDouble(ema.value, kPriceDigits));
        }
        response->mutable_rsi()->set_period(domain::kRsiPeriod);
        response->mutable_rsi()->set_value(
            FormatDouble(values.rsi, kPercentDigits));
        v1::Macd* macd = response->mutable_macd();
        macd->set_fast_period(domain::kMacdFastPeriod);
        macd->set_slow_period(domain::kMacdSlowPeriod);
        macd->set_signal_period(domain::kMacdSignalPeriod);
        macd->set_macd(FormatDouble(values.macd_line, kPriceDigits));
        macd->set_signal(FormatDouble(values.macd_signal, kPriceDigits));
        macd->set_histogram(FormatDouble(values.macd_histogram, kPriceDigits));
        v1::BollingerBands* bands = response->mutable_bollinger();
        bands->set_period(domain::kBollingerPeriod);
        bands->set_std_dev_multiplier(
            std::to_string(domain::kBollingerStdDevMultiplier));
        bands->set_middle(FormatDouble(values.bollinger_middle, kPriceDigits));
        bands->set_upper(FormatDouble(values.bollinger_upper, kPriceDigits));
        bands->set_lower(FormatDouble(values.bollinger_lower, kPriceDigits));
        response->mutable_atr()->set_period(domain::kAtrPeriod);
        response->mutable_atr()->set_value(
            FormatDouble(values.atr, kPriceDigits));
        response->set_realized_volatility_percent(
            FormatPercent(values.realized_volatility));
        response->set_max_drawdown_percent(FormatPercent(values.max_drawdown));

        // Returns over fixed spans, from the latest price (live when there is
        // one) against stored candles that long ago.
        common::Decimal latest = candles.back().close;
        if (std::optional<size_t> index = market_.FindAsset(symbol)) {
          if (auto state = market_.AssetState(*index))
            latest = state->last_price;
        }
        v1::Returns* returns = response->mutable_returns();
        const std::pair<int64_t, std::string* (v1::Returns::*)()> spans[] = {
            {kHourMs, &v1::Returns::mutable_change_percent_1h},
            {kDayMs, &v1::Returns::mutable_change_percent_24h},
            {7 * kDayMs, &v1::Returns::mutable_change_percent_7d},
            {30 * kDayMs, &v1::Returns::mutable_change_percent_30d},
        };
        for (const auto& [span, field] : spans) {
          if (std::optional<common::Decimal> past =
                  candles_.PriceAt(pair, now_ms - span)) {
            *(returns->*field)() = PercentChangeText(*past, latest);
          }
        }
        contract::SetTimestamp(now_ms, response->mutable_compute_time());
      });
}

grpc::ServerUnaryReactor* PricingHandler::GetMarketSummary(
    grpc::CallbackServerContext* context,
    const v1::GetMarketSummaryRequest* request, v1::MarketSummary* response) {
  // Market state only, no database: answered on the gRPC thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(GuardedCall(context, "GetMarketSummary", [&] {
    const market::QuoteCurrency quote =
        contract::QuoteFromRequest(request->quote());
    int top_count = request->top_count();
    if (top_count == 0) top_count = kDefaultTopCount;
    if (top_count < 1 || top_count > kMaxTopCount) {
      throw ValidationError("top_count",
                            "must be between 1 and 20 (0 means the default "
                            "of 5)");
    }
    const int64_t now_ms = market_.NowMs();
    std::vector<market::QuotedPrice> fresh;
    int stale = 0;
    for (size_t i = 0; i < market_.assets().size(); ++i) {
      absl::StatusOr<market::QuotedPrice> price =
          market::QuoteAsset(market_, i, quote, now_ms);
      if (!price.ok() || price->stale ||
          !price->change_percent_24h.has_value()) {
        ++stale;
        continue;
      }
      fresh.push_back(*std::move(price));
    }
    response->set_quote(std::string(market::QuoteCurrencyName(quote)));
    response->set_asset_count(static_cast<int32_t>(market_.assets().size()));
    response->set_stale_count(stale);

    std::vector<const market::QuotedPrice*> ranked;
    for (const auto& price : fresh) ranked.push_back(&price);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto* a, const auto* b) {
                       return *a->change_percent_24h > *b->change_percent_24h;
                     });
    const size_t top = std::min(ranked.size(), static_cast<size_t>(top_count));
    for (size_t i = 0; i < top; ++i) {
      contract::FillPrice(*ranked[i], response->add_top_gainers());
    }
    for (size_t i = 0; i < top; ++i) {
      contract::FillPrice(*ranked[ranked.size() - 1 - i],
                          response->add_top_losers());
    }

    std::vector<domain::AssetMove> moves;
    moves.reserve(fresh.size());
    for (const auto& price : fresh) {
      moves.push_back({price.change_24h, price.quote_volume_24h});
    }
    const domain::MarketBreadth measured = domain::MeasureBreadth(moves);
    response->set_total_volume_24h(measured.total_quote_volume.ToString());
    v1::MarketBreadth* breadth = response->mutable_breadth();
    breadth->set_advancing_count(measured.advancing);
    breadth->set_declining_count(measured.declining);
    breadth->set_unchanged_count(measured.unchanged);
    if (measured.advance_decline_ratio.has_value()) {
      breadth->set_advance_decline_ratio(
          measured.advance_decline_ratio->Round(kPercentDigits)->ToString());
    }
    if (measured.advancing_percent.has_value()) {
      breadth->set_advancing_percent(
          measured.advancing_percent->Round(kPercentDigits)->ToString());
    }
    contract::SetTimestamp(common::WallClockMs(),
                           response->mutable_compute_time());
  }));
  return reactor;
}

}  // namespace cryptotracker::pricing::handler
