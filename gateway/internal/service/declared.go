package service

// Declared holds the Options of every service the gateway can front, keyed
// by the name of its generated table entry (http/<name>.yaml). It is the
// only place where the gateway knows a service by name: Join refuses a
// table entry without a declaration and a declaration without an entry.
// Adding a service is its http/<name>.yaml plus one entry here.
var Declared = map[string]Options{
	"user": {
		HTTPPort:    5000,
		GRPCBackend: "localhost:50051",
		// The only service with auth routes.
		RefreshCookie: &RefreshCookie{
			// The ingress strips "/user-service" before the gateway sees
			// the routes; the browser sees them with it.
			Path:          "/user-service/api/v1/auth",
			TokenField:    "refresh_token",
			LifetimeField: "refresh_expires_in",
			IssuedBy:      []string{"/api/v1/auth/login", "/api/v1/auth/refresh"},
			ReadBy:        []string{"/api/v1/auth/refresh", "/api/v1/auth/logout"},
			ClearedBy:     []string{"/api/v1/auth/logout"},
		},
	},
	"pricing": {
		HTTPPort:    12000,
		GRPCBackend: "localhost:50052",
		// The sidecar's live heap is a few MiB, so collecting only when it
		// has grown fivefold costs little memory, while a 1,000-candle
		// answer allocates enough that at Go's default (100) the collector
		// ran during most such requests and was their slowest part (p99
		// through the ingress 12.5 ms at 100, 7 ms at 400). The other
		// sidecars serve small answers and keep the default.
		GCPercent: 400,
		// Short interval names as people and exchanges write them. Only the
		// exact lower-case forms: "1M" is a month on exchanges, not a minute.
		QueryAliases: map[string]map[string]string{
			"interval": {
				"1m":  "INTERVAL_1M",
				"5m":  "INTERVAL_5M",
				"15m": "INTERVAL_15M",
				"1h":  "INTERVAL_1H",
				"4h":  "INTERVAL_4H",
				"1d":  "INTERVAL_1D",
			},
		},
		// The candle range as the API is usually written (?start=&end=).
		ParameterAliases: map[string]string{"start": "start_time", "end": "end_time"},
		// StreamPrices is public and its messages depend only on the
		// request (symbols, quote), never on the caller, so subscribers
		// asking the same can share one upstream call. Prices conflate per
		// symbol; heartbeats (no price) among themselves, never replayed.
		SharedStreams: []SharedStream{{
			Path:          "/api/v1/prices/stream",
			Method:        "/cryptotracker.pricing.v1.PricingService/StreamPrices",
			ConflationKey: "price.symbol",
		}},
	},
	"portfolio": {HTTPPort: 5000, GRPCBackend: "localhost:50053"},
	"alert":     {HTTPPort: 5000, GRPCBackend: "localhost:50054"},
}
