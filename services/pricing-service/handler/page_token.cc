#include "services/pricing-service/handler/page_token.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

#include "services/common/errors.h"

namespace cryptotracker::pricing::handler {
namespace {

// FNV-1a: a stable fingerprint of the query a page token belongs to.
uint64_t Fingerprint(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string PageToken(size_t offset, std::string_view query) {
  char token[64];
  std::snprintf(token, sizeof(token), "a1.%zu.%016" PRIx64, offset,
                Fingerprint(query));
  return token;
}

size_t ParsePageToken(const std::string& token, std::string_view query) {
  size_t offset = 0;
  uint64_t fingerprint = 0;
  int consumed = 0;
  if (token.size() > 60 ||
      std::sscanf(token.c_str(), "a1.%zu.%16" SCNx64 "%n", &offset,
                  &fingerprint, &consumed) != 2 ||
      consumed != static_cast<int>(token.size()) ||
      token != PageToken(offset, query)) {
    throw common::ValidationError("page_token",
                                  "not a token issued for this query; start "
                                  "again without page_token");
  }
  return offset;
}

}  // namespace cryptotracker::pricing::handler
