// exchange_sim: serves simulated Binance spot market data (REST and
// WebSocket) and CoinGecko /coins/markets on plain HTTP/WS.
//
//   bazel run //testing/exchange-sim:exchange_sim -- --port=15100 --seed=42
//
// Every flag has an environment variable; flags win:
//   --bind=ADDR          EXCHANGE_SIM_BIND        (127.0.0.1)
//   --port=N             EXCHANGE_SIM_PORT        (15100; 0 = any free port)
//   --seed=N             EXCHANGE_SIM_SEED        (42)
//   --tick-rate=R        EXCHANGE_SIM_TICK_RATE   (1 trade/s per symbol)
//   --speed=F            EXCHANGE_SIM_SPEED       (1 = real time)
//   --ping-interval-ms=N EXCHANGE_SIM_PING_INTERVAL_MS (20000)
//   --max-connection-seconds=N EXCHANGE_SIM_MAX_CONNECTION_SECONDS (86400)
//   --log-level=L        LOG_LEVEL                (info)
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/logging.h"
#include "testing/exchange-sim/simulator.h"

namespace {

using cryptotracker::exchange_sim::ExchangeSimulator;
using cryptotracker::exchange_sim::SimulatorOptions;

std::optional<std::string> Lookup(const std::vector<std::string>& args,
                                  const std::string& flag,
                                  const std::string& env) {
  const std::string prefix = "--" + flag + "=";
  for (const std::string& arg : args) {
    if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
  }
  if (const char* value = std::getenv(env.c_str());
      value != nullptr && *value != '\0') {
    return std::string(value);
  }
  return std::nullopt;
}

double ParseNumber(const std::string& name, const std::string& text, double min,
                   double max) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= min && value <= max)) {
    throw std::invalid_argument(name + " must be a number in [" +
                                std::to_string(min) + ", " +
                                std::to_string(max) + "]");
  }
  return value;
}

uint64_t ParseSeed(const std::string& text) {
  size_t used = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '-') {
    throw std::invalid_argument("seed must be a non-negative integer");
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  namespace common = cryptotracker::common;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: exchange_sim [--bind=ADDR] [--port=N] [--seed=N] "
                   "[--tick-rate=R] [--speed=F] [--ping-interval-ms=N] "
                   "[--max-connection-seconds=N] [--log-level=L]\n";
      return 0;
    }
  }
  SimulatorOptions options;
  options.port = 15100;
  try {
    common::InitLogging(
        "exchange-sim",
        Lookup(args, "log-level", "LOG_LEVEL").value_or("info"));
    if (auto v = Lookup(args, "bind", "EXCHANGE_SIM_BIND")) {
      options.bind_address = *v;
    }
    if (auto v = Lookup(args, "port", "EXCHANGE_SIM_PORT")) {
      options.port = static_cast<uint16_t>(ParseNumber("port", *v, 0, 65535));
    }
    if (auto v = Lookup(args, "seed", "EXCHANGE_SIM_SEED")) {
      options.seed = ParseSeed(*v);
    }
    if (auto v = Lookup(args, "tick-rate", "EXCHANGE_SIM_TICK_RATE")) {
      options.tick_rate = ParseNumber("tick-rate", *v, 1.0 / 60, 68.0);
    }
    if (auto v = Lookup(args, "speed", "EXCHANGE_SIM_SPEED")) {
      options.speed = ParseNumber("speed", *v, 0.01, 1000.0);
    }
    if (auto v =
            Lookup(args, "ping-interval-ms", "EXCHANGE_SIM_PING_INTERVAL_MS")) {
      options.ping_interval = std::chrono::milliseconds(static_cast<int64_t>(
          ParseNumber("ping-interval-ms", *v, 100, 3'600'000)));
    }
    if (auto v = Lookup(args, "max-connection-seconds",
                        "EXCHANGE_SIM_MAX_CONNECTION_SECONDS")) {
      options.max_connection_age =
          std::chrono::milliseconds(static_cast<int64_t>(
              ParseNumber("max-connection-seconds", *v, 1, 864'000) * 1000));
    }
  } catch (const std::exception& e) {
    std::cerr << "exchange_sim: " << e.what() << "\n";
    return 2;
  }

  // Block the shutdown signals before any thread starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ExchangeSimulator simulator(options);
  try {
    simulator.Start();
  } catch (const std::exception& e) {
    common::LogError("exchange simulator failed to start",
                     {{"error", e.what()}});
    return 1;
  }
  common::LogInfo("exchange simulator listening",
                  {{"address", options.bind_address},
                   {"port", static_cast<int>(simulator.port())},
                   {"seed", std::to_string(options.seed)},
                   {"trades_per_minute", simulator.model().trades_per_minute()},
                   {"speed", options.speed}});
  int received = 0;
  sigwait(&signals, &received);
  common::LogInfo("exchange simulator stopping", {{"signal", received}});
  simulator.Stop();
  return 0;
}
