package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

func TestPricingIntervalAliasesRewriteShortNamesOnly(t *testing.T) {
	aliases := service.Declared["pricing"].QueryAliases
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
		handler := withQueryAliases(nil, aliases, nil, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
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

func TestQueryAliasesCoverEveryDeclaredParameterAndRepeats(t *testing.T) {
	aliases := map[string]map[string]string{
		"side":  {"b": "SIDE_BUY", "s": "SIDE_SELL"},
		"state": {"on": "STATE_ACTIVE"},
	}
	var rawQuery string
	handler := withQueryAliases(nil, aliases, nil, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		rawQuery = r.URL.RawQuery
	}))
	handler.ServeHTTP(httptest.NewRecorder(),
		httptest.NewRequest(http.MethodGet, "/x?side=b&side=s&side=x&state=on&other=b", nil))
	// url.Values.Encode sorts by key and keeps the order of repeated values.
	if want := "other=b&side=SIDE_BUY&side=SIDE_SELL&side=x&state=STATE_ACTIVE"; rawQuery != want {
		t.Errorf("got %q, want %q", rawQuery, want)
	}

	// A query without any aliased parameter reaches the routes byte for byte.
	untouched := "/x?other=b&side%3Db"
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, untouched, nil))
	if rawQuery != "other=b&side%3Db" {
		t.Errorf("unaliased query rewritten to %q", rawQuery)
	}
}

func TestPricingParameterAliasesRenameStartAndEnd(t *testing.T) {
	errs := &errorWriter{marshaler: newJSONMarshaler(), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var rawQuery string
	reached := false
	handler := withQueryAliases(service.Declared["pricing"].ParameterAliases, nil, errs,
		http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			reached = true
			rawQuery = r.URL.RawQuery
		}))

	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet,
		"/api/v1/assets/BTC/candles?interval=1h&start=2025-01-01T00:00:00Z&end=2025-01-02T00:00:00Z", nil))
	if want := "end_time=2025-01-02T00%3A00%3A00Z&interval=1h&start_time=2025-01-01T00%3A00%3A00Z"; rawQuery != want {
		t.Errorf("renamed to %q, want %q", rawQuery, want)
	}

	// The contract's own names and other queries pass byte for byte.
	for _, query := range []string{"interval=1h&start_time=2025-01-01T00%3A00%3A00Z", "restart=1", ""} {
		rawQuery = "unset"
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x?"+query, nil))
		if rawQuery != query {
			t.Errorf("%q rewritten to %q", query, rawQuery)
		}
	}

	// Both names of one parameter: refused, naming it.
	reached = false
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet,
		"/api/v1/assets/BTC/candles?start=2025-01-01T00:00:00Z&start_time=2025-01-02T00:00:00Z", nil))
	if reached || recorder.Code != http.StatusBadRequest || !strings.Contains(recorder.Body.String(), "start_time") {
		t.Errorf("both names: reached %v, %d %s", reached, recorder.Code, recorder.Body.String())
	}
}
