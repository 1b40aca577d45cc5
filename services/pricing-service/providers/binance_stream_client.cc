#include "services/pricing-service/providers/binance_stream_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "services/common/clock.h"
#include "services/common/logging.h"
#include "services/pricing-service/providers/backoff.h"
#include "services/pricing-service/providers/binance_rest_client.h"
#include "services/pricing-service/providers/endpoint.h"

namespace cryptotracker::pricing::providers {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr size_t kMaxSymbols = 300;

std::string Lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// Logs the 1st, 2nd, 4th, 8th, ... occurrence only: a flood of bad messages
// stays visible without flooding the log.
bool ShouldLog(int64_t count) {
  return count > 0 && std::has_single_bit(static_cast<uint64_t>(count));
}

}  // namespace

class BinanceStreamClient::Impl {
 public:
  Impl(BinanceStreamOptions options, Endpoint endpoint,
       StreamListener& listener)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        listener_(listener),
        ssl_context_(ssl::context::tls_client),
        resolver_(ioc_),
        reconnect_timer_(ioc_),
        rotate_timer_(ioc_),
        backoff_(options_.initial_backoff, options_.max_backoff) {
    if (!options_.clock) options_.clock = common::WallClockMs;
    if (endpoint_.tls) {
      ssl_context_.set_default_verify_paths();
      ssl_context_.set_verify_mode(ssl::verify_peer);
    }
    std::vector<std::string> streams;
    for (const std::string& symbol : options_.symbols) {
      symbols_.emplace(symbol, SymbolState{});
      const std::string lower = Lower(symbol);
      if (options_.trades) streams.push_back(lower + "@trade");
      if (options_.klines) streams.push_back(lower + "@kline_1m");
      if (options_.mini_tickers) streams.push_back(lower + "@miniTicker");
    }
    target_ = endpoint_.path_prefix + "/stream?streams=";
    for (size_t i = 0; i < streams.size(); ++i) {
      if (i > 0) target_ += "/";
      target_ += streams[i];
    }
  }

  void Start() {
    if (thread_.joinable()) return;
    work_.emplace(net::make_work_guard(ioc_));
    net::post(ioc_, [this] { Connect(); });
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void Stop() {
    if (!thread_.joinable()) return;
    net::post(ioc_, [this] {
      stopping_ = true;
      ++generation_;
      reconnect_timer_.cancel();
      rotate_timer_.cancel();
      resolver_.cancel();
      CloseSocket();
      if (connected_) {
        connected_ = false;
        Notify([&] { listener_.OnStatus(false, "stopped"); });
      }
      work_.reset();
      // Closing the socket cancels the reads, but the WebSocket's idle
      // timer may stay pending for up to idle_timeout; nothing pending
      // matters any more, so the loop ends now rather than then.
      ioc_.stop();
    });
    thread_.join();
  }

  bool connected() const { return connected_; }
  const std::string& target() const { return target_; }
  StreamStats stats() const {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    return stats_;
  }

 private:
  using PlainWs = websocket::stream<beast::tcp_stream>;
  using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

  struct SymbolState {
    // Exchange time of the latest event seen; -1 before the first.
    int64_t last_seen_ms = -1;
    int64_t last_trade_id = -1;
    int64_t last_kline_open_ms = -1;
    int64_t last_kline_event_ms = -1;
    bool last_kline_closed = false;
    int64_t last_ticker_event_ms = -1;
  };

  template <typename F>
  void WithWs(F&& f) {
    if (tls_ws_ != nullptr) {
      f(*tls_ws_);
    } else if (plain_ws_ != nullptr) {
      f(*plain_ws_);
    }
  }

  template <typename F>
  void Notify(F&& call) {
    try {
      call();
    } catch (const std::exception& e) {
      Count([](StreamStats& s) { ++s.listener_errors; });
      common::LogError("stream listener threw",
                       {{"source", "binance"}, {"error", e.what()}});
    } catch (...) {
      Count([](StreamStats& s) { ++s.listener_errors; });
      common::LogError("stream listener threw", {{"source", "binance"}});
    }
  }

  template <typename F>
  void Count(F&& update) {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    update(stats_);
  }

  void CountRejected(const std::string& label, std::string_view detail) {
    int64_t count = 0;
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      count = ++stats_.rejected[label];
    }
    if (ShouldLog(count)) {
      common::LogWarn("stream message skipped",
                      {{"source", "binance"},
                       {"reason", label},
                       {"detail", detail.substr(0, 300)},
                       {"count", count}});
    }
  }

  void CloseSocket() {
    beast::error_code ignored;
    WithWs([&](auto& ws) {
      beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both,
                                                    ignored);
      beast::get_lowest_layer(ws).socket().close(ignored);
    });
  }

  void Connect() {
    if (stopping_) return;
    const uint64_t generation = ++generation_;
    CloseSocket();
    plain_ws_.reset();
    tls_ws_.reset();
    buffer_.clear();
    rotating_ = false;
    if (endpoint_.tls) {
      tls_ws_ = std::make_unique<TlsWs>(ioc_, ssl_context_);
    } else {
      plain_ws_ = std::make_unique<PlainWs>(ioc_);
    }
    WithWs([&](auto& ws) {
      beast::get_lowest_layer(ws).expires_after(options_.connect_timeout);
    });
    resolver_.async_resolve(
        endpoint_.host, std::to_string(endpoint_.port),
        [this, generation](beast::error_code ec,
                           tcp::resolver::results_type results) {
          if (generation != generation_) return;
          if (ec) {
            ConnectionLost(generation, "resolve failed: " + ec.message());
            return;
          }
          WithWs([&](auto& ws) {
            beast::get_lowest_layer(ws).async_connect(
                results,
                [this, generation](beast::error_code ec, const tcp::endpoint&) {
                  OnTcpConnected(generation, ec);
                });
          });
        });
  }

  void OnTcpConnected(uint64_t generation, beast::error_code ec) {
    if (generation != generation_) return;
    if (ec) {
      ConnectionLost(generation, "connect failed: " + ec.message());
      return;
    }
    if (tls_ws_ == nullptr) {
      StartWebSocketHandshake(generation);
      return;
    }
    auto& tls = tls_ws_->next_layer();
    if (!SSL_set_tlsext_host_name(tls.native_handle(),
                                  endpoint_.host.c_str())) {
      ConnectionLost(generation, "TLS: cannot set the server name");
      return;
    }
    tls.set_verify_callback(ssl::host_name_verification(endpoint_.host));
    tls.async_handshake(
        ssl::stream_base::client, [this, generation](beast::error_code ec) {
          if (generation != generation_) return;
          if (ec) {
            ConnectionLost(generation, "TLS handshake failed: " + ec.message());
            return;
          }
          StartWebSocketHandshake(generation);
        });
  }

  void StartWebSocketHandshake(uint64_t generation) {
    WithWs([&](auto& ws) {
      // From here on the WebSocket's own timeouts apply: handshake limit,
      // then idle detection with keep-alive pings at half the idle time.
      beast::get_lowest_layer(ws).expires_never();
      websocket::stream_base::timeout timeouts;
      timeouts.handshake_timeout = options_.connect_timeout;
      timeouts.idle_timeout = options_.idle_timeout;
      timeouts.keep_alive_pings = true;
      ws.set_option(timeouts);
      ws.set_option(websocket::stream_base::decorator(
          [](websocket::request_type& request) {
            request.set(beast::http::field::user_agent,
                        "cryptotracker-pricing-service/1");
          }));
      ws.read_message_max(options_.max_message_bytes);
      // Pongs to the server's pings are sent by Beast during reads.
      ws.control_callback(
          [this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::ping) {
              Count([](StreamStats& s) { ++s.pings_received; });
            }
          });
      ws.async_handshake(endpoint_.HostHeader(), target_,
                         [this, generation](beast::error_code ec) {
                           OnWebSocketHandshake(generation, ec);
                         });
    });
  }

  void OnWebSocketHandshake(uint64_t generation, beast::error_code ec) {
    if (generation != generation_) return;
    if (ec) {
      ConnectionLost(generation, "WebSocket handshake failed: " + ec.message());
      return;
    }
    connected_ = true;
    connected_at_ = std::chrono::steady_clock::now();
    const int64_t now_ms = options_.clock();
    Count([](StreamStats& s) { ++s.connects; });
    common::LogInfo("market stream connected",
                    {{"source", "binance"},
                     {"endpoint", endpoint_.ToString()},
                     {"symbols", static_cast<int64_t>(symbols_.size())}});
    Notify([&] {
      listener_.OnStatus(true, "connected to " + endpoint_.ToString());
    });
    ReportGaps(now_ms);
    rotate_timer_.expires_after(options_.max_connection_age);
    rotate_timer_.async_wait([this, generation](beast::error_code ec) {
      if (ec || generation != generation_ || !connected_) return;
      // Rotate before the exchange's 24-hour cut, at our own time.
      rotating_ = true;
      WithWs([&](auto& ws) {
        ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
      });
    });
    DoRead(generation);
  }

  // After every successful (re)connect but the first: the range each symbol
  // may have missed. A symbol never seen counts from the first connect.
  void ReportGaps(int64_t now_ms) {
    if (first_connect_ms_ < 0) {
      first_connect_ms_ = now_ms;
      return;
    }
    for (const auto& [symbol, state] : symbols_) {
      const int64_t from =
          state.last_seen_ms >= 0 ? state.last_seen_ms : first_connect_ms_;
      if (from >= now_ms) continue;
      Count([](StreamStats& s) { ++s.gaps_reported; });
      Notify([&] { listener_.OnGap(symbol, from, now_ms); });
    }
  }

  void DoRead(uint64_t generation) {
    WithWs([&](auto& ws) {
      ws.async_read(buffer_,
                    [this, generation](beast::error_code ec, std::size_t) {
                      OnRead(generation, ec);
                    });
    });
  }

  void OnRead(uint64_t generation, beast::error_code ec) {
    if (generation != generation_) return;
    if (ec) {
      std::string reason = "connection lost: " + ec.message();
      if (ec == websocket::error::closed) {
        WithWs([&](auto& ws) {
          reason = absl::StrCat("closed by server (code ", ws.reason().code,
                                ws.reason().reason.empty() ? "" : ": ",
                                std::string(ws.reason().reason.c_str()), ")");
        });
      }
      ConnectionLost(generation, reason);
      return;
    }
    const std::string frame = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    Process(frame);
    DoRead(generation);
  }

  void ConnectionLost(uint64_t generation, const std::string& reason) {
    if (generation != generation_ || stopping_) return;
    ++generation_;  // late handlers of this connection are ignored
    const bool was_connected = connected_;
    const bool rotating = rotating_;
    connected_ = false;
    rotate_timer_.cancel();
    CloseSocket();
    if (was_connected) {
      Count([](StreamStats& s) { ++s.disconnects; });
      if (std::chrono::steady_clock::now() - connected_at_ >=
          options_.stable_after) {
        backoff_.Reset();
      }
    }
    const std::chrono::milliseconds delay =
        rotating ? std::chrono::milliseconds(0) : backoff_.Next();
    common::LogWarn("market stream disconnected",
                    {{"source", "binance"},
                     {"reason", reason},
                     {"retry_in_ms", static_cast<int64_t>(delay.count())}});
    Notify([&] { listener_.OnStatus(false, reason); });
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) Connect();
    });
  }

  void Process(std::string_view frame) {
    Count([](StreamStats& s) { ++s.messages; });
    parsers::ParseResult<parsers::StreamMessage> message =
        parsers::ParseStreamMessage(frame);
    if (!message.ok()) {
      if (message.error().reason ==
          parsers::ParseErrorReason::kControlMessage) {
        Count([](StreamStats& s) { ++s.control_messages; });
        return;
      }
      CountRejected(std::string(message.error().label()),
                    message.error().detail);
      return;
    }
    for (const parsers::ItemError& item : message->rejected) {
      CountRejected(std::string(item.error.label()), item.error.detail);
    }
    for (const parsers::StreamEvent& event : message->events) {
      std::visit([this](const auto& e) { Handle(e); }, event);
    }
  }

  SymbolState* StateFor(const std::string& symbol) {
    auto it = symbols_.find(symbol);
    if (it == symbols_.end()) {
      CountRejected("unexpected_symbol", symbol);
      return nullptr;
    }
    return &it->second;
  }

  void Duplicate() {
    Count([](StreamStats& s) { ++s.duplicates; });
  }
  void OutOfOrder() {
    Count([](StreamStats& s) { ++s.out_of_order; });
  }

  void Handle(const parsers::TradeEvent& trade) {
    SymbolState* state = StateFor(trade.symbol);
    if (state == nullptr) return;
    if (trade.trade_id <= state->last_trade_id) {
      trade.trade_id == state->last_trade_id ? Duplicate() : OutOfOrder();
      return;
    }
    state->last_trade_id = trade.trade_id;
    state->last_seen_ms = std::max(state->last_seen_ms, trade.trade_time_ms);
    Count([](StreamStats& s) { ++s.trades; });
    const domain::Tick tick = parsers::TradeToTick(trade);
    Notify([&] { listener_.OnTrade(tick); });
  }

  void Handle(const parsers::KlineEvent& kline) {
    SymbolState* state = StateFor(kline.symbol);
    if (state == nullptr) return;
    if (kline.interval != domain::Interval::k1m) {
      CountRejected("unexpected_interval", kline.symbol);
      return;
    }
    if (kline.open_time_ms < state->last_kline_open_ms) {
      OutOfOrder();
      return;
    }
    if (kline.open_time_ms == state->last_kline_open_ms) {
      if (state->last_kline_closed) {
        Duplicate();  // that minute was already delivered closed
        return;
      }
      if (kline.event_time_ms < state->last_kline_event_ms) {
        OutOfOrder();
        return;
      }
      if (kline.event_time_ms == state->last_kline_event_ms && !kline.closed) {
        Duplicate();
        return;
      }
    }
    state->last_kline_open_ms = kline.open_time_ms;
    state->last_kline_event_ms = kline.event_time_ms;
    state->last_kline_closed = kline.closed;
    state->last_seen_ms = std::max(state->last_seen_ms, kline.event_time_ms);
    Count([](StreamStats& s) { ++s.klines; });
    const domain::Candle candle = parsers::KlineEventToCandle(kline);
    Notify([&] { listener_.OnKline(candle); });
  }

  void Handle(const parsers::MiniTickerEvent& ticker) {
    SymbolState* state = StateFor(ticker.symbol);
    if (state == nullptr) return;
    if (ticker.event_time_ms <= state->last_ticker_event_ms) {
      ticker.event_time_ms == state->last_ticker_event_ms ? Duplicate()
                                                          : OutOfOrder();
      return;
    }
    state->last_ticker_event_ms = ticker.event_time_ms;
    state->last_seen_ms = std::max(state->last_seen_ms, ticker.event_time_ms);
    Count([](StreamStats& s) { ++s.tickers; });
    Notify([&] { listener_.OnTicker(ticker); });
  }

  BinanceStreamOptions options_;
  const Endpoint endpoint_;
  StreamListener& listener_;
  std::string target_;

  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  ssl::context ssl_context_;
  tcp::resolver resolver_;
  net::steady_timer reconnect_timer_;
  net::steady_timer rotate_timer_;
  std::unique_ptr<PlainWs> plain_ws_;
  std::unique_ptr<TlsWs> tls_ws_;
  beast::flat_buffer buffer_;
  std::thread thread_;

  // Network-thread state.
  uint64_t generation_ = 0;
  bool stopping_ = false;
  bool rotating_ = false;
  std::atomic<bool> connected_{false};
  std::chrono::steady_clock::time_point connected_at_;
  int64_t first_connect_ms_ = -1;
  Backoff backoff_;
  std::map<std::string, SymbolState> symbols_;

  mutable std::mutex stats_mutex_;
  StreamStats stats_;
};

absl::StatusOr<std::unique_ptr<BinanceStreamClient>>
BinanceStreamClient::Create(BinanceStreamOptions options,
                            StreamListener& listener) {
  absl::StatusOr<Endpoint> endpoint =
      ParseEndpoint(options.base_url, EndpointKind::kWebSocket);
  if (!endpoint.ok()) return endpoint.status();
  if (options.symbols.empty() || options.symbols.size() > kMaxSymbols) {
    return absl::InvalidArgumentError("symbols must list 1 to 300 symbols");
  }
  std::set<std::string> unique;
  for (size_t i = 0; i < options.symbols.size(); ++i) {
    if (!IsValidBinanceSymbol(options.symbols[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "symbols[", i, "] must be 1 to 32 of A-Z, 0-9 (e.g. BTCUSDT)"));
    }
    unique.insert(options.symbols[i]);
  }
  options.symbols.assign(unique.begin(), unique.end());
  if (!options.trades && !options.klines && !options.mini_tickers) {
    return absl::InvalidArgumentError(
        "at least one of trades, klines, mini_tickers must be enabled");
  }
  if (options.idle_timeout.count() < 1000 ||
      options.connect_timeout.count() < 100 ||
      options.initial_backoff.count() < 1 ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "timeouts must be positive and max_backoff >= initial_backoff");
  }
  return std::unique_ptr<BinanceStreamClient>(
      new BinanceStreamClient(std::make_unique<Impl>(
          std::move(options), *std::move(endpoint), listener)));
}

BinanceStreamClient::BinanceStreamClient(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

BinanceStreamClient::~BinanceStreamClient() { Stop(); }

void BinanceStreamClient::Start() { impl_->Start(); }
void BinanceStreamClient::Stop() { impl_->Stop(); }
bool BinanceStreamClient::connected() const { return impl_->connected(); }
StreamStats BinanceStreamClient::stats() const { return impl_->stats(); }
std::string BinanceStreamClient::target() const { return impl_->target(); }

}  // namespace cryptotracker::pricing::providers
