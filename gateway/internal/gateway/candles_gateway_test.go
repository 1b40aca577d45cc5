package gateway_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
	"github.com/cryptotracker/cryptotracker/gateway/internal/testanswers"
)

const candlesPath = "/api/v1/assets/BTC/candles?interval=1h&limit=1000"

const pricesPath = "/api/v1/prices"

// fakePricingService answers GetCandles and GetPrices with fixed responses
// and records the candle request.
type fakePricingService struct {
	pricingv1.UnimplementedPricingServiceServer
	response *pricingv1.GetCandlesResponse
	prices   *pricingv1.GetPricesResponse

	mu          sync.Mutex
	lastRequest *pricingv1.GetCandlesRequest
}

func (f *fakePricingService) GetCandles(_ context.Context, req *pricingv1.GetCandlesRequest) (*pricingv1.GetCandlesResponse, error) {
	f.mu.Lock()
	f.lastRequest = proto.Clone(req).(*pricingv1.GetCandlesRequest)
	f.mu.Unlock()
	return f.response, nil
}

func (f *fakePricingService) GetPrices(context.Context, *pricingv1.GetPricesRequest) (*pricingv1.GetPricesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prices, nil
}

// startPricingGateway serves the generated pricing definition with its
// declaration (query aliases) in front of fake.
func startPricingGateway(t testing.TB, fake *fakePricingService) string {
	t.Helper()
	definition := declaredDefinition(t, "pricing")
	address, _ := startBackend(t, func(s *grpc.Server) { pricingv1.RegisterPricingServiceServer(s, fake) })
	return startGateway(t, definition, address).URL
}

// The candles body must be what protojson (EmitUnpopulated, compacted)
// makes of the backend's message, written from the wire bytes the first
// time and from the answer cache when the same bytes come again.
func TestCandlesBodyEqualsProtojson(t *testing.T) {
	escapes := &pricingv1.GetCandlesResponse{Symbol: "BTC", Quote: "USD", Pair: `BTC"USDT\é`,
		Candles: []*pricingv1.Candle{{Open: "1\n", Closed: true}}}
	cases := map[string]*pricingv1.GetCandlesResponse{
		"1,000 candles":          testanswers.Candles(1000),
		"no candles":             {Symbol: "BTC", Quote: "USD"},
		"strings needing escape": escapes,
	}
	for name, response := range cases {
		t.Run(name, func(t *testing.T) {
			fake := &fakePricingService{response: response}
			baseURL := startPricingGateway(t, fake)
			for _, attempt := range []string{"first", "repeated"} {
				reply, body := fetch(t, baseURL+candlesPath)
				if reply.StatusCode != http.StatusOK || reply.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("%s: got %d %q: %.200s", attempt, reply.StatusCode, reply.Header.Get("Content-Type"), body)
				}
				if want := gateway.ProtojsonCompact(t, response); body != string(want) {
					t.Errorf("%s: body differs from protojson:\n got %.300s\nwant %.300s", attempt, body, want)
				}
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if got := fake.lastRequest; got.GetSymbol() != "BTC" || got.GetInterval() != pricingv1.Interval_INTERVAL_1H || got.GetLimit() != 1000 {
				t.Errorf("backend got %v", got)
			}
		})
	}
}

// BenchmarkCandlesThroughGateway is one GET of 1,000 candles through the
// whole sidecar over loopback: HTTP in, gRPC call and decoding, JSON,
// HTTP out (the fake backend's encoding included).
func BenchmarkCandlesThroughGateway(b *testing.B) {
	baseURL := startPricingGateway(b, &fakePricingService{response: testanswers.Candles(1000)})
	benchmarkGet(b, baseURL+candlesPath)
}

// The /prices answer (20 assets, about 7 KB) is protojson's too, also
// when the backend's answer changes between requests.
func TestPricesBodyEqualsProtojson(t *testing.T) {
	fake := &fakePricingService{prices: testanswers.Prices(20)}
	baseURL := startPricingGateway(t, fake)
	for _, prices := range []*pricingv1.GetPricesResponse{testanswers.Prices(20), testanswers.Prices(20), testanswers.Prices(3)} {
		fake.mu.Lock()
		fake.prices = prices
		fake.mu.Unlock()
		reply, body := fetch(t, baseURL+pricesPath)
		if want := gateway.ProtojsonCompact(t, prices); reply.StatusCode != http.StatusOK || body != string(want) {
			t.Errorf("got %d %.300s\nwant %.300s", reply.StatusCode, body, want)
		}
	}
}

// BenchmarkPricesThroughGateway is one GET /prices of 20 assets through the
// whole sidecar over loopback, the backend answering the same bytes every
// time (prices that did not move): the sidecar's CPU per /prices answer,
// plus the fake backend's and the HTTP client's.
func BenchmarkPricesThroughGateway(b *testing.B) {
	baseURL := startPricingGateway(b, &fakePricingService{prices: testanswers.Prices(20)})
	benchmarkGet(b, baseURL+pricesPath)
}

// benchmarkGet fetches url b.N times, reading every body.
func benchmarkGet(b *testing.B, url string) {
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		reply, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, reply.Body)
		reply.Body.Close()
		if err != nil || reply.StatusCode != http.StatusOK {
			b.Fatalf("%d %v", reply.StatusCode, err)
		}
	}
}
