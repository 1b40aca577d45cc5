// A small HTTP/1.1 client (Boost.Beast, OpenSSL for https) for the
// exchanges' REST APIs, with the retry and rate-limit discipline they ask
// for.
//
// Rate limits: a 429 (too many requests) or 418 (IP banned after ignoring
// 429s, Binance) response makes the client wait for the server's Retry-After
// (or a default) before ANY further request through it; when the wait is
// longer than RetryPolicy::max_retry_wait the request fails at once with
// RESOURCE_EXHAUSTED, and so does every request until the wait is over,
// instead of hammering the server. 5xx responses and network errors are
// retried with exponential backoff and jitter; other 4xx responses are
// returned to the caller as they are.
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_HTTP_CLIENT_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_HTTP_CLIENT_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/pricing-service/providers/backoff.h"
#include "services/pricing-service/providers/endpoint.h"

namespace cryptotracker::pricing::providers {

struct HttpResponse {
  int status = 0;
  std::string body;
  // The Retry-After header, when present.
  std::optional<std::string> retry_after;
};

struct RetryPolicy {
  // Attempts per request, the first included.
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  // Wait after a 429/418 without a usable Retry-After.
  std::chrono::seconds default_retry_after{60};
  // Longer server-requested waits fail the request instead of blocking it.
  std::chrono::seconds max_retry_wait{120};
};

struct HttpClientOptions {
  // Per request: connect, TLS handshake, write and read together.
  std::chrono::milliseconds timeout{15'000};
  size_t max_body_bytes = 32 * 1024 * 1024;
  std::string user_agent = "cryptotracker-pricing-service/1";
  RetryPolicy retry;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Seconds from a Retry-After value: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT") relative to `now`. nullopt when
// unreadable; never negative.
std::optional<std::chrono::seconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

// Thread-safe: requests are serialised over one kept-alive connection.
class HttpClient {
 public:
  // `base_url`: "https://host[:port][/prefix]".
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(
      std::string_view base_url, HttpClientOptions options = {});
  ~HttpClient();

  // GET prefix + `path_and_query` with retries as described above. Returns
  // the response of the last attempt for 2xx and non-retryable 4xx;
  // UNAVAILABLE when the server stays unreachable or keeps failing (5xx),
  // RESOURCE_EXHAUSTED when rate limited beyond max_retry_wait, CANCELLED
  // after Shutdown().
  absl::StatusOr<HttpResponse> Get(std::string_view path_and_query,
                                   const HttpHeaders& headers = {});

  // Wakes any request waiting out a backoff and fails further requests.
  void Shutdown();

  class Connection;

 private:
  HttpClient(Endpoint endpoint, HttpClientOptions options);

  // Sleeps until `deadline` unless shut down; false when shut down.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);

  Endpoint endpoint_;
  HttpClientOptions options_;
  std::mutex request_mutex_;  // one request at a time on the connection
  std::unique_ptr<Connection> connection_;

  mutable std::mutex state_mutex_;
  std::condition_variable wake_;
  bool shut_down_ = false;
  // No request may be sent before this (set by 429/418).
  std::chrono::steady_clock::time_point blocked_until_{};
  Backoff backoff_;
};

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_HTTP_CLIENT_H_
