package service

import (
	"fmt"
	"sort"
)

// Options are the gateway behaviours one service needs beyond its generated
// routes. The zero value adds nothing. They are declared per service in
// Declared and carried by the service's entry of the generated table, so the
// HTTP layer switches on these fields and never on a service's name.
type Options struct {
	// RefreshCookie lets browser clients keep the refresh token in an
	// HttpOnly cookie on the /api/v1/auth/{login,refresh,logout} routes
	// (internal/gateway/refresh_cookie.go). The cookie's Path comes from the
	// gateway's configuration.
	RefreshCookie bool
	// QueryAliases rewrites query values before routing: parameter name ->
	// accepted alias -> the value the contract takes. grpc-gateway decodes an
	// enum query parameter only from its value name (INTERVAL_1H), so this
	// is how a shorter spelling (1h) is accepted too. Matching is exact and
	// case-sensitive; other values pass through untouched.
	QueryAliases map[string]map[string]string
}

// Validate reports a malformed declaration: an empty parameter name, alias
// or target, or an alias that maps to itself (a no-op that hides a typo).
func (o Options) Validate() error {
	for _, parameter := range sortedKeys(o.QueryAliases) {
		aliases := o.QueryAliases[parameter]
		if parameter == "" || len(aliases) == 0 {
			return fmt.Errorf("query aliases: parameter %q needs a name and at least one alias", parameter)
		}
		for _, alias := range sortedKeys(aliases) {
			target := aliases[alias]
			if alias == "" || target == "" || alias == target {
				return fmt.Errorf("query aliases of %q: %q -> %q is not an alias", parameter, alias, target)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// Declared holds the Options of the services that need any, keyed by the
// name of their generated table entry (http/<name>.yaml). generate.sh writes
// `Options: service.Declared["<name>"]` into every entry, so a service that
// is not listed here gets the zero Options.
var Declared = map[string]Options{
	// The only service with auth routes.
	"user": {RefreshCookie: true},
	// Short interval names as people and exchanges write them. Only the
	// exact lower-case forms: "1M" is a month on exchanges, not a minute.
	"pricing": {QueryAliases: map[string]map[string]string{
		"interval": {
			"1m":  "INTERVAL_1M",
			"5m":  "INTERVAL_5M",
			"15m": "INTERVAL_15M",
			"1h":  "INTERVAL_1H",
			"4h":  "INTERVAL_4H",
			"1d":  "INTERVAL_1D",
		},
	}},
}
