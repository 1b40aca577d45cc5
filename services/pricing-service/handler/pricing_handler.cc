#include "services/pricing-service/handler/pricing_handler.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include "services/common/blocking_executor.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/pricing-service/domain/indicators.h"
#include "services/pricing-service/handler/proto_convert.h"
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

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// FNV-1a: a stable fingerprint of the query a page token belongs to.
uint64_t Fingerprint(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string PageToken(size_t offset, std::string_view query) {
  char token[64];
  std::snprintf(token, sizeof(token), "a1.%zu.%016" PRIx64, offset,
                Fingerprint(query));
  return token;
}

size_t ParsePageToken(const std::string& token, std::string_view query) {
  size_t offset = 0;
  uint64_t fingerprint = 0;
  int consumed = 0;
  if (token.size() > 60 ||
      std::sscanf(token.c_str(), "a1.%zu.%16" SCNx64 "%n", &offset,
                  &fingerprint, &consumed) != 2 ||
      consumed != static_cast<int>(token.size()) ||
      token != PageToken(offset, query)) {
    throw ValidationError("page_token",
                          "not a token issued for this query; start again "
                          "without page_token");
  }
  return offset;
}

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
std::string FormatDouble(double value, int digits) {
  absl::StatusOr<common::Decimal> decimal =
      common::Decimal::FromDouble(value, digits);
  return decimal.ok() ? decimal->ToString() : std::string();
}

std::string FormatLatest(const absl::StatusOr<Series>& series, int digits) {
  return series.ok() ? FormatDouble(series->Latest(), digits) : std::string();
}

// market::PercentChange as API text; "" when it cannot be computed.
std::string PercentChangeText(common::Decimal from, common::Decimal to) {
  if (!from.IsPositive()) return "";
  absl::StatusOr<common::Decimal> percent = market::PercentChange(from, to);
  return percent.ok() ? percent->ToString() : "";
}

// Keeps the first (ascending) or last `limit` candles.
void Trim(std::vector<Candle>& candles, size_t limit, bool keep_newest) {
  if (candles.size() <= limit) return;
  if (keep_newest) {
    candles.erase(candles.begin(),
                  candles.end() - static_cast<std::ptrdiff_t>(limit));
  } else {
    candles.resize(limit);
  }
}

}  // namespace

PricingHandler::PricingHandler(market::MarketState& market, PriceCache& prices,
                               common::BlockingExecutor& blocking,
                               storage::PricingRepository& repository,
                               const market::CandleRecorder* recorder,
                               PriceStreamHub& streams,
                               const PricingHandlerOptions& options)
    : market_(market),
      prices_(prices),
      responses_(market),
      blocking_(blocking),
      repository_(repository),
      recorder_(recorder),
      streams_(streams),
      candles_(options.candle_cache_ttl.count(), AppendCandleField) {}

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
        const std::string query = Lower(request->query());
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
              Lower(asset.symbol).find(query) == std::string::npos &&
              Lower(asset.name).find(query) == std::string::npos) {
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
          SetTimestamp(record.update_time_ms, asset->mutable_update_time());
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
  selection.quote = QuoteFromRequest(quote_text);
  const bool explicit_symbols = !symbols.empty();
  const int64_t now_ms = market_.NowMs();
  selection.requested = ResolveSymbols(symbols, market_);
  selection.priced.reserve(selection.requested.size());
  selection.prices.reserve(selection.requested.size());
  for (size_t index : selection.requested) {
    absl::StatusOr<std::shared_ptr<const EncodedPrice>> price =
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
  if (!status.ok()) return PriceStreamHub::Fail(status);
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

std::vector<Candle> PricingHandler::LoadOneMinute(
    const std::string& pair, std::optional<int64_t> start_ms, int64_t end_ms,
    int limit) {
  const bool newest = !start_ms.has_value();
  const int64_t from = start_ms.value_or(0);
  std::vector<Candle> stored = repository_.QueryCandles(
      pair, Interval::k1m, from, end_ms, limit, newest);
  if (recorder_ == nullptr) return stored;
  // Unpersisted candles are newer than (or replace) stored ones.
  std::map<int64_t, Candle> by_time;
  for (Candle& candle : stored) {
    by_time[candle.open_time_ms] = std::move(candle);
  }
  for (Candle& candle : recorder_->UnpersistedCandles(pair)) {
    if (candle.open_time_ms < from || candle.open_time_ms >= end_ms) continue;
    by_time[candle.open_time_ms] = std::move(candle);
  }
  std::vector<Candle> merged;
  merged.reserve(by_time.size());
  for (auto& [time, candle] : by_time) merged.push_back(std::move(candle));
  Trim(merged, static_cast<size_t>(limit), newest);
  return merged;
}

size_t PricingHandler::CandleWindow::size() const {
  return (stored == nullptr ? 0 : stored->candles.size() - first) + rest.size();
}

const Candle* PricingHandler::CandleWindow::LastStored() const {
  if (stored != nullptr) {
    return first < stored->candles.size() ? &stored->candles.back() : nullptr;
  }
  return rest.empty() ? nullptr : &rest.back();
}

void PricingHandler::CandleWindow::KeepNewest(size_t limit) {
  const size_t total = size();
  if (total <= limit) return;
  size_t drop = total - limit;
  if (stored != nullptr) {
    const size_t from_stored = std::min(drop, stored->candles.size() - first);
    first += from_stored;
    drop -= from_stored;
  }
  rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(drop));
}

std::vector<Candle> PricingHandler::CandleWindow::ToVector() && {
  if (stored == nullptr) return std::move(rest);
  std::vector<Candle> all;
  all.reserve(size());
  all.insert(all.end(),
             stored->candles.begin() + static_cast<std::ptrdiff_t>(first),
             stored->candles.end());
  for (Candle& candle : rest) all.push_back(std::move(candle));
  return all;
}

PricingHandler::CandleWindow PricingHandler::LoadCandles(
    const std::string& pair, Interval interval, std::optional<int64_t> start_ms,
    int64_t end_ms, int limit, int64_t now_ms) {
  const bool newest = !start_ms.has_value();
  CandleWindow window;
  if (interval == Interval::k1m) {
    // Not cached: stored one-minute candles are not followed by a tail
    // computed from elsewhere, so a stale copy would miss the minutes the
    // recorder persisted since.
    window.rest = LoadOneMinute(pair, start_ms, end_ms, limit);
    return window;
  }
  if (newest && end_ms >= now_ms && candles_.enabled()) {
    // The newest kMaxCandleLimit stored candles before a moment at or
    // before now; the last `limit` of them are what the query below would
    // give as of that moment, and what was stored since is computed from
    // one-minute candles by the tail (see candle_cache.h).
    window.stored =
        candles_.Get(pair, interval, now_ms, [&](int64_t snapshot_end_ms) {
          return repository_.QueryCandles(pair, interval, 0, snapshot_end_ms,
                                          kMaxCandleLimit, true);
        });
    const size_t count = window.stored->candles.size();
    window.first = count - std::min(count, static_cast<size_t>(limit));
  } else {
    window.rest = repository_.QueryCandles(pair, interval, start_ms.value_or(0),
                                           end_ms, limit, newest);
    if (!newest && window.rest.size() == static_cast<size_t>(limit)) {
      return window;
    }
  }

  // Buckets after the newest materialised one come from one-minute candles.
  const int64_t width = IntervalMillis(interval);
  int64_t tail_from;
  if (const Candle* last = window.LastStored(); last != nullptr) {
    tail_from = last->close_time_ms();
  } else if (start_ms.has_value()) {
    tail_from = AlignToInterval(*start_ms, interval);
  } else {
    tail_from = std::max<int64_t>(
        0, AlignToInterval(end_ms, interval) - int64_t{limit} * width);
  }
  if (tail_from >= end_ms) return window;
  // A tail that fits the row cap is read forwards from its start; only a
  // longer one is read from its newest end (newest mode), where the cap
  // must cut the old side. Reading a short tail from the newest end would
  // load up to the whole cap of minutes only to drop most of them.
  const bool tail_fits =
      (end_ms - tail_from) / IntervalMillis(Interval::k1m) <= kMaxRollUpMinutes;
  const bool read_newest = newest && !tail_fits;
  std::vector<Candle> minutes =
      read_newest ? LoadOneMinute(pair, std::nullopt, end_ms, kMaxRollUpMinutes)
                  : LoadOneMinute(pair, tail_from, end_ms, kMaxRollUpMinutes);
  const bool truncated = !tail_fits && minutes.size() == kMaxRollUpMinutes;
  // In newest mode the lower bound is applied here.
  std::erase_if(minutes,
                [&](const Candle& c) { return c.open_time_ms < tail_from; });
  absl::StatusOr<std::vector<Candle>> rolled =
      RollUp(minutes, interval, now_ms);
  if (!rolled.ok()) {
    common::LogWarn(
        "candle roll-up failed",
        {{"pair", pair}, {"error", std::string(rolled.status().message())}});
    if (newest) window.KeepNewest(static_cast<size_t>(limit));
    return window;
  }
  // A window cut by the row cap may hold a partial bucket at its edge.
  if (truncated && !rolled->empty()) {
    if (read_newest) {
      rolled->erase(rolled->begin());
    } else {
      rolled->pop_back();
    }
  }
  for (Candle& candle : *rolled) {
    if (candle.open_time_ms < tail_from || candle.open_time_ms >= end_ms) {
      continue;
    }
    if (start_ms.has_value() && candle.open_time_ms < *start_ms) continue;
    window.rest.push_back(std::move(candle));
  }
  if (newest) {
    window.KeepNewest(static_cast<size_t>(limit));
  } else {
    Trim(window.rest, static_cast<size_t>(limit), false);
  }
  return window;
}

grpc::ServerUnaryReactor* PricingHandler::GetCandles(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return common::FinishOnExecutor(
      blocking_, context, "GetCandles", [this, request, response] {
        v1::GetCandlesRequest parsed;
        ParseRawRequest(*request, &parsed);
        const std::string symbol = NormaliseSymbol(parsed.symbol(), "symbol");
        const Interval interval = IntervalFromProto(parsed.interval());
        if (parsed.limit() < 0 || parsed.limit() > kMaxCandleLimit) {
          throw ValidationError(
              "limit",
              "must be between 1 and 1000 (0 means the default "
              "of 500)");
        }
        const int limit =
            parsed.limit() == 0 ? kDefaultCandleLimit : parsed.limit();
        std::optional<int64_t> start_ms;
        if (parsed.has_start_time()) {
          start_ms = TimestampMillis(parsed.start_time(), "start_time");
        }
        const int64_t now_ms = common::WallClockMs();
        const int64_t end_ms =
            parsed.has_end_time()
                ? TimestampMillis(parsed.end_time(), "end_time")
                : now_ms;
        if (start_ms.has_value() && *start_ms >= end_ms) {
          throw ValidationError("start_time", "must be before end_time");
        }
        const std::string pair = PairOf(symbol);
        CandleWindow window =
            LoadCandles(pair, interval, start_ms, end_ms, limit, now_ms);

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
          auto* owner = new std::shared_ptr<const StoredCandles>(window.stored);
          slices.emplace_back(
              const_cast<char*>(bytes.data()), bytes.size(),
              [](void* snapshot) {
                delete static_cast<std::shared_ptr<const StoredCandles>*>(
                    snapshot);
              },
              owner);
        }
        if (!window.rest.empty()) {
          std::string tail;
          for (const Candle& candle : window.rest) {
            AppendCandleField(candle, &tail);
          }
          slices.emplace_back(tail);
        }
        *response = grpc::ByteBuffer(slices.data(), slices.size());
      });
}

std::optional<common::Decimal> PricingHandler::PriceAt(const std::string& pair,
                                                       int64_t time_ms) {
  std::vector<Candle> minute = repository_.QueryCandles(
      pair, Interval::k1m, time_ms - 2 * kHourMs, time_ms, 1, true);
  if (!minute.empty()) return minute.back().close;
  // One-minute candles may have expired; an hourly candle that ended by
  // then is the next best.
  std::vector<Candle> hour = repository_.QueryCandles(
      pair, Interval::k1h, time_ms - kDayMs, time_ms - kHourMs + 1, 1, true);
  if (!hour.empty()) return hour.back().close;
  return std::nullopt;
}

grpc::ServerUnaryReactor* PricingHandler::GetAnalysis(
    grpc::CallbackServerContext* context, const v1::GetAnalysisRequest* request,
    v1::Analysis* response) {
  return common::FinishOnExecutor(
      blocking_, context, "GetAnalysis", [this, request, response] {
        const std::string symbol = NormaliseSymbol(request->symbol(), "symbol");
        const Interval interval = IntervalFromProto(request->interval());
        const std::string pair = PairOf(symbol);
        const int64_t now_ms = common::WallClockMs();
        std::vector<Candle> candles =
            LoadCandles(pair, interval, std::nullopt, now_ms,
                        kAnalysisCandles + 1, now_ms)
                .ToVector();
        std::erase_if(candles, [](const Candle& c) { return !c.closed; });
        Trim(candles, kAnalysisCandles, true);
        if (candles.empty()) {
          throw StatusException(common::Unavailable(
              "no closed " + std::string(IntervalName(interval)) +
              " candles stored yet for " + symbol));
        }
        response->set_symbol(symbol);
        response->set_quote("USD");
        response->set_pair(pair);
        response->set_interval(request->interval());
        v1::CandleRange* range = response->mutable_candle_range();
        SetTimestamp(candles.front().open_time_ms, range->mutable_start_time());
        SetTimestamp(candles.back().close_time_ms(), range->mutable_end_time());
        range->set_candle_count(static_cast<int32_t>(candles.size()));
        response->set_last_close(candles.back().close.ToString());

        const OhlcSeries series = ToOhlcSeries(candles);
        const std::vector<double>& closes = series.close;
        for (int period : {20, 50, 200}) {
          v1::MovingAverage* sma = response->add_sma();
          sma->set_period(period);
          sma->set_value(FormatLatest(Sma(closes, period), kPriceDigits));
        }
        for (int period : {12, 26, 50, 200}) {
          v1::MovingAverage* ema = response->add_ema();
          ema->set_period(period);
          ema->set_value(FormatLatest(Ema(closes, period), kPriceDigits));
        }
        response->mutable_rsi()->set_period(14);
        response->mutable_rsi()->set_value(
            FormatLatest(Rsi(closes, 14), kPercentDigits));
        v1::Macd* macd = response->mutable_macd();
        macd->set_fast_period(12);
        macd->set_slow_period(26);
        macd->set_signal_period(9);
        if (absl::StatusOr<MacdSeries> m = Macd(closes, 12, 26, 9); m.ok()) {
          macd->set_macd(FormatDouble(m->line.Latest(), kPriceDigits));
          macd->set_signal(FormatDouble(m->signal.Latest(), kPriceDigits));
          macd->set_histogram(
              FormatDouble(m->histogram.Latest(), kPriceDigits));
        }
        v1::BollingerBands* bands = response->mutable_bollinger();
        bands->set_period(20);
        bands->set_std_dev_multiplier("2");
        if (absl::StatusOr<BollingerSeries> b = Bollinger(closes, 20, 2.0);
            b.ok()) {
          bands->set_middle(FormatDouble(b->middle.Latest(), kPriceDigits));
          bands->set_upper(FormatDouble(b->upper.Latest(), kPriceDigits));
          bands->set_lower(FormatDouble(b->lower.Latest(), kPriceDigits));
        }
        response->mutable_atr()->set_period(14);
        response->mutable_atr()->set_value(FormatLatest(
            Atr(series.high, series.low, series.close, 14), kPriceDigits));
        if (absl::StatusOr<double> vol = RealizedVolatility(closes, interval);
            vol.ok()) {
          response->set_realized_volatility_percent(
              FormatDouble(*vol * 100.0, kPercentDigits));
        }
        if (absl::StatusOr<Drawdown> dd = MaxDrawdown(closes); dd.ok()) {
          response->set_max_drawdown_percent(
              FormatDouble(dd->max_fraction * 100.0, kPercentDigits));
        }

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
                  PriceAt(pair, now_ms - span)) {
            *(returns->*field)() = PercentChangeText(*past, latest);
          }
        }
        SetTimestamp(now_ms, response->mutable_compute_time());
      });
}

grpc::ServerUnaryReactor* PricingHandler::GetMarketSummary(
    grpc::CallbackServerContext* context,
    const v1::GetMarketSummaryRequest* request, v1::MarketSummary* response) {
  // Market state only, no database: answered on the gRPC thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(GuardedCall(context, "GetMarketSummary", [&] {
    const market::QuoteCurrency quote = QuoteFromRequest(request->quote());
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
      FillPrice(*ranked[i], response->add_top_gainers());
    }
    for (size_t i = 0; i < top; ++i) {
      FillPrice(*ranked[ranked.size() - 1 - i], response->add_top_losers());
    }

    int advancing = 0;
    int declining = 0;
    int unchanged = 0;
    common::Decimal total_volume;
    for (const auto& price : fresh) {
      const int sign =
          price.change_24h.has_value() ? price.change_24h->Sign() : 0;
      if (sign > 0) {
        ++advancing;
      } else if (sign < 0) {
        ++declining;
      } else {
        ++unchanged;
      }
      if (price.quote_volume_24h.has_value()) {
        if (auto sum = total_volume.Add(*price.quote_volume_24h); sum.ok()) {
          total_volume = *sum;
        }
      }
    }
    response->set_total_volume_24h(total_volume.ToString());
    v1::MarketBreadth* breadth = response->mutable_breadth();
    breadth->set_advancing_count(advancing);
    breadth->set_declining_count(declining);
    breadth->set_unchanged_count(unchanged);
    if (declining > 0) {
      auto ratio = common::Decimal::FromInteger(advancing).Divide(
          common::Decimal::FromInteger(declining));
      if (ratio.ok()) {
        breadth->set_advance_decline_ratio(
            ratio->Round(kPercentDigits)->ToString());
      }
    }
    if (!fresh.empty()) {
      auto percent = common::Decimal::FromInteger(int64_t{advancing} * 100)
                         .Divide(common::Decimal::FromInteger(
                             static_cast<int64_t>(fresh.size())));
      if (percent.ok()) {
        breadth->set_advancing_percent(
            percent->Round(kPercentDigits)->ToString());
      }
    }
    SetTimestamp(common::WallClockMs(), response->mutable_compute_time());
  }));
  return reactor;
}

}  // namespace cryptotracker::pricing::handler
