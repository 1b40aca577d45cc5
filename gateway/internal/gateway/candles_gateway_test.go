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
	"github.com/cryptotracker/cryptotracker/gateway/internal/candles/candlestest"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
)

const candlesPath = "/api/v1/assets/BTC/candles?interval=1h&limit=1000"

// fakePricingService answers GetCandles with a fixed response and records
// the request.
type fakePricingService struct {
	pricingv1.UnimplementedPricingServiceServer
	response *pricingv1.GetCandlesResponse

	mu          sync.Mutex
	lastRequest *pricingv1.GetCandlesRequest
}

func (f *fakePricingService) GetCandles(_ context.Context, req *pricingv1.GetCandlesRequest) (*pricingv1.GetCandlesResponse, error) {
	f.mu.Lock()
	f.lastRequest = proto.Clone(req).(*pricingv1.GetCandlesRequest)
	f.mu.Unlock()
	return f.response, nil
}

// startPricingGateway serves the generated pricing definition with its
// declaration (query aliases, candle codecs) in front of fake.
func startPricingGateway(t testing.TB, fake *fakePricingService) string {
	t.Helper()
	definition := declaredDefinition(t, "pricing")
	address, _ := startBackend(t, func(s *grpc.Server) { pricingv1.RegisterPricingServiceServer(s, fake) })
	return startGateway(t, definition, address).URL
}

// The candles body must be what protojson (EmitUnpopulated, compacted)
// makes of the backend's message, whether the encoder the pricing service
// declares wrote it or, for strings it declines, protojson itself; and the
// declared decoder must give the message proto.Unmarshal gives.
func TestCandlesBodyEqualsProtojson(t *testing.T) {
	escapes := &pricingv1.GetCandlesResponse{Symbol: "BTC", Quote: "USD", Pair: `BTC"USDT\é`,
		Candles: []*pricingv1.Candle{{Open: "1\n", Closed: true}}}
	cases := map[string]*pricingv1.GetCandlesResponse{
		"1,000 candles":          candlestest.Realistic(1000),
		"no candles":             {Symbol: "BTC", Quote: "USD"},
		"strings needing escape": escapes,
	}
	for name, response := range cases {
		t.Run(name, func(t *testing.T) {
			fake := &fakePricingService{response: response}
			baseURL := startPricingGateway(t, fake)
			reply, body := fetch(t, baseURL+candlesPath)
			if reply.StatusCode != http.StatusOK || reply.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %q: %.200s", reply.StatusCode, reply.Header.Get("Content-Type"), body)
			}
			if want := gateway.ProtojsonCompact(t, response); body != string(want) {
				t.Errorf("body differs from protojson:\n got %.300s\nwant %.300s", body, want)
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
	baseURL := startPricingGateway(b, &fakePricingService{response: candlestest.Realistic(1000)})
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		reply, err := client.Get(baseURL + candlesPath)
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
