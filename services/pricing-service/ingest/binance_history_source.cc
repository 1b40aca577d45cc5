#include "services/pricing-service/ingest/binance_history_source.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "services/common/clock.h"
#include "services/common/config_error.h"
#include "services/pricing-service/domain/interval.h"

namespace cryptotracker::pricing::ingest {

BinanceHistorySource::BinanceHistorySource(
    std::unique_ptr<providers::BinanceRestClient> client,
    std::function<int64_t()> clock, int weight_per_minute)
    : client_(std::move(client)),
      clock_(std::move(clock)),
      pacer_(weight_per_minute) {}

std::vector<domain::Candle> BinanceHistorySource::FetchClosedCandles(
    const std::string& pair, domain::Interval interval, int64_t from_ms,
    int64_t to_ms) {
  const int64_t page_span =
      int64_t{providers::BinanceRestClient::kMaxKlinesPerRequest} *
      domain::IntervalMillis(interval);
  std::vector<domain::Candle> closed;
  // One page per request slot: the client would page on its own, but each
  // page is one request the pacer must count.
  for (int64_t page = from_ms; page < to_ms; page += page_span) {
    if (!pacer_.Acquire(kKlinesRequestWeight)) {
      throw std::runtime_error("klines of " + pair + ": shut down");
    }
    absl::StatusOr<std::vector<domain::Candle>> candles = client_->GetCandles(
        pair, interval, page, std::min(to_ms, page + page_span), clock_());
    if (!candles.ok()) {
      throw std::runtime_error("klines of " + pair + ": " +
                               std::string(candles.status().ToString()));
    }
    for (domain::Candle& candle : *candles) {
      if (candle.closed) closed.push_back(std::move(candle));
    }
  }
  return closed;
}

void BinanceHistorySource::Shutdown() {
  pacer_.Shutdown();
  client_->Shutdown();
}

std::unique_ptr<BinanceHistorySource> MakeBinanceHistory(
    const std::string& rest_url, int weight_per_minute) {
  if (rest_url.empty()) return nullptr;
  absl::StatusOr<std::unique_ptr<providers::BinanceRestClient>> client =
      providers::BinanceRestClient::Create({.base_url = rest_url});
  if (!client.ok()) {
    throw common::ConfigError("BINANCE_REST_URL: " +
                              std::string(client.status().message()));
  }
  return std::make_unique<BinanceHistorySource>(
      std::move(*client), common::WallClockMs, weight_per_minute);
}

}  // namespace cryptotracker::pricing::ingest
