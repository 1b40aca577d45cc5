#include "services/pricing-service/providers/binance_rest_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/common/logging.h"

namespace cryptotracker::pricing::providers {
namespace {

// Binance answers errors with {"code":-1121,"msg":"Invalid symbol."}.
absl::Status BinanceErrorStatus(const HttpResponse& response) {
  const nlohmann::json body =
      nlohmann::json::parse(response.body, nullptr, false);
  std::string detail = absl::StrCat("HTTP ", response.status);
  if (body.is_object() && body.contains("code") && body["code"].is_number() &&
      body.contains("msg") && body["msg"].is_string()) {
    detail = absl::StrCat(detail, ", code ", body["code"].get<int64_t>(), ": ",
                          body["msg"].get<std::string>().substr(0, 200));
  }
  const std::string message =
      absl::StrCat("Binance refused the request (", detail, ")");
  if (response.status == 404) return absl::NotFoundError(message);
  if (response.status == 401 || response.status == 403) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InvalidArgumentError(message);
}

void LogRejected(std::string_view what,
                 const std::vector<parsers::ItemError>& rejected) {
  for (const parsers::ItemError& item : rejected) {
    common::LogWarn("exchange row rejected",
                    {{"source", "binance"},
                     {"payload", what},
                     {"index", static_cast<int64_t>(item.index)},
                     {"reason", item.error.label()},
                     {"detail", item.error.detail}});
  }
}

}  // namespace

bool IsValidBinanceSymbol(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > 32) return false;
  return std::all_of(symbol.begin(), symbol.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

absl::StatusOr<std::unique_ptr<BinanceRestClient>> BinanceRestClient::Create(
    BinanceRestOptions options) {
  absl::StatusOr<std::unique_ptr<HttpClient>> http =
      HttpClient::Create(options.base_url, std::move(options.http));
  if (!http.ok()) return http.status();
  return std::unique_ptr<BinanceRestClient>(
      new BinanceRestClient(*std::move(http)));
}

absl::StatusOr<std::string> BinanceRestClient::Fetch(
    const std::string& path_and_query) {
  absl::StatusOr<HttpResponse> response = http_->Get(path_and_query);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status >= 300) {
    return BinanceErrorStatus(*response);
  }
  return std::move(response->body);
}

absl::StatusOr<std::vector<parsers::Kline>> BinanceRestClient::GetKlines(
    std::string_view symbol, domain::Interval interval, int64_t start_ms,
    int64_t end_ms, int limit) {
  if (!IsValidBinanceSymbol(symbol)) {
    return absl::InvalidArgumentError("symbol must be 1 to 32 of A-Z, 0-9");
  }
  if (start_ms < 0 || end_ms < start_ms) {
    return absl::InvalidArgumentError(
        "start_ms must be non-negative and not after end_ms");
  }
  if (limit < 1 || limit > kMaxKlinesPerRequest) {
    return absl::InvalidArgumentError("limit must be in [1, 1000]");
  }
  const std::string query = absl::StrCat(
      "/api/v3/klines?symbol=", std::string(symbol),
      "&interval=", std::string(domain::IntervalName(interval)),
      "&startTime=", start_ms, "&endTime=", end_ms, "&limit=", limit);
  absl::StatusOr<std::string> body = Fetch(query);
  if (!body.ok()) return body.status();
  parsers::ParseResult<parsers::Batch<parsers::Kline>> parsed =
      parsers::ParseKlines(*body);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat("malformed klines response (",
                                            std::string(parsed.error().label()),
                                            "): ", parsed.error().detail));
  }
  if (!parsed->rejected.empty()) {
    LogRejected("klines", parsed->rejected);
  }
  std::vector<parsers::Kline> klines = std::move(parsed->items);
  // Binance sends them oldest first; anything else would break paging.
  std::stable_sort(klines.begin(), klines.end(),
                   [](const parsers::Kline& a, const parsers::Kline& b) {
                     return a.open_time_ms < b.open_time_ms;
                   });
  return klines;
}

absl::StatusOr<std::vector<domain::Candle>> BinanceRestClient::GetCandles(
    std::string_view symbol, domain::Interval interval, int64_t from_ms,
    int64_t to_ms, int64_t now_ms) {
  std::vector<domain::Candle> candles;
  if (to_ms <= from_ms) return candles;
  const int64_t width = domain::IntervalMillis(interval);
  int64_t start = from_ms;
  for (int page = 0; page < kMaxPages && start < to_ms; ++page) {
    absl::StatusOr<std::vector<parsers::Kline>> klines =
        GetKlines(symbol, interval, start, to_ms - 1, kMaxKlinesPerRequest);
    if (!klines.ok()) return klines.status();
    int64_t last_open = -1;
    for (const parsers::Kline& kline : *klines) {
      if (kline.open_time_ms < start || kline.open_time_ms >= to_ms) continue;
      if (!candles.empty() &&
          kline.open_time_ms <= candles.back().open_time_ms) {
        continue;  // overlapping pages: never a duplicate candle
      }
      candles.push_back(
          parsers::KlineToCandle(kline, std::string(symbol), interval, now_ms));
      last_open = kline.open_time_ms;
    }
    // A short page is the last one. The next page starts after the last
    // kline received, whatever gaps the exchange had (a halted market
    // simply has no klines for a while).
    if (klines->size() < static_cast<size_t>(kMaxKlinesPerRequest) ||
        last_open < 0) {
      break;
    }
    start = last_open + width;
  }
  return candles;
}

}  // namespace cryptotracker::pricing::providers
