// ListAssets page tokens: the offset of the next page, bound to the query
// it was issued for, so that a token cannot be replayed against another
// filter (its offset would mean something else there).
//
// A token is "a1.<offset>.<fingerprint>", the fingerprint a 64-bit FNV-1a
// hash of the query. It is not secret: it only has to be stable across
// processes and restarts, which a hash of the query text is.
#ifndef CRYPTOTRACKER_PRICING_HANDLER_PAGE_TOKEN_H_
#define CRYPTOTRACKER_PRICING_HANDLER_PAGE_TOKEN_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace cryptotracker::pricing::handler {

// The token of the page starting at `offset` of `query`'s results.
std::string PageToken(size_t offset, std::string_view query);

// The offset `token` carries; throws common::ValidationError("page_token")
// unless it is a token PageToken issued for `query`.
size_t ParsePageToken(const std::string& token, std::string_view query);

}  // namespace cryptotracker::pricing::handler

#endif  // CRYPTOTRACKER_PRICING_HANDLER_PAGE_TOKEN_H_
