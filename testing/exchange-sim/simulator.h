// The local exchange simulator: an HTTP and WebSocket server that speaks the
// Binance spot market-data protocol and CoinGecko's /coins/markets, backed by
// the deterministic MarketModel. See README.md for the endpoints.
//
// Usable in-process (tests start one on an ephemeral port) and as the
// exchange_sim binary that `make up` runs.
#ifndef CRYPTOTRACKER_TESTING_EXCHANGE_SIM_SIMULATOR_H_
#define CRYPTOTRACKER_TESTING_EXCHANGE_SIM_SIMULATOR_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "testing/exchange-sim/market_model.h"

namespace cryptotracker::exchange_sim {

struct SimulatorOptions {
  std::string bind_address = "127.0.0.1";
  // 0 picks a free port (see ExchangeSimulator::port()).
  uint16_t port = 0;
  uint64_t seed = 42;
  // Trades per second per symbol; rounded to a power of two per minute.
  double tick_rate = 1.0;
  // Simulated seconds per real second. Above 1 the simulated clock runs
  // ahead of the wall clock, which is meant for demos, not for a service
  // that checks timestamps against its own clock.
  double speed = 1.0;
  // Simulated time at start-up; the wall clock when unset.
  std::optional<int64_t> start_time_ms;
  // Binance pings every WebSocket about every 20 seconds and closes it when
  // no pong arrives within a minute.
  std::chrono::milliseconds ping_interval{20'000};
  std::chrono::milliseconds pong_timeout{60'000};
  // Binance closes every WebSocket after 24 hours.
  std::chrono::milliseconds max_connection_age{24LL * 3600 * 1000};
  // Interval of @kline_* updates; Binance sends them every 2 seconds.
  std::chrono::milliseconds kline_update_interval{2'000};
  // Interval of @miniTicker updates (1 second on Binance).
  std::chrono::milliseconds ticker_interval{1'000};
  // Messages a client may have queued before it is disconnected as too slow.
  size_t max_queued_messages = 20'000;
  int io_threads = 2;
};

class ExchangeSimulator {
 public:
  explicit ExchangeSimulator(SimulatorOptions options);
  ~ExchangeSimulator();
  ExchangeSimulator(const ExchangeSimulator&) = delete;
  ExchangeSimulator& operator=(const ExchangeSimulator&) = delete;

  // Binds and starts serving; throws std::runtime_error when the address
  // cannot be bound.
  void Start();
  // Closes every connection and joins the threads. Idempotent.
  void Stop();

  uint16_t port() const;
  // The simulated clock, milliseconds since the epoch.
  int64_t NowMs() const;
  const MarketModel& model() const;

  // Fault injection for tests and demos.
  // Drops every WebSocket without a close frame, like a network failure.
  void DropAllConnections();
  // Sends `frame` as-is to every WebSocket (e.g. malformed JSON).
  void InjectFrame(std::string frame);
  // Open WebSocket connections.
  size_t websocket_count() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cryptotracker::exchange_sim

#endif  // CRYPTOTRACKER_TESTING_EXCHANGE_SIM_SIMULATOR_H_
