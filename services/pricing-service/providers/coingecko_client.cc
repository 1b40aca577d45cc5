#include "services/pricing-service/providers/coingecko_client.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/common/logging.h"

namespace cryptotracker::pricing::providers {
namespace {

// CoinGecko ids and currency codes: lower-case letters, digits and '-'.
bool IsValidToken(const std::string& text, size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<CoinGeckoClient>> CoinGeckoClient::Create(
    CoinGeckoOptions options) {
  HttpHeaders headers;
  switch (options.plan) {
    case CoinGeckoPlan::kPublic:
      break;
    case CoinGeckoPlan::kDemo:
    case CoinGeckoPlan::kPro:
      if (options.api_key.empty()) {
        return absl::InvalidArgumentError(
            "a CoinGecko demo or pro plan needs an API key");
      }
      headers.emplace_back(options.plan == CoinGeckoPlan::kDemo
                               ? "x-cg-demo-api-key"
                               : "x-cg-pro-api-key",
                           options.api_key);
      break;
  }
  absl::StatusOr<std::unique_ptr<HttpClient>> http =
      HttpClient::Create(options.base_url, std::move(options.http));
  if (!http.ok()) return http.status();
  return std::unique_ptr<CoinGeckoClient>(
      new CoinGeckoClient(*std::move(http), std::move(headers)));
}

absl::StatusOr<parsers::Batch<parsers::CoinMarket>>
CoinGeckoClient::GetCoinsMarkets(const std::string& vs_currency,
                                 const std::vector<std::string>& ids,
                                 int per_page, int page) {
  if (!IsValidToken(vs_currency, 16)) {
    return absl::InvalidArgumentError(
        "vs_currency must be a lower-case currency code such as usd");
  }
  if (per_page < 1 || per_page > kMaxPerPage) {
    return absl::InvalidArgumentError("per_page must be in [1, 250]");
  }
  if (page < 1) return absl::InvalidArgumentError("page must be at least 1");
  std::string query = absl::StrCat("/coins/markets?vs_currency=", vs_currency,
                                   "&order=market_cap_desc&per_page=", per_page,
                                   "&page=", page);
  if (!ids.empty()) {
    query += "&ids=";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!IsValidToken(ids[i], 100)) {
        return absl::InvalidArgumentError(
            absl::StrCat("ids[", i, "] is not a CoinGecko id"));
      }
      if (i > 0) query += "%2C";
      query += ids[i];
    }
  }
  absl::StatusOr<HttpResponse> response = http_->Get(query, headers_);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status >= 300) {
    // {"error":"invalid vs_currency"} or {"status":{"error_message":...}}.
    const nlohmann::json body =
        nlohmann::json::parse(response->body, nullptr, false);
    std::string detail;
    if (body.is_object() && body.contains("error") &&
        body["error"].is_string()) {
      detail = body["error"].get<std::string>().substr(0, 200);
    } else if (body.is_object() && body.contains("status") &&
               body["status"].is_object() &&
               body["status"].contains("error_message") &&
               body["status"]["error_message"].is_string()) {
      detail =
          body["status"]["error_message"].get<std::string>().substr(0, 200);
    }
    const std::string message =
        absl::StrCat("CoinGecko refused the request (HTTP ", response->status,
                     detail.empty() ? "" : ": ", detail, ")");
    if (response->status == 401 || response->status == 403) {
      return absl::PermissionDeniedError(message);
    }
    if (response->status == 404) return absl::NotFoundError(message);
    return absl::InvalidArgumentError(message);
  }
  parsers::ParseResult<parsers::Batch<parsers::CoinMarket>> parsed =
      parsers::ParseCoinsMarkets(response->body);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat(
        "malformed /coins/markets response (",
        std::string(parsed.error().label()), "): ", parsed.error().detail));
  }
  for (const parsers::ItemError& item : parsed->rejected) {
    common::LogWarn("exchange row rejected",
                    {{"source", "coingecko"},
                     {"payload", "coins/markets"},
                     {"index", static_cast<int64_t>(item.index)},
                     {"reason", item.error.label()},
                     {"detail", item.error.detail}});
  }
  return std::move(parsed).value();
}

}  // namespace cryptotracker::pricing::providers
