package gateway

import (
	"net/http"
	"strings"
)

// intervalAliases maps the short interval names people and exchanges use
// ("1h") to the contract's enum value names ("INTERVAL_1H"), which is all
// grpc-gateway's query decoder accepts. Both forms work after this.
var intervalAliases = map[string]string{
	"1m":  "INTERVAL_1M",
	"5m":  "INTERVAL_5M",
	"15m": "INTERVAL_15M",
	"1h":  "INTERVAL_1H",
	"4h":  "INTERVAL_4H",
	"1d":  "INTERVAL_1D",
}

// withIntervalAliases rewrites `interval` query values of the pricing routes
// from their short form. Unknown values are left alone so that the service
// names them in its INVALID_ARGUMENT answer. Only exact lower-case short
// names are mapped: "1M" is a month on exchanges, not a minute.
func withIntervalAliases(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.RawQuery, "interval=") {
			next.ServeHTTP(w, r)
			return
		}
		query := r.URL.Query()
		values, ok := query["interval"]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		changed := false
		for i, value := range values {
			if alias, found := intervalAliases[value]; found {
				values[i] = alias
				changed = true
			}
		}
		if changed {
			clone := r.Clone(r.Context())
			clone.URL.RawQuery = query.Encode()
			r = clone
		}
		next.ServeHTTP(w, r)
	})
}
