// Binance combined WebSocket streams (trades, 1m klines, mini tickers) for a
// configured set of symbols, fed to a StreamListener.
//
// Behaviour (the same against the exchange and the simulator):
//  - connects to <base>/stream?streams=btcusdt@trade/btcusdt@kline_1m/...,
//    over wss:// (TLS with certificate and host-name checks) or ws://;
//  - answers the server's pings (Beast replies with pongs automatically) and
//    pings the server itself when the line goes quiet; no frame at all for
//    idle_timeout means the connection is dead;
//  - Binance closes every connection after 24 hours; the client also
//    rotates it itself after max_connection_age, at a time of its choosing;
//  - reconnects with exponential backoff and jitter (reset once a connection
//    has been stable), resubscribes by reconnecting with the same URL, and
//    then reports per symbol the time range that may have been missed;
//  - counts and skips malformed messages, duplicates and out-of-order
//    events, per reason (stats()).
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_BINANCE_STREAM_CLIENT_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_BINANCE_STREAM_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/pricing-service/providers/stream_listener.h"

namespace cryptotracker::pricing::providers {

struct BinanceStreamOptions {
  // "wss://stream.binance.com:9443" for the exchange,
  // "ws://127.0.0.1:15100" for the simulator.
  std::string base_url;
  // Exchange symbols, upper-case ("BTCUSDT"); at most 300 (3 streams each,
  // Binance allows 1024 streams per connection).
  std::vector<std::string> symbols;
  bool trades = true;        // <symbol>@trade
  bool klines = true;        // <symbol>@kline_1m
  bool mini_tickers = true;  // <symbol>@miniTicker

  std::chrono::milliseconds connect_timeout{10'000};
  // No frame (data, ping or pong) for this long: reconnect. The client
  // pings the server after half of it.
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  // A connection that lived this long resets the backoff.
  std::chrono::milliseconds stable_after{60'000};
  // Proactive rotation before Binance's 24-hour cut.
  std::chrono::milliseconds max_connection_age{std::chrono::hours(23)};
  size_t max_message_bytes = 1024 * 1024;
  // Wall clock in milliseconds since the epoch (injectable for tests).
  std::function<int64_t()> clock;
};

struct StreamStats {
  int64_t connects = 0;
  int64_t disconnects = 0;
  int64_t messages = 0;
  int64_t trades = 0;
  int64_t klines = 0;
  int64_t tickers = 0;
  int64_t pings_received = 0;
  int64_t control_messages = 0;
  int64_t duplicates = 0;
  int64_t out_of_order = 0;
  int64_t gaps_reported = 0;
  int64_t listener_errors = 0;
  // Skipped messages by parse_result.h reason label, plus
  // "unexpected_symbol" for a symbol that was not subscribed.
  std::map<std::string, int64_t> rejected;
};

class BinanceStreamClient {
 public:
  // INVALID_ARGUMENT for a bad URL, no or malformed symbols, or no stream
  // kind selected.
  static absl::StatusOr<std::unique_ptr<BinanceStreamClient>> Create(
      BinanceStreamOptions options, StreamListener& listener);
  ~BinanceStreamClient();  // Stop()s

  // Starts the network thread; connecting happens in the background.
  void Start();
  // Closes the connection and joins the thread. Idempotent. No listener
  // call happens after Stop() returns.
  void Stop();

  bool connected() const;
  StreamStats stats() const;
  // The /stream?streams=... target the client connects to.
  std::string target() const;

  class Impl;

 private:
  explicit BinanceStreamClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_BINANCE_STREAM_CLIENT_H_
