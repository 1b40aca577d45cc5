#include "services/pricing-service/providers/endpoint.h"

#include <cctype>
#include <charconv>

#include "absl/strings/str_cat.h"

namespace cryptotracker::pricing::providers {
namespace {

uint16_t DefaultPort(bool tls) { return tls ? 443 : 80; }

}  // namespace

std::string Endpoint::HostHeader() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string text = ipv6 ? "[" + host + "]" : host;
  if (port != DefaultPort(tls)) text += ":" + std::to_string(port);
  return text;
}

std::string Endpoint::ToString() const {
  return scheme + "://" + HostHeader() + path_prefix;
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view url,
                                       EndpointKind kind) {
  const std::string shown(url.substr(0, 200));
  const size_t separator = url.find("://");
  if (separator == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL has no scheme: ", shown));
  }
  Endpoint endpoint;
  endpoint.scheme = std::string(url.substr(0, separator));
  if (kind == EndpointKind::kHttp &&
      (endpoint.scheme == "http" || endpoint.scheme == "https")) {
    endpoint.tls = endpoint.scheme == "https";
  } else if (kind == EndpointKind::kWebSocket &&
             (endpoint.scheme == "ws" || endpoint.scheme == "wss")) {
    endpoint.tls = endpoint.scheme == "wss";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "URL scheme must be ",
        kind == EndpointKind::kHttp ? "http or https" : "ws or wss", ": ",
        shown));
  }
  std::string_view rest = url.substr(separator + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "URL must not contain user info, a query or a fragment: ", shown));
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL has an unterminated IPv6 address: ", shown));
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("URL has a malformed host: ", shown));
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("URL has no host: ", shown));
  }
  for (char c : endpoint.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != ':' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("URL has a malformed host: ", shown));
    }
  }
  endpoint.port = DefaultPort(endpoint.tls);
  if (!port_text.empty() || (authority.size() > 0 && authority.back() == ':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(
        port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc() ||
        end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("URL has an invalid port: ", shown));
    }
    endpoint.port = static_cast<uint16_t>(value);
  }
  std::string prefix(path);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  endpoint.path_prefix = prefix;
  return endpoint;
}

}  // namespace cryptotracker::pricing::providers
