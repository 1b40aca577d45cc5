#include "services/pricing-service/ingest/binance_history_source.h"

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
    std::function<int64_t()> clock)
    : client_(std::move(client)), clock_(std::move(clock)) {}

std::vector<domain::Candle> BinanceHistorySource::FetchOneMinuteCandles(
    const std::string& pair, int64_t from_ms, int64_t to_ms) {
  absl::StatusOr<std::vector<domain::Candle>> candles = client_->GetCandles(
      pair, domain::Interval::k1m, from_ms, to_ms, clock_());
  if (!candles.ok()) {
    throw std::runtime_error("klines of " + pair + ": " +
                             std::string(candles.status().ToString()));
  }
  std::vector<domain::Candle> closed;
  closed.reserve(candles->size());
  for (domain::Candle& candle : *candles) {
    if (candle.closed) closed.push_back(std::move(candle));
  }
  return closed;
}

std::unique_ptr<BinanceHistorySource> MakeBinanceHistory(
    const std::string& rest_url) {
  if (rest_url.empty()) return nullptr;
  absl::StatusOr<std::unique_ptr<providers::BinanceRestClient>> client =
      providers::BinanceRestClient::Create({.base_url = rest_url});
  if (!client.ok()) {
    throw common::ConfigError("BINANCE_REST_URL: " +
                              std::string(client.status().message()));
  }
  return std::make_unique<BinanceHistorySource>(std::move(*client),
                                                common::WallClockMs);
}

}  // namespace cryptotracker::pricing::ingest
