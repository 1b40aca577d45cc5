#include "services/pricing-service/providers/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "services/common/logging.h"

namespace cryptotracker::pricing::providers {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// Runs one asynchronous operation to completion on `ioc`. The async form is
// used (rather than Beast's blocking calls) because only asynchronous
// operations honour tcp_stream's deadline.
template <typename Initiate>
beast::error_code Run(net::io_context& ioc, Initiate&& initiate) {
  beast::error_code result = net::error::would_block;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

bool IsStaleConnectionError(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted;
}

}  // namespace

std::optional<std::chrono::seconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  std::tm parsed{};
  const std::string text(value);
  const char* rest =
      strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const std::time_t when = timegm(&parsed);
  const auto delta = std::chrono::system_clock::from_time_t(when) - now;
  const auto delta_seconds = std::chrono::ceil<std::chrono::seconds>(delta);
  return delta_seconds.count() < 0 ? std::chrono::seconds(0) : delta_seconds;
}

class HttpClient::Connection {
 public:
  Connection(const Endpoint& endpoint, const HttpClientOptions& options)
      : endpoint_(endpoint),
        options_(options),
        ssl_context_(ssl::context::tls_client) {
    if (endpoint_.tls) {
      ssl_context_.set_default_verify_paths();
      ssl_context_.set_verify_mode(ssl::verify_peer);
      ssl_context_.set_options(ssl::context::default_workarounds |
                               ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 |
                               ssl::context::no_tlsv1_1);
    }
  }

  absl::StatusOr<HttpResponse> RoundTrip(const std::string& target,
                                         const HttpHeaders& headers) {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, endpoint_.HostHeader());
    request.set(http::field::user_agent, options_.user_agent);
    request.set(http::field::accept, "application/json");
    request.keep_alive(true);
    for (const auto& [name, value] : headers) request.set(name, value);

    const bool reused = open_;
    beast::error_code ec;
    HttpResponse response;
    if (!open_) ec = Connect();
    if (!ec) ec = Exchange(request, response);
    if (ec && reused && IsStaleConnectionError(ec)) {
      // The server closed the idle kept-alive connection: one fresh try.
      Close();
      ec = Connect();
      if (!ec) ec = Exchange(request, response);
    }
    if (ec) {
      Close();
      return absl::UnavailableError(absl::StrCat("GET ", endpoint_.ToString(),
                                                 " failed: ", ec.message()));
    }
    return response;
  }

  void Close() {
    beast::error_code ignored;
    if (tls_ != nullptr) {
      beast::get_lowest_layer(*tls_).socket().close(ignored);
    }
    if (plain_ != nullptr) plain_->socket().close(ignored);
    tls_.reset();
    plain_.reset();
    open_ = false;
  }

 private:
  beast::tcp_stream& Lowest() {
    return tls_ != nullptr ? beast::get_lowest_layer(*tls_) : *plain_;
  }

  beast::error_code Connect() {
    Close();
    if (endpoint_.tls) {
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(
          ioc_, ssl_context_);
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
    Lowest().expires_after(options_.timeout);
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = Run(ioc_, [&](auto handler) {
      resolver.async_resolve(
          endpoint_.host, std::to_string(endpoint_.port),
          [&endpoints, handler](beast::error_code ec,
                                tcp::resolver::results_type results) mutable {
            endpoints = std::move(results);
            handler(ec);
          });
    });
    if (ec) return ec;
    ec = Run(ioc_,
             [&](auto handler) { Lowest().async_connect(endpoints, handler); });
    if (ec) return ec;
    if (tls_ != nullptr) {
      // SNI, and certificate checked against the configured host name.
      if (!SSL_set_tlsext_host_name(tls_->native_handle(),
                                    endpoint_.host.c_str())) {
        return beast::error_code(static_cast<int>(::ERR_get_error()),
                                 net::error::get_ssl_category());
      }
      tls_->set_verify_callback(ssl::host_name_verification(endpoint_.host));
      ec = Run(ioc_, [&](auto handler) {
        tls_->async_handshake(ssl::stream_base::client, handler);
      });
      if (ec) return ec;
    }
    open_ = true;
    return {};
  }

  template <typename Stream>
  beast::error_code ExchangeOn(Stream& stream,
                               http::request<http::empty_body>& request,
                               HttpResponse& response) {
    beast::error_code ec = Run(ioc_, [&](auto handler) {
      http::async_write(stream, request, handler);
    });
    if (ec) return ec;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    ec = Run(ioc_, [&](auto handler) {
      http::async_read(stream, buffer, parser, handler);
    });
    if (ec) return ec;
    http::response<http::string_body> message = parser.release();
    response.status = static_cast<int>(message.result_int());
    response.body = std::move(message.body());
    if (auto it = message.find(http::field::retry_after); it != message.end()) {
      response.retry_after = std::string(it->value());
    }
    if (!message.keep_alive()) Close();
    return {};
  }

  beast::error_code Exchange(http::request<http::empty_body>& request,
                             HttpResponse& response) {
    Lowest().expires_after(options_.timeout);
    if (tls_ != nullptr) return ExchangeOn(*tls_, request, response);
    return ExchangeOn(*plain_, request, response);
  }

  const Endpoint endpoint_;
  const HttpClientOptions options_;
  net::io_context ioc_;
  ssl::context ssl_context_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  bool open_ = false;
};

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    std::string_view base_url, HttpClientOptions options) {
  absl::StatusOr<Endpoint> endpoint =
      ParseEndpoint(base_url, EndpointKind::kHttp);
  if (!endpoint.ok()) return endpoint.status();
  if (options.retry.max_attempts < 1) {
    return absl::InvalidArgumentError("retry.max_attempts must be at least 1");
  }
  return std::unique_ptr<HttpClient>(
      new HttpClient(*std::move(endpoint), std::move(options)));
}

HttpClient::HttpClient(Endpoint endpoint, HttpClientOptions options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      connection_(std::make_unique<Connection>(endpoint_, options_)),
      backoff_(options_.retry.initial_backoff, options_.retry.max_backoff) {}

HttpClient::~HttpClient() = default;

void HttpClient::Shutdown() {
  std::lock_guard<std::mutex> lock(state_mutex_);
  shut_down_ = true;
  wake_.notify_all();
}

bool HttpClient::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(state_mutex_);
  wake_.wait_until(lock, deadline, [this] { return shut_down_; });
  return !shut_down_;
}

absl::StatusOr<HttpResponse> HttpClient::Get(std::string_view path_and_query,
                                             const HttpHeaders& headers) {
  const std::string target =
      endpoint_.path_prefix + std::string(path_and_query);
  const RetryPolicy& policy = options_.retry;
  absl::Status last_error = absl::UnavailableError("no attempt made");
  for (int attempt = 1; attempt <= policy.max_attempts; ++attempt) {
    std::chrono::steady_clock::time_point blocked_until;
    {
      std::lock_guard<std::mutex> lock(state_mutex_);
      if (shut_down_) return absl::CancelledError("HTTP client shut down");
      blocked_until = blocked_until_;
    }
    const auto now = std::chrono::steady_clock::now();
    if (blocked_until > now) {
      if (blocked_until - now > policy.max_retry_wait) {
        return absl::ResourceExhaustedError(absl::StrCat(
            endpoint_.ToString(), " rate limit: requests paused for ",
            std::chrono::ceil<std::chrono::seconds>(blocked_until - now)
                .count(),
            " more seconds"));
      }
      if (!WaitUntil(blocked_until)) {
        return absl::CancelledError("HTTP client shut down");
      }
    }

    absl::StatusOr<HttpResponse> response;
    {
      std::lock_guard<std::mutex> lock(request_mutex_);
      response = connection_->RoundTrip(target, headers);
    }
    std::chrono::milliseconds delay{0};
    if (!response.ok()) {
      last_error = response.status();
    } else if (response->status == 429 || response->status == 418) {
      std::chrono::seconds wait = policy.default_retry_after;
      if (response->retry_after.has_value()) {
        wait = ParseRetryAfter(*response->retry_after,
                               std::chrono::system_clock::now())
                   .value_or(policy.default_retry_after);
      }
      {
        std::lock_guard<std::mutex> lock(state_mutex_);
        blocked_until_ =
            std::max(blocked_until_, std::chrono::steady_clock::now() + wait);
      }
      common::LogWarn(
          "exchange rate limit hit, pausing requests",
          {{"endpoint", endpoint_.ToString()},
           {"status", response->status},
           {"retry_after_seconds", static_cast<int64_t>(wait.count())}});
      last_error = absl::ResourceExhaustedError(absl::StrCat(
          endpoint_.ToString(), " answered ", response->status,
          " (rate limited), retry after ", wait.count(), " seconds"));
      if (wait > policy.max_retry_wait) return last_error;
      continue;  // the wait happens at the top of the loop
    } else if (response->status >= 500) {
      last_error = absl::UnavailableError(
          absl::StrCat(endpoint_.ToString(), " answered ", response->status));
    } else {
      std::lock_guard<std::mutex> lock(state_mutex_);
      backoff_.Reset();
      return response;
    }
    if (attempt == policy.max_attempts) break;
    {
      std::lock_guard<std::mutex> lock(state_mutex_);
      delay = backoff_.Next();
    }
    common::LogWarn("exchange request failed, retrying",
                    {{"endpoint", endpoint_.ToString()},
                     {"error", std::string(last_error.message())},
                     {"retry_in_ms", static_cast<int64_t>(delay.count())}});
    if (!WaitUntil(std::chrono::steady_clock::now() + delay)) {
      return absl::CancelledError("HTTP client shut down");
    }
  }
  return last_error;
}

}  // namespace cryptotracker::pricing::providers
