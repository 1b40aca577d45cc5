package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIntervalAliasesRewriteShortNamesOnly(t *testing.T) {
	cases := map[string]string{
		"/api/v1/assets/BTC/candles?interval=1h&limit=5":          "INTERVAL_1H",
		"/api/v1/assets/BTC/candles?interval=INTERVAL_4H":         "INTERVAL_4H",
		"/api/v1/assets/BTC/analysis?interval=1d":                 "INTERVAL_1D",
		"/api/v1/assets/BTC/candles?interval=1M":                  "1M",
		"/api/v1/assets/BTC/candles?interval=2h":                  "2h",
		"/api/v1/assets/BTC/candles?interval=%27%3B+DROP+TABLE--": "'; DROP TABLE--",
	}
	for target, want := range cases {
		var got string
		var limit string
		handler := withIntervalAliases(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got = r.URL.Query().Get("interval")
			limit = r.URL.Query().Get("limit")
		}))
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		if got != want {
			t.Errorf("%s: interval %q, want %q", target, got, want)
		}
		if target == "/api/v1/assets/BTC/candles?interval=1h&limit=5" && limit != "5" {
			t.Errorf("other parameters lost: limit %q", limit)
		}
	}
}
