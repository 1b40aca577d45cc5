package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	gatewaytestv1 "github.com/cryptotracker/cryptotracker/gateway/gen/gatewaytest/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/backend"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// hubTicker is a TickerService whose calls the test drives: each call sends
// `count` ticks (symbols S1..Sn), fails with INVALID_ARGUMENT when fail_at
// is 1 and with INTERNAL when fail_at is count+1, and otherwise forwards
// what the test pushes until it is told to fail or the client cancels.
type hubTicker struct {
	gatewaytestv1.UnimplementedTickerServiceServer

	mu     sync.Mutex
	calls  int
	feeds  map[chan tickOrError]struct{}
	ended  chan struct{} // one signal per call that returned
	active int
}

type tickOrError struct {
	tick *gatewaytestv1.Tick
	err  error
}

func newHubTicker() *hubTicker {
	return &hubTicker{feeds: map[chan tickOrError]struct{}{}, ended: make(chan struct{}, 100)}
}

func (f *hubTicker) WatchTicks(req *gatewaytestv1.WatchTicksRequest, stream grpc.ServerStreamingServer[gatewaytestv1.Tick]) error {
	feed := make(chan tickOrError, 100000)
	f.mu.Lock()
	f.calls++
	f.active++
	f.feeds[feed] = struct{}{}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active--
		delete(f.feeds, feed)
		f.mu.Unlock()
		f.ended <- struct{}{}
	}()
	if req.GetFailAt() == 1 {
		return status.Error(codes.InvalidArgument, "unknown symbol: DOGE")
	}
	for i := int32(1); i <= req.GetCount(); i++ {
		if err := stream.Send(&gatewaytestv1.Tick{Sequence: i, SymbolName: fmt.Sprintf("S%d", i)}); err != nil {
			return err
		}
	}
	if req.GetFailAt() == req.GetCount()+1 {
		return status.Error(codes.Internal, "feed socket closed at 10.1.2.3")
	}
	for {
		select {
		case next := <-feed:
			if next.err != nil {
				return next.err
			}
			if err := stream.Send(next.tick); err != nil {
				return err
			}
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
	}
}

// push sends a tick (or an error) to every running call.
func (f *hubTicker) push(next tickOrError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for feed := range f.feeds {
		feed <- next
	}
}

func (f *hubTicker) counts() (calls, active int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.active
}

func (f *hubTicker) waitEnded(t *testing.T) {
	t.Helper()
	select {
	case <-f.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream call did not end")
	}
}

var sharedTicks = service.SharedStream{
	Path:          "/api/v1/ticks/stream",
	Method:        "/gatewaytest.v1.TickerService/WatchTicks",
	ConflationKey: "symbol_name",
}

// startSharedTickers serves the ticker with shared streams and, for
// comparison, without.
func startSharedTickers(t *testing.T) (fake *hubTicker, shared, plain string) {
	t.Helper()
	fake = newHubTicker()
	address, _ := startBackend(t, func(s *grpc.Server) { gatewaytestv1.RegisterTickerServiceServer(s, fake) })
	shared = startGateway(t, tickerDefinition("gatewaytest", service.Options{
		SharedStreams: []service.SharedStream{sharedTicks},
	}), address).URL
	plain = startGateway(t, tickerDefinition("gatewaytest", service.Options{}), address).URL
	return fake, shared, plain
}

// streamClient reads one NDJSON response line by line.
type streamClient struct {
	reply *http.Response
	lines *bufio.Reader
}

func subscribe(t *testing.T, url string) *streamClient {
	t.Helper()
	reply, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reply.Body.Close() })
	if reply.StatusCode != http.StatusOK || reply.Header.Get("Content-Type") != "application/x-ndjson" {
		body, _ := io.ReadAll(reply.Body)
		t.Fatalf("subscribe: %d %q %s", reply.StatusCode, reply.Header.Get("Content-Type"), body)
	}
	return &streamClient{reply: reply, lines: bufio.NewReaderSize(reply.Body, 1<<20)}
}

func (c *streamClient) next(t *testing.T) string {
	t.Helper()
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := c.lines.ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case got := <-done:
		if got.err != nil {
			t.Fatalf("reading a line: %v (partial %q)", got.err, got.line)
		}
		return strings.TrimSuffix(got.line, "\n")
	case <-time.After(10 * time.Second):
		t.Fatal("no line within 10 s")
		return ""
	}
}

func (c *streamClient) expectEnd(t *testing.T) {
	t.Helper()
	if rest, err := io.ReadAll(c.lines); err != nil || len(rest) != 0 {
		t.Fatalf("expected the end of the response, got %q %v", rest, err)
	}
}

func tickLine(sequence int, symbol string) string {
	return fmt.Sprintf(`{"result":{"sequence":%d,"symbolName":%q}}`, sequence, symbol)
}

func TestSharedStreamOneUpstreamCallForEqualRequests(t *testing.T) {
	fake, shared, _ := startSharedTickers(t)
	var clients []*streamClient
	for i := 0; i < 20; i++ {
		client := subscribe(t, shared+"/api/v1/ticks/stream?count=2")
		for want := 1; want <= 2; want++ {
			if got := client.next(t); got != tickLine(want, fmt.Sprintf("S%d", want)) {
				t.Fatalf("subscriber %d line %d: %s", i, want, got)
			}
		}
		clients = append(clients, client)
	}
	fake.push(tickOrError{tick: &gatewaytestv1.Tick{Sequence: 3, SymbolName: "S1"}})
	for i, client := range clients {
		if got := client.next(t); got != tickLine(3, "S1") {
			t.Errorf("subscriber %d: %s", i, got)
		}
	}
	if calls, _ := fake.counts(); calls != 1 {
		t.Errorf("%d upstream calls for 20 equal subscribers", calls)
	}
	// A different request gets a call of its own.
	other := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	if got := other.next(t); got != tickLine(1, "S1") {
		t.Errorf("other request: %s", got)
	}
	if calls, _ := fake.counts(); calls != 2 {
		t.Errorf("%d upstream calls, want 2", calls)
	}
}

func TestSharedStreamLateJoinerGetsLatestOfEveryKeyFirst(t *testing.T) {
	fake, shared, _ := startSharedTickers(t)
	first := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	first.next(t) // S1 #1
	for _, tick := range []*gatewaytestv1.Tick{
		{Sequence: 2, SymbolName: "B"}, {Sequence: 3, SymbolName: ""}, // a heartbeat-like message: never replayed
		{Sequence: 4, SymbolName: "S1"}, {Sequence: 5, SymbolName: "B"},
	} {
		fake.push(tickOrError{tick: tick})
		first.next(t)
	}
	late := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	// Keys in first-seen order, each with its latest line.
	for _, want := range []string{tickLine(4, "S1"), tickLine(5, "B")} {
		if got := late.next(t); got != want {
			t.Errorf("late joiner: got %s, want %s", got, want)
		}
	}
	fake.push(tickOrError{tick: &gatewaytestv1.Tick{Sequence: 6, SymbolName: "C"}})
	if got := late.next(t); got != tickLine(6, "C") {
		t.Errorf("late joiner, live: %s", got)
	}
	if got := first.next(t); got != tickLine(6, "C") {
		t.Errorf("first subscriber, live: %s", got)
	}
}

func TestSharedStreamSlowSubscriberDoesNotHoldUpOthers(t *testing.T) {
	fake, shared, _ := startSharedTickers(t)
	slow := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	slow.next(t)
	fast := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	fast.next(t)

	// ~40 MB of lines over 10 keys: far more than the socket buffers of a
	// client that reads nothing.
	const keys, total = 10, 20000
	padding := strings.Repeat("x", 2000)
	symbol := func(i int) string { return fmt.Sprintf("K%d-%s", i%keys, padding) }
	go func() {
		for i := 1; i <= total; i++ {
			fake.push(tickOrError{tick: &gatewaytestv1.Tick{Sequence: int32(i), SymbolName: symbol(i)}})
		}
	}()
	// Both end with the latest line of every key, each key's lines in
	// order. The fast one keeps up (it may still skip a line its writer had
	// not sent when the next of the same key came); the slow one, reading
	// only now, gets what its socket buffers held plus one line per key:
	// not a queue of everything.
	if lines := readUntilLatest(t, fast, keys, total); lines < keys {
		t.Errorf("the fast subscriber got %d lines", lines)
	}
	lines := readUntilLatest(t, slow, keys, total)
	if lines > total/2 {
		t.Errorf("the slow subscriber got %d of %d lines: they were queued, not conflated", lines, total)
	}
	t.Logf("slow subscriber read %d of %d lines", lines, total)
}

// readUntilLatest reads until it has seen the last `keys` sequence numbers
// of a run of `total`, checking the order per key; returns the line count.
func readUntilLatest(t *testing.T, client *streamClient, keys, total int) int {
	t.Helper()
	latest := map[string]int{}
	lines := 0
	for len(latest) < keys || !allAtLeast(latest, total-keys+1) {
		var tick struct {
			Result struct {
				Sequence   int    `json:"sequence"`
				SymbolName string `json:"symbolName"`
			} `json:"result"`
		}
		line := client.next(t)
		if err := json.Unmarshal([]byte(line), &tick); err != nil {
			t.Fatalf("line %.80q: %v", line, err)
		}
		if tick.Result.Sequence <= latest[tick.Result.SymbolName] {
			t.Fatalf("sequence %d after %d", tick.Result.Sequence, latest[tick.Result.SymbolName])
		}
		latest[tick.Result.SymbolName] = tick.Result.Sequence
		lines++
	}
	return lines
}

func allAtLeast(latest map[string]int, sequence int) bool {
	for _, got := range latest {
		if got < sequence {
			return false
		}
	}
	return true
}

func TestSharedStreamErrorBeforeFirstMessageIsTheSameHTTPError(t *testing.T) {
	fake, shared, plain := startSharedTickers(t)
	for _, query := range []string{"?count=2&failAt=1", "?count=0&failAt=1", "?count=many", "?count=1&failAt=x"} {
		wantReply, want := fetch(t, plain+"/api/v1/ticks/stream"+query)
		wantStatus := wantReply.StatusCode
		if wantStatus < 400 {
			t.Fatalf("%s: the plain route answered %d", query, wantStatus)
		}
		var wg sync.WaitGroup
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reply, err := http.Get(shared + "/api/v1/ticks/stream" + query)
				if err != nil {
					t.Error(err)
					return
				}
				defer reply.Body.Close()
				body, _ := io.ReadAll(reply.Body)
				if reply.StatusCode != wantStatus || string(body) != want || reply.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s: got %d %q %s, want %d %s", query, reply.StatusCode, reply.Header.Get("Content-Type"), body, wantStatus, want)
				}
			}()
		}
		wg.Wait()
	}
	// A failed call is not reused: the next subscriber gets a new one.
	callsBefore, _ := fake.counts()
	client := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	client.next(t)
	if calls, _ := fake.counts(); calls != callsBefore+1 {
		t.Errorf("calls %d -> %d", callsBefore, calls)
	}
}

func TestSharedStreamErrorAfterStartIsAnErrorLineForEverySubscriber(t *testing.T) {
	fake, shared, plain := startSharedTickers(t)
	// As the plain route renders it.
	_, plainBody := fetch(t, plain+"/api/v1/ticks/stream?count=2&failAt=3")
	plainLines := strings.Split(strings.TrimSuffix(plainBody, "\n"), "\n")
	if len(plainLines) != 3 || !strings.HasPrefix(plainLines[2], `{"error":`) {
		t.Fatalf("plain route: %q", plainBody)
	}
	if _, sharedBody := fetch(t, shared+"/api/v1/ticks/stream?count=2&failAt=3"); sharedBody != plainBody {
		t.Errorf("shared %q, plain %q", sharedBody, plainBody)
	}

	a := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	b := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	a.next(t)
	b.next(t)
	callsBefore, _ := fake.counts()
	fake.push(tickOrError{err: status.Error(codes.Internal, "feed socket closed at 10.1.2.3")})
	for name, client := range map[string]*streamClient{"a": a, "b": b} {
		if got := client.next(t); got != plainLines[2] {
			t.Errorf("%s: error line %s, want %s", name, got, plainLines[2])
		}
		client.expectEnd(t)
	}
	fake.waitEnded(t)
	again := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	again.next(t)
	if calls, _ := fake.counts(); calls != callsBefore+1 {
		t.Errorf("after the failure: %d calls, want %d", calls, callsBefore+1)
	}
}

func TestSharedStreamLastSubscriberLeavingCancelsTheCall(t *testing.T) {
	fake, shared, _ := startSharedTickers(t)
	a := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	b := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	a.next(t)
	b.next(t)
	a.reply.Body.Close()
	fake.push(tickOrError{tick: &gatewaytestv1.Tick{Sequence: 2, SymbolName: "S1"}})
	if got := b.next(t); got != tickLine(2, "S1") {
		t.Errorf("remaining subscriber: %s", got)
	}
	if _, active := fake.counts(); active != 1 {
		t.Errorf("%d active calls while one subscriber remains", active)
	}
	b.reply.Body.Close()
	fake.waitEnded(t)
	if calls, active := fake.counts(); calls != 1 || active != 0 {
		t.Errorf("calls %d, active %d", calls, active)
	}
	c := subscribe(t, shared+"/api/v1/ticks/stream?count=1")
	if got := c.next(t); got != tickLine(1, "S1") {
		t.Errorf("new subscriber: %s", got)
	}
	if calls, _ := fake.counts(); calls != 2 {
		t.Errorf("calls %d, want a new one", calls)
	}
}

func TestSharedStreamOtherMethodsAnswerAsBefore(t *testing.T) {
	_, shared, plain := startSharedTickers(t)
	for _, method := range []string{http.MethodPost, http.MethodHead, http.MethodDelete} {
		wantStatus, wantBody := doMethod(t, method, plain+"/api/v1/ticks/stream?count=1")
		gotStatus, gotBody := doMethod(t, method, shared+"/api/v1/ticks/stream?count=1")
		if gotStatus != wantStatus || gotBody != wantBody {
			t.Errorf("%s: got %d %s, want %d %s", method, gotStatus, gotBody, wantStatus, wantBody)
		}
	}
}

func doMethod(t *testing.T, method, url string) (int, string) {
	t.Helper()
	request, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	body, _ := io.ReadAll(reply.Body)
	return reply.StatusCode, string(body)
}

// streamingPricing sends a fixed sequence of StreamPrices messages, then
// ends the stream (or fails with INVALID_ARGUMENT for unknown symbols).
type streamingPricing struct {
	pricingv1.UnimplementedPricingServiceServer
	messages []*pricingv1.StreamPricesResponse
}

func (f *streamingPricing) StreamPrices(req *pricingv1.StreamPricesRequest, stream grpc.ServerStreamingServer[pricingv1.StreamPricesResponse]) error {
	for _, symbol := range req.GetSymbols() {
		if symbol == "DOGE" {
			return status.Error(codes.InvalidArgument, "unknown symbol: DOGE")
		}
	}
	for _, message := range f.messages {
		if err := stream.Send(message); err != nil {
			return err
		}
	}
	return nil
}

// The generated pricing definition declares the shared price stream; its
// lines, headers and errors must be byte for byte those of the generated
// route. (The messages have distinct keys: a burst of one key's updates
// would be conflated, which is the point of the shared route.)
func TestSharedPriceStreamIsByteIdenticalToTheGeneratedRoute(t *testing.T) {
	definition := declaredDefinition(t, "pricing")
	if len(definition.Options.SharedStreams) == 0 {
		t.Fatal("the pricing definition declares no shared stream")
	}
	at := timestamppb.New(time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC))
	price := func(symbol, last string, stale bool) *pricingv1.StreamPricesResponse {
		return &pricingv1.StreamPricesResponse{Event: &pricingv1.StreamPricesResponse_Price{Price: &pricingv1.Price{
			Symbol: symbol, Quote: "EUR", Pair: symbol + "USDT", Derivation: pricingv1.PriceDerivation_PRICE_DERIVATION_CROSS_RATE,
			Via: "USDT", LastPrice: last, Open_24H: "1.5", High_24H: "2", Low_24H: "1", Change_24H: "-0.25",
			ChangePercent_24H: "-3.14", Volume_24H: "60407.88899", QuoteVolume_24H: "1506193484.9650895",
			Source: "binance", UpdateTime: at, Stale: stale,
		}}}
	}
	fake := &streamingPricing{messages: []*pricingv1.StreamPricesResponse{
		price("BTC", "24447.36", false), price("ETH", "1386.6", false),
		{Event: &pricingv1.StreamPricesResponse_Heartbeat{Heartbeat: &pricingv1.Heartbeat{ServerTime: at}}},
		price("SOL", "24.37", true), price(`Q"\é`, "0", false),
	}}
	address, _ := startBackend(t, func(s *grpc.Server) { pricingv1.RegisterPricingServiceServer(s, fake) })
	shared := startGateway(t, definition, address).URL
	plainDefinition := definition
	plainDefinition.Options.SharedStreams = nil
	plain := startGateway(t, plainDefinition, address).URL

	for _, query := range []string{"?quote=EUR", "?symbols=BTC&symbols=ETH", "?symbols=DOGE", "?quote=1&quote=2", "?bogus=1"} {
		url := "/api/v1/prices/stream" + query
		wantReply, want := fetch(t, plain+url)
		gotReply, got := fetch(t, shared+url)
		if got != want || gotReply.StatusCode != wantReply.StatusCode {
			t.Errorf("%s: got %d %q, want %d %q", query, gotReply.StatusCode, got, wantReply.StatusCode, want)
		}
		for _, header := range []string{"Content-Type", "Content-Length"} {
			if gotReply.Header.Get(header) != wantReply.Header.Get(header) {
				t.Errorf("%s: %s %q, want %q", query, header, gotReply.Header.Get(header), wantReply.Header.Get(header))
			}
		}
		if strings.Join(gotReply.TransferEncoding, ",") != strings.Join(wantReply.TransferEncoding, ",") {
			t.Errorf("%s: transfer encoding %v, want %v", query, gotReply.TransferEncoding, wantReply.TransferEncoding)
		}
	}
	if _, body := fetch(t, shared+"/api/v1/prices/stream"); strings.Count(body, "\n") != 5 || !strings.Contains(body, `"heartbeat"`) {
		t.Errorf("shared body: %q", body)
	}
}

// fetch GETs url and reads the whole body (the package's tests share it).
func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	body, err := io.ReadAll(reply.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply, string(body)
}

func TestNewRefusesAnUnusableSharedStream(t *testing.T) {
	conn, err := backend.Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	bad := sharedTicks
	bad.ConflationKey = "sequence" // not a string
	_, err = gateway.New(context.Background(), gateway.Options{
		Service:      tickerDefinition("gatewaytest", service.Options{SharedStreams: []service.SharedStream{bad}}),
		Backend:      conn,
		MaxBodyBytes: testMaxBodyBytes,
	})
	if err == nil {
		t.Error("accepted")
	}
}

// The shared route runs inside the same middleware as the generated ones:
// query aliases apply before the request is parsed.
func TestSharedStreamSeesQueryAliases(t *testing.T) {
	fake := newHubTicker()
	address, _ := startBackend(t, func(s *grpc.Server) { gatewaytestv1.RegisterTickerServiceServer(s, fake) })
	shared := startGateway(t, tickerDefinition("gatewaytest", service.Options{
		SharedStreams: []service.SharedStream{sharedTicks},
		QueryAliases:  map[string]map[string]string{"count": {"one": "1"}},
	}), address).URL
	client := subscribe(t, shared+"/api/v1/ticks/stream?count=one")
	if got := client.next(t); got != tickLine(1, "S1") {
		t.Errorf("got %s", got)
	}
	if got := client.reply.Header.Get("X-Request-Id"); got == "" {
		t.Error("no request id on the shared route")
	}
}
