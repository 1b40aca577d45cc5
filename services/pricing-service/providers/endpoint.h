// Base URLs of exchange APIs, parsed once from configuration.
#ifndef CRYPTOTRACKER_PRICING_PROVIDERS_ENDPOINT_H_
#define CRYPTOTRACKER_PRICING_PROVIDERS_ENDPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cryptotracker::pricing::providers {

struct Endpoint {
  std::string scheme;  // "http", "https", "ws" or "wss"
  bool tls = false;    // https or wss
  std::string host;    // "127.0.0.1", "::1" (without brackets) or a name
  uint16_t port = 0;   // explicit, or the scheme's default
  // Path prefix without a trailing slash ("" or "/api/v3").
  std::string path_prefix;

  // The Host header value: host, plus ":port" when not the default.
  std::string HostHeader() const;
  // The URL without credentials, for logs.
  std::string ToString() const;
};

enum class EndpointKind { kHttp, kWebSocket };

// Parses "scheme://host[:port][/path]". kHttp accepts http and https,
// kWebSocket ws and wss. No user info, query or fragment. INVALID_ARGUMENT
// naming the problem otherwise.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view url, EndpointKind kind);

}  // namespace cryptotracker::pricing::providers

#endif  // CRYPTOTRACKER_PRICING_PROVIDERS_ENDPOINT_H_
