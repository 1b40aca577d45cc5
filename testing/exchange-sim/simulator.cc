#include "testing/exchange-sim/simulator.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "testing/exchange-sim/wire_format.h"

namespace cryptotracker::exchange_sim {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Binance accepts at most 1024 streams per connection.
constexpr size_t kMaxStreamsPerConnection = 1024;
// How far the event pump catches up after a stall (e.g. a suspended
// process) instead of flooding clients with a backlog.
constexpr int64_t kMaxCatchUpMs = 5'000;
// The pump sleeps until the next event is due (a trade, a ticker or a kline
// update of a subscribed stream), but at most this long, and at least
// kMinPumpGap between runs (which only binds when --speed compresses many
// simulated milliseconds into one real one).
constexpr int64_t kMaxPumpSleepMs = 50;
constexpr auto kMinPumpGap = std::chrono::microseconds(500);
constexpr int64_t kDayMs = 86'400'000;

int64_t AlignDown(int64_t time_ms, int64_t width_ms) {
  int64_t q = time_ms / width_ms;
  if (time_ms % width_ms != 0 && time_ms < 0) --q;
  return q * width_ms;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(
          std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Target {
  std::string path;
  std::multimap<std::string, std::string> query;

  const std::string* Get(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? nullptr : &it->second;
  }
};

Target ParseTarget(std::string_view target) {
  Target result;
  const size_t question = target.find('?');
  result.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return result;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (!key.empty()) result.query.emplace(std::move(key), std::move(value));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return result;
}

// Binance's rule for integer parameters: 1 to 20 ASCII digits.
std::optional<int64_t> ParseUnsigned(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

struct HttpReply {
  http::status status = http::status::ok;
  std::string body;
};

HttpReply BinanceFailure(http::status status, int code,
                         std::string_view message) {
  return {status, BinanceError(code, message)};
}

HttpReply IllegalParameter(const std::string& name) {
  return BinanceFailure(http::status::bad_request, -1100,
                        "Illegal characters found in parameter '" + name +
                            "'; legal range is '^[0-9]{1,20}$'.");
}

HttpReply MandatoryParameter(const std::string& name) {
  return BinanceFailure(http::status::bad_request, -1102,
                        "Mandatory parameter '" + name +
                            "' was not sent, was empty/null, or malformed.");
}

// A stream name the simulator serves: "<pair lower-case>@trade",
// "@miniTicker" or "@kline_<interval>".
struct StreamSpec {
  int asset = -1;
  enum class Kind { kTrade, kMiniTicker, kKline } kind = Kind::kTrade;
  std::string interval_name;
  int64_t interval_ms = 0;
};

std::optional<StreamSpec> ParseStream(const MarketModel& model,
                                      std::string_view name) {
  const size_t at = name.find('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  std::string pair(name.substr(0, at));
  for (char& c : pair) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  StreamSpec spec;
  spec.asset = model.FindPair(pair);
  if (spec.asset < 0) return std::nullopt;
  const std::string_view kind = name.substr(at + 1);
  if (kind == "trade") {
    spec.kind = StreamSpec::Kind::kTrade;
  } else if (kind == "miniTicker") {
    spec.kind = StreamSpec::Kind::kMiniTicker;
  } else if (kind.starts_with("kline_")) {
    spec.kind = StreamSpec::Kind::kKline;
    spec.interval_name = std::string(kind.substr(6));
    std::optional<int64_t> width = BinanceIntervalMillis(spec.interval_name);
    if (!width.has_value()) return std::nullopt;
    spec.interval_ms = *width;
  } else {
    return std::nullopt;
  }
  return spec;
}

using StreamMap = std::map<std::string, StreamSpec>;

// The first time after `time_ms` of the form k * period + phase.
int64_t NextPhaseTime(int64_t time_ms, int64_t period, int64_t phase) {
  return AlignDown(time_ms - phase, period) + period + phase;
}

// Whether some k * period + phase lies in (from_ms, to_ms].
bool PhaseCrossed(int64_t from_ms, int64_t to_ms, int64_t period,
                  int64_t phase) {
  return AlignDown(to_ms - phase, period) != AlignDown(from_ms - phase, period);
}

std::vector<std::string> SplitStreams(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const size_t slash = list.find('/');
    if (slash != 0) names.emplace_back(list.substr(0, slash));
    if (slash == std::string_view::npos) break;
    list = list.substr(slash + 1);
  }
  return names;
}

}  // namespace

class WsSession;

class ExchangeSimulator::Impl {
 public:
  explicit Impl(SimulatorOptions options)
      : options_(std::move(options)),
        model_(options_.seed,
               MarketModel::TradesPerMinuteForRate(options_.tick_rate)),
        ioc_(std::max(1, options_.io_threads)),
        acceptor_(net::make_strand(ioc_)),
        pump_timer_(net::make_strand(ioc_)),
        start_sim_ms_(options_.start_time_ms.value_or(
            std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count())),
        start_steady_(std::chrono::steady_clock::now()),
        live_minutes_(model_.assets().size()) {
    // Each symbol's periodic events at its own offset in the period, so the
    // market does not arrive as one burst per second.
    for (size_t i = 0; i < model_.assets().size(); ++i) {
      const int asset = static_cast<int>(i);
      ticker_phases_ms_.push_back(
          static_cast<int64_t>(model_.PhaseFraction(asset, "miniTicker") *
                               static_cast<double>(TickerPeriodMs())));
      kline_phases_ms_.push_back(
          static_cast<int64_t>(model_.PhaseFraction(asset, "kline") *
                               static_cast<double>(KlineUpdatePeriodMs())));
    }
  }

  void Start();
  void Stop();
  int64_t NowMs() const {
    const auto elapsed = std::chrono::steady_clock::now() - start_steady_;
    const double elapsed_ms =
        std::chrono::duration<double, std::milli>(elapsed).count();
    return start_sim_ms_ + static_cast<int64_t>(elapsed_ms * options_.speed);
  }

  const SimulatorOptions& options() const { return options_; }
  const MarketModel& model() const { return model_; }
  net::io_context& ioc() { return ioc_; }
  uint16_t port() const { return port_; }

  void Register(const std::shared_ptr<WsSession>& session) {
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      sessions_.push_back(session);
    }
    SubscriptionsChanged();
  }
  // A session opened, closed or changed its streams (thread-safe): the pump
  // rebuilds its stream index and recomputes when it is next due.
  void SubscriptionsChanged() {
    ++subscriptions_version_;
    if (stopping_) return;
    net::post(pump_timer_.get_executor(), [this] {
      Pump();
      SchedulePump();
    });
  }
  std::vector<std::shared_ptr<WsSession>> Sessions() {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    std::vector<std::shared_ptr<WsSession>> alive;
    std::vector<std::weak_ptr<WsSession>> kept;
    for (const auto& weak : sessions_) {
      if (auto session = weak.lock()) {
        alive.push_back(session);
        kept.push_back(weak);
      }
    }
    sessions_ = std::move(kept);
    return alive;
  }

  HttpReply HandleHttp(const http::request<http::string_body>& request);
  // Parses the streams of a WebSocket URL into `specs`; nullopt means serve
  // them.
  std::optional<HttpReply> ParseStreams(const std::vector<std::string>& names,
                                        StreamMap& specs);

 private:
  // A stream at least one session subscribes to, with its subscribers.
  struct ActiveStream {
    std::string name;
    StreamSpec spec;
    std::vector<std::shared_ptr<WsSession>> combined;
    std::vector<std::shared_ptr<WsSession>> raw;
  };
  // The minute of trades the pump is streaming for one asset.
  struct LiveMinute {
    int64_t start_ms = std::numeric_limits<int64_t>::min();
    std::vector<Trade> trades;
  };

  int64_t TickerPeriodMs() const {
    return std::max<int64_t>(1, options_.ticker_interval.count());
  }
  int64_t KlineUpdatePeriodMs() const {
    return std::max<int64_t>(1, options_.kline_update_interval.count());
  }

  void Accept();
  void SchedulePump();
  void Pump();
  void RefreshActiveStreams();
  // The earliest simulated time after `time_ms` at which an active stream
  // has an event, capped at kMaxPumpSleepMs ahead.
  int64_t NextDueMs(int64_t time_ms) const;
  void EmitTrades(const ActiveStream& stream, int64_t from_ms, int64_t to_ms);
  // Sends one event to every subscriber of `stream`: the payload (and its
  // combined-stream envelope) is built once and shared.
  void Publish(const ActiveStream& stream, std::string data);

  HttpReply Klines(const Target& target);
  HttpReply Ticker24hr(const Target& target);
  HttpReply CoinsMarkets(const Target& target);
  std::string TickerJson(int asset, int64_t now_ms) const;

  SimulatorOptions options_;
  MarketModel model_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer pump_timer_;
  std::vector<std::thread> threads_;
  std::thread warm_up_;
  std::atomic<bool> stopping_{false};
  int64_t start_sim_ms_;
  std::chrono::steady_clock::time_point start_steady_;
  uint16_t port_ = 0;
  bool started_ = false;

  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<WsSession>> sessions_;

  // Bumped on every subscription change; the pump compares it with the
  // version its index was built from.
  std::atomic<uint64_t> subscriptions_version_{0};

  // Pump state: only the pump strand touches it (and Stop, once the threads
  // are joined).
  std::vector<int64_t> ticker_phases_ms_;
  std::vector<int64_t> kline_phases_ms_;
  std::vector<LiveMinute> live_minutes_;
  std::vector<ActiveStream> active_;  // by name
  uint64_t active_version_ = 0;
  int64_t last_pump_ms_ = 0;
  std::chrono::steady_clock::time_point last_pump_steady_;
};

// One WebSocket client. All state lives on the session's strand except the
// subscription set, which the pump reads under a mutex.
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(tcp::socket socket, ExchangeSimulator::Impl& sim, bool combined,
            StreamMap streams)
      : ws_(std::move(socket)),
        executor_(ws_.get_executor()),
        sim_(sim),
        combined_(combined),
        streams_(std::move(streams)),
        ping_timer_(executor_),
        age_timer_(executor_) {}

  void Start(http::request<http::string_body> request) {
    ws_.set_option(websocket::stream_base::timeout{
        std::chrono::seconds(30), websocket::stream_base::none(), false});
    ws_.read_message_max(64 * 1024);
    ws_.control_callback(
        [this](websocket::frame_type kind, beast::string_view) {
          if (kind == websocket::frame_type::pong) {
            last_pong_ = std::chrono::steady_clock::now();
          }
        });
    ws_.async_accept(request, beast::bind_front_handler(&WsSession::OnAccept,
                                                        shared_from_this()));
  }

  bool open() const { return !closed_; }
  // A combined-stream connection ({"stream":..,"data":..} envelopes).
  bool combined() const { return combined_; }

  // Calls fn(name, spec) for every subscribed stream, under the lock.
  template <typename Fn>
  void ForEachStream(Fn&& fn) {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    for (const auto& [name, spec] : streams_) fn(name, spec);
  }

  // Queues a text frame (thread-safe); the pump shares one payload between
  // every subscriber of an event.
  void Send(std::shared_ptr<const std::string> payload) {
    net::post(executor_, [self = shared_from_this(),
                          payload = std::move(payload)]() mutable {
      self->Enqueue(std::move(payload));
    });
  }
  void Drop() {
    net::post(executor_, [self = shared_from_this()] { self->Abort(); });
  }

 private:
  struct Outgoing {
    enum class Kind { kText, kPing, kClose } kind = Kind::kText;
    std::shared_ptr<const std::string> text;
  };

  void OnAccept(beast::error_code ec) {
    if (ec) return;
    sim_.Register(shared_from_this());
    last_pong_ = std::chrono::steady_clock::now();
    SchedulePing();
    age_timer_.expires_after(sim_.options().max_connection_age);
    age_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      // The 24-hour disconnect: a normal close frame, as Binance sends.
      self->Push({Outgoing::Kind::kClose, nullptr});
    });
    DoRead();
  }

  void SchedulePing() {
    ping_timer_.expires_after(sim_.options().ping_interval);
    ping_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (std::chrono::steady_clock::now() - self->last_pong_ >
          self->sim_.options().pong_timeout) {
        self->Abort();
        return;
      }
      self->Push({Outgoing::Kind::kPing, nullptr});
      self->SchedulePing();
    });
  }

  void DoRead() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::OnRead,
                                                      shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      Abort();
      return;
    }
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    HandleRequest(text);
    DoRead();
  }

  // The live subscription methods of the Binance WebSocket API.
  void HandleRequest(const std::string& text) {
    nlohmann::json request = nlohmann::json::parse(text, nullptr, false);
    nlohmann::json reply;
    if (request.is_discarded() || !request.is_object() ||
        !request.contains("method") || !request["method"].is_string()) {
      reply = {{"error", {{"code", 2}, {"msg", "Invalid request"}}},
               {"id", nullptr}};
      Push({Outgoing::Kind::kText,
            std::make_shared<const std::string>(reply.dump())});
      return;
    }
    reply["id"] = request.contains("id") ? request["id"] : nlohmann::json();
    const std::string method = request["method"];
    std::vector<std::string> names;
    if (request.contains("params") && request["params"].is_array()) {
      for (const auto& param : request["params"]) {
        if (param.is_string()) names.push_back(param);
      }
    }
    if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
      std::vector<std::pair<std::string, StreamSpec>> parsed;
      for (const std::string& name : names) {
        std::optional<StreamSpec> spec = ParseStream(sim_.model(), name);
        if (!spec.has_value()) {
          reply["error"] = {{"code", 2}, {"msg", "Invalid request"}};
          Push({Outgoing::Kind::kText,
                std::make_shared<const std::string>(reply.dump())});
          return;
        }
        parsed.emplace_back(name, *spec);
      }
      {
        std::lock_guard<std::mutex> lock(streams_mutex_);
        for (auto& [name, spec] : parsed) {
          if (method == "SUBSCRIBE") {
            if (streams_.size() < kMaxStreamsPerConnection) {
              streams_.emplace(std::move(name), spec);
            }
          } else {
            streams_.erase(name);
          }
        }
      }
      sim_.SubscriptionsChanged();
      reply["result"] = nullptr;
    } else if (method == "LIST_SUBSCRIPTIONS") {
      std::lock_guard<std::mutex> lock(streams_mutex_);
      std::vector<std::string> list;
      for (const auto& entry : streams_) list.push_back(entry.first);
      reply["result"] = std::move(list);
    } else {
      reply["error"] = {{"code", 2}, {"msg", "Invalid request"}};
    }
    Push({Outgoing::Kind::kText,
          std::make_shared<const std::string>(reply.dump())});
  }

  void Enqueue(std::shared_ptr<const std::string> payload) {
    Push({Outgoing::Kind::kText, std::move(payload)});
  }

  void Push(Outgoing item) {
    if (closed_) return;
    if (queue_.size() >= sim_.options().max_queued_messages) {
      // A client that cannot keep up is disconnected, as Binance does.
      Abort();
      return;
    }
    queue_.push_back(std::move(item));
    if (!writing_) DoWrite();
  }

  void DoWrite() {
    if (queue_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    Outgoing& item = queue_.front();
    auto self = shared_from_this();
    switch (item.kind) {
      case Outgoing::Kind::kText:
        ws_.text(true);
        ws_.async_write(
            net::buffer(*item.text),
            [self](beast::error_code ec, std::size_t) { self->OnWrite(ec); });
        break;
      case Outgoing::Kind::kPing:
        ws_.async_ping({}, [self](beast::error_code ec) { self->OnWrite(ec); });
        break;
      case Outgoing::Kind::kClose:
        ws_.async_close(websocket::close_code::going_away,
                        [self](beast::error_code) { self->Abort(); });
        break;
    }
  }

  void OnWrite(beast::error_code ec) {
    if (ec || closed_) {
      Abort();
      return;
    }
    queue_.pop_front();
    DoWrite();
  }

  void Abort() {
    if (closed_) return;
    closed_ = true;
    // The message being written must outlive its async_write.
    if (writing_ && !queue_.empty()) {
      queue_.erase(queue_.begin() + 1, queue_.end());
    } else {
      queue_.clear();
    }
    ping_timer_.cancel();
    age_timer_.cancel();
    sim_.SubscriptionsChanged();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both,
                                                   ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::stream<beast::tcp_stream> ws_;
  // The connection's strand, copied once: other threads post through it.
  const net::any_io_executor executor_;
  ExchangeSimulator::Impl& sim_;
  const bool combined_;
  std::mutex streams_mutex_;
  StreamMap streams_;  // parsed once, when subscribed
  net::steady_timer ping_timer_;
  net::steady_timer age_timer_;
  beast::flat_buffer buffer_;
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  std::atomic<bool> closed_{false};
  std::chrono::steady_clock::time_point last_pong_;
};

// One HTTP/1.1 connection: REST requests until it closes, or a WebSocket
// upgrade that hands the socket to a WsSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, ExchangeSimulator::Impl& sim)
      : stream_(std::move(socket)), sim_(sim) {}

  void Run() { DoRead(); }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    http::request<http::string_body> request = parser_->release();
    if (websocket::is_upgrade(request)) {
      Upgrade(std::move(request));
      return;
    }
    HttpReply reply = sim_.HandleHttp(request);
    auto response = std::make_shared<http::response<http::string_body>>(
        reply.status, request.version());
    response->set(http::field::server, "exchange-sim");
    response->set(http::field::content_type, "application/json;charset=UTF-8");
    response->keep_alive(request.keep_alive());
    response->body() = std::move(reply.body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](
                          beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (response->need_eof()) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(
                              tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->DoRead();
                      });
  }

  void Upgrade(http::request<http::string_body> request) {
    const Target target = ParseTarget(std::string(request.target()));
    bool combined = false;
    StreamMap streams;
    std::optional<HttpReply> refusal;
    if (target.path == "/stream") {
      combined = true;
      std::vector<std::string> names;
      if (const std::string* list = target.Get("streams")) {
        names = SplitStreams(*list);
      }
      refusal = sim_.ParseStreams(names, streams);
    } else if (target.path.starts_with("/ws/") || target.path == "/ws") {
      refusal = sim_.ParseStreams(
          SplitStreams(std::string_view(target.path).substr(3)), streams);
    } else {
      refusal = HttpReply{http::status::not_found,
                          BinanceError(-1, "Unknown WebSocket path.")};
    }
    if (refusal.has_value()) {
      auto response = std::make_shared<http::response<http::string_body>>(
          refusal->status, request.version());
      response->set(http::field::content_type, "application/json");
      response->body() = std::move(refusal->body);
      response->keep_alive(false);
      response->prepare_payload();
      http::async_write(stream_, *response,
                        [self = shared_from_this(), response](beast::error_code,
                                                              std::size_t) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(
                              tcp::socket::shutdown_both, ignored);
                        });
      return;
    }
    stream_.expires_never();
    std::make_shared<WsSession>(stream_.release_socket(), sim_, combined,
                                std::move(streams))
        ->Start(std::move(request));
  }

  beast::tcp_stream stream_;
  ExchangeSimulator::Impl& sim_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

void ExchangeSimulator::Impl::Start() {
  if (started_) return;
  // Every pair's daily history before the first request or stream event.
  model_.BuildAllDays();
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.bind_address, ec);
  if (ec) {
    throw std::runtime_error("invalid bind address: " + options_.bind_address);
  }
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + options_.bind_address + ":" +
                             std::to_string(options_.port) + ": " +
                             ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  started_ = true;
  // Fill the minute cache for the 24-hour windows in the background, so the
  // first ticker requests do not compute a day of trades per symbol.
  warm_up_ = std::thread([this] {
    const int64_t now = NowMs();
    for (size_t i = 0; i < model_.assets().size() && !stopping_; ++i) {
      model_.Aggregate(static_cast<int>(i), now - kDayMs, kDayMs, now);
    }
  });
  Accept();
  SchedulePump();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

void ExchangeSimulator::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  for (const auto& session : Sessions()) session->Drop();
  ioc_.stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  active_.clear();
  if (warm_up_.joinable()) warm_up_.join();
}

void ExchangeSimulator::Impl::Accept() {
  acceptor_.async_accept(
      net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
          std::make_shared<HttpSession>(std::move(socket), *this)->Run();
        }
        Accept();
      });
}

void ExchangeSimulator::Impl::SchedulePump() {
  // The next event's simulated time, as a point of the steady clock that
  // NowMs() follows; rounded up so NowMs() has reached it on waking.
  const int64_t base = last_pump_ms_ == 0 ? NowMs() : last_pump_ms_;
  const double offset_ms =
      static_cast<double>(NextDueMs(base) - start_sim_ms_) / options_.speed;
  auto at =
      start_steady_ +
      std::chrono::ceil<std::chrono::nanoseconds>(
          std::chrono::duration<double, std::milli>(std::max(0.0, offset_ms)));
  at = std::max(at, last_pump_steady_ + kMinPumpGap);
  // Re-arming cancels the pending wait (its handler sees operation_aborted),
  // so one wait is armed whoever scheduled last.
  pump_timer_.expires_at(at);
  pump_timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    Pump();
    SchedulePump();
  });
}

void ExchangeSimulator::Impl::RefreshActiveStreams() {
  // Read the version first: a change during the rebuild triggers another.
  const uint64_t version = subscriptions_version_.load();
  if (version == active_version_) return;
  active_version_ = version;
  std::map<std::string, ActiveStream> by_name;
  for (const auto& session : Sessions()) {
    if (!session->open()) continue;
    session->ForEachStream([&](const std::string& name,
                               const StreamSpec& spec) {
      ActiveStream& stream = by_name[name];
      stream.name = name;
      stream.spec = spec;
      (session->combined() ? stream.combined : stream.raw).push_back(session);
    });
  }
  active_.clear();
  for (auto& entry : by_name) active_.push_back(std::move(entry.second));
}

int64_t ExchangeSimulator::Impl::NextDueMs(int64_t time_ms) const {
  int64_t due = time_ms + kMaxPumpSleepMs;
  for (const ActiveStream& stream : active_) {
    const int asset = stream.spec.asset;
    switch (stream.spec.kind) {
      case StreamSpec::Kind::kTrade:
        due = std::min(due, model_.NextTradeTimeAfter(asset, time_ms));
        break;
      case StreamSpec::Kind::kKline: {
        const int64_t width = stream.spec.interval_ms;
        due = std::min(due, AlignDown(time_ms, width) + width);
        due = std::min(due, NextPhaseTime(time_ms, KlineUpdatePeriodMs(),
                                          kline_phases_ms_[asset]));
        break;
      }
      case StreamSpec::Kind::kMiniTicker:
        due = std::min(due, NextPhaseTime(time_ms, TickerPeriodMs(),
                                          ticker_phases_ms_[asset]));
        break;
    }
  }
  // Always forward (past the model's end there are no trades to wait for).
  return std::max(due, time_ms + 1);
}

void ExchangeSimulator::Impl::Publish(const ActiveStream& stream,
                                      std::string data) {
  if (!stream.combined.empty()) {
    auto envelope = std::make_shared<const std::string>(
        CombinedEnvelope(stream.name, data));
    for (const auto& session : stream.combined) session->Send(envelope);
  }
  if (!stream.raw.empty()) {
    auto raw = std::make_shared<const std::string>(std::move(data));
    for (const auto& session : stream.raw) session->Send(raw);
  }
}

void ExchangeSimulator::Impl::EmitTrades(const ActiveStream& stream,
                                         int64_t from_ms, int64_t to_ms) {
  // Trades stamped in (from, to], sent at `to`: the pump wakes at each trade's
  // time, so that is at most a millisecond or two late.
  const int asset = stream.spec.asset;
  const AssetSpec& spec = model_.asset(asset);
  LiveMinute& live = live_minutes_[asset];
  for (int64_t minute = AlignDown(from_ms + 1, kMinuteMs); minute <= to_ms;
       minute += kMinuteMs) {
    if (live.start_ms != minute) {
      // Computed once per minute, not once per wake-up.
      live.trades = model_.TradesInMinute(asset, minute);
      live.start_ms = minute;
    }
    auto it = std::upper_bound(
        live.trades.begin(), live.trades.end(), from_ms,
        [](int64_t time, const Trade& trade) { return time < trade.time_ms; });
    for (; it != live.trades.end() && it->time_ms <= to_ms; ++it) {
      Publish(stream, TradeEvent(spec, *it, to_ms));
    }
  }
}

void ExchangeSimulator::Impl::Pump() {
  const int64_t now = NowMs();
  last_pump_steady_ = std::chrono::steady_clock::now();
  if (last_pump_ms_ == 0 || now - last_pump_ms_ > kMaxCatchUpMs) {
    last_pump_ms_ = now - 1;
  }
  if (now <= last_pump_ms_) return;
  RefreshActiveStreams();
  const int64_t from = last_pump_ms_;

  for (const ActiveStream& stream : active_) {
    const StreamSpec& spec = stream.spec;
    const AssetSpec& asset = model_.asset(spec.asset);
    switch (spec.kind) {
      case StreamSpec::Kind::kTrade:
        EmitTrades(stream, from, now);
        break;
      case StreamSpec::Kind::kKline: {
        const int64_t width = spec.interval_ms;
        const int64_t current = AlignDown(now, width);
        const int64_t previous = AlignDown(from, width);
        if (current != previous) {
          // The interval that just ended, final (x = true).
          Bar bar = model_.Aggregate(spec.asset, previous, width,
                                     previous + width - 1);
          if (!bar.empty()) {
            Publish(stream, KlineEvent(asset, bar, spec.interval_name, width,
                                       true, now));
          }
        }
        if (current != previous ||
            PhaseCrossed(from, now, KlineUpdatePeriodMs(),
                         kline_phases_ms_[spec.asset])) {
          Bar bar = model_.Aggregate(spec.asset, current, width, now);
          if (!bar.empty()) {
            Publish(stream, KlineEvent(asset, bar, spec.interval_name, width,
                                       false, now));
          }
        }
        break;
      }
      case StreamSpec::Kind::kMiniTicker:
        if (PhaseCrossed(from, now, TickerPeriodMs(),
                         ticker_phases_ms_[spec.asset])) {
          Bar window = model_.Aggregate(spec.asset, now - kDayMs, kDayMs, now);
          if (!window.empty()) {
            Publish(stream, MiniTickerEvent(asset, window, now));
          }
        }
        break;
    }
  }
  last_pump_ms_ = now;
}

std::optional<HttpReply> ExchangeSimulator::Impl::ParseStreams(
    const std::vector<std::string>& names, StreamMap& specs) {
  if (names.empty() || names.size() > kMaxStreamsPerConnection) {
    return HttpReply{http::status::bad_request,
                     BinanceError(-1102, "Invalid request: streams")};
  }
  for (const std::string& name : names) {
    std::optional<StreamSpec> spec = ParseStream(model_, name);
    if (!spec.has_value()) {
      return HttpReply{http::status::bad_request,
                       BinanceError(-1121, "Invalid stream: " + name)};
    }
    specs.emplace(name, *spec);
  }
  return std::nullopt;
}

HttpReply ExchangeSimulator::Impl::HandleHttp(
    const http::request<http::string_body>& request) {
  const Target target = ParseTarget(std::string(request.target()));
  if (request.method() != http::verb::get) {
    return BinanceFailure(http::status::method_not_allowed, -1000,
                          "Only GET is supported.");
  }
  if (target.path == "/api/v3/ping") return {http::status::ok, "{}"};
  if (target.path == "/api/v3/time") {
    return {http::status::ok,
            "{\"serverTime\":" + std::to_string(NowMs()) + "}"};
  }
  if (target.path == "/api/v3/klines") return Klines(target);
  if (target.path == "/api/v3/ticker/24hr") return Ticker24hr(target);
  if (target.path == "/api/v3/coins/markets") return CoinsMarkets(target);
  return BinanceFailure(http::status::not_found, -1, "Unknown endpoint.");
}

HttpReply ExchangeSimulator::Impl::Klines(const Target& target) {
  const std::string* symbol = target.Get("symbol");
  if (symbol == nullptr || symbol->empty()) return MandatoryParameter("symbol");
  const std::string* interval = target.Get("interval");
  if (interval == nullptr || interval->empty()) {
    return MandatoryParameter("interval");
  }
  const int asset = model_.FindPair(*symbol);
  if (asset < 0) {
    return BinanceFailure(http::status::bad_request, -1121, "Invalid symbol.");
  }
  std::optional<int64_t> width = BinanceIntervalMillis(*interval);
  if (!width.has_value()) {
    return BinanceFailure(http::status::bad_request, -1120,
                          "Invalid interval.");
  }
  std::optional<int64_t> start;
  std::optional<int64_t> end;
  int64_t limit = 500;
  if (const std::string* text = target.Get("startTime")) {
    start = ParseUnsigned(*text);
    if (!start.has_value()) return IllegalParameter("startTime");
  }
  if (const std::string* text = target.Get("endTime")) {
    end = ParseUnsigned(*text);
    if (!end.has_value()) return IllegalParameter("endTime");
  }
  if (const std::string* text = target.Get("limit")) {
    std::optional<int64_t> parsed = ParseUnsigned(*text);
    if (!parsed.has_value() || *parsed < 1) return IllegalParameter("limit");
    // Like Binance, a limit above the maximum is capped, not refused.
    limit = std::min<int64_t>(*parsed, 1000);
  }
  if (start.has_value() && end.has_value() && *start > *end) {
    return BinanceFailure(http::status::bad_request, -1128,
                          "Combination of optional parameters invalid.");
  }
  return {http::status::ok,
          KlinesBody(model_, asset, *width, start, end, limit, NowMs())};
}

std::string ExchangeSimulator::Impl::TickerJson(int asset,
                                                int64_t now_ms) const {
  const int64_t open_time = now_ms - kDayMs;
  Bar window = model_.Aggregate(asset, open_time, kDayMs, now_ms);
  std::optional<Trade> before =
      model_.LastTradeAtOrBefore(asset, open_time - 1);
  return Ticker24h(model_.asset(asset), window,
                   before.has_value() ? before->price_ticks : 0, open_time,
                   now_ms);
}

HttpReply ExchangeSimulator::Impl::Ticker24hr(const Target& target) {
  const std::string* symbol = target.Get("symbol");
  const std::string* symbols = target.Get("symbols");
  const int64_t now = NowMs();
  if (symbol != nullptr && symbols != nullptr) {
    return BinanceFailure(http::status::bad_request, -1128,
                          "Combination of optional parameters invalid.");
  }
  if (symbol != nullptr) {
    const int asset = model_.FindPair(*symbol);
    if (asset < 0) {
      return BinanceFailure(http::status::bad_request, -1121,
                            "Invalid symbol.");
    }
    return {http::status::ok, TickerJson(asset, now)};
  }
  std::vector<int> assets;
  if (symbols != nullptr) {
    nlohmann::json list = nlohmann::json::parse(*symbols, nullptr, false);
    if (list.is_discarded() || !list.is_array() || list.empty()) {
      return MandatoryParameter("symbols");
    }
    for (const auto& item : list) {
      const int asset =
          item.is_string() ? model_.FindPair(item.get<std::string>()) : -1;
      if (asset < 0) {
        return BinanceFailure(http::status::bad_request, -1121,
                              "Invalid symbol.");
      }
      assets.push_back(asset);
    }
  } else {
    for (size_t i = 0; i < model_.assets().size(); ++i) {
      assets.push_back(static_cast<int>(i));
    }
  }
  std::string body = "[";
  for (size_t i = 0; i < assets.size(); ++i) {
    if (i > 0) body += ",";
    body += TickerJson(assets[i], now);
  }
  body += "]";
  return {http::status::ok, std::move(body)};
}

HttpReply ExchangeSimulator::Impl::CoinsMarkets(const Target& target) {
  const std::string* vs = target.Get("vs_currency");
  if (vs == nullptr || vs->empty()) {
    return {http::status::bad_request,
            CoinGeckoError("Missing parameter vs_currency")};
  }
  const int64_t now = NowMs();
  double quote_usd = 1.0;
  if (*vs == "eur" || *vs == "btc") {
    const int quote_asset =
        model_.FindPair(*vs == "eur" ? "EURUSDT" : "BTCUSDT");
    std::optional<Trade> last = model_.LastTradeAtOrBefore(quote_asset, now);
    if (!last.has_value()) {
      return {http::status::service_unavailable,
              CoinGeckoError("quote unavailable")};
    }
    quote_usd = static_cast<double>(last->price_ticks) /
                std::pow(10.0, model_.asset(quote_asset).price_decimals);
  } else if (*vs != "usd") {
    return {http::status::bad_request, CoinGeckoError("invalid vs_currency")};
  }
  int64_t per_page = 100;
  int64_t page = 1;
  if (const std::string* text = target.Get("per_page")) {
    std::optional<int64_t> parsed = ParseUnsigned(*text);
    if (!parsed.has_value() || *parsed < 1) {
      return {http::status::bad_request, CoinGeckoError("invalid per_page")};
    }
    per_page = std::min<int64_t>(*parsed, 250);
  }
  if (const std::string* text = target.Get("page")) {
    std::optional<int64_t> parsed = ParseUnsigned(*text);
    if (!parsed.has_value() || *parsed < 1) {
      return {http::status::bad_request, CoinGeckoError("invalid page")};
    }
    page = *parsed;
  }
  std::string order = "market_cap_desc";
  if (const std::string* text = target.Get("order")) order = *text;
  if (order != "market_cap_desc" && order != "market_cap_asc") {
    return {http::status::bad_request, CoinGeckoError("invalid order")};
  }
  std::set<std::string> wanted;
  if (const std::string* ids = target.Get("ids")) {
    std::string_view rest = *ids;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string id(rest.substr(0, comma));
      id.erase(std::remove(id.begin(), id.end(), ' '), id.end());
      if (!id.empty()) wanted.insert(id);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  struct Coin {
    int asset;
    Bar window;
    double market_cap;
  };
  std::vector<Coin> coins;
  for (size_t i = 0; i < model_.assets().size(); ++i) {
    const AssetSpec& spec = model_.asset(static_cast<int>(i));
    if (spec.coingecko_id.empty()) continue;
    Coin coin{static_cast<int>(i),
              model_.Aggregate(static_cast<int>(i), now - kDayMs, kDayMs, now),
              0.0};
    coin.market_cap = static_cast<double>(coin.window.close_ticks) /
                      std::pow(10.0, spec.price_decimals) *
                      spec.circulating_supply;
    coins.push_back(std::move(coin));
  }
  std::sort(coins.begin(), coins.end(), [](const Coin& a, const Coin& b) {
    return a.market_cap > b.market_cap;
  });
  std::vector<std::pair<int, const Coin*>> ranked;  // (rank, coin)
  for (size_t i = 0; i < coins.size(); ++i) {
    if (!wanted.empty() &&
        !wanted.contains(model_.asset(coins[i].asset).coingecko_id)) {
      continue;
    }
    ranked.emplace_back(static_cast<int>(i) + 1, &coins[i]);
  }
  if (order == "market_cap_asc") std::reverse(ranked.begin(), ranked.end());
  std::string body = "[";
  const int64_t first = (page - 1) * per_page;
  for (int64_t i = first;
       i < static_cast<int64_t>(ranked.size()) && i < first + per_page; ++i) {
    if (i > first) body += ",";
    const Coin& coin = *ranked[static_cast<size_t>(i)].second;
    body += CoinMarket(model_.asset(coin.asset), coin.window, quote_usd,
                       ranked[static_cast<size_t>(i)].first, now);
  }
  body += "]";
  return {http::status::ok, std::move(body)};
}

ExchangeSimulator::ExchangeSimulator(SimulatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

ExchangeSimulator::~ExchangeSimulator() { Stop(); }

void ExchangeSimulator::Start() { impl_->Start(); }
void ExchangeSimulator::Stop() { impl_->Stop(); }
uint16_t ExchangeSimulator::port() const { return impl_->port(); }
int64_t ExchangeSimulator::NowMs() const { return impl_->NowMs(); }
const MarketModel& ExchangeSimulator::model() const { return impl_->model(); }

void ExchangeSimulator::DropAllConnections() {
  for (const auto& session : impl_->Sessions()) session->Drop();
}

void ExchangeSimulator::InjectFrame(std::string frame) {
  auto payload = std::make_shared<const std::string>(std::move(frame));
  for (const auto& session : impl_->Sessions()) session->Send(payload);
}

size_t ExchangeSimulator::websocket_count() const {
  size_t count = 0;
  for (const auto& session : impl_->Sessions()) {
    if (session->open()) ++count;
  }
  return count;
}

}  // namespace cryptotracker::exchange_sim
