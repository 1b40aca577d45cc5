package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	gatewaytestv1 "github.com/cryptotracker/cryptotracker/gateway/gen/gatewaytest/v1"
	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/gen/testservices"
	"github.com/cryptotracker/cryptotracker/gateway/internal/config"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// serviceEnv is an environment that only names the service.
func serviceEnv(name string) func(string) string {
	return func(variable string) string {
		if variable == "SERVICE" {
			return name
		}
		return ""
	}
}

// TestEveryServiceStartsWithItsDefaultConfiguration guards the join of the
// tables: whatever a service's declaration needs must come with the
// configuration's defaults.
func TestEveryServiceStartsWithItsDefaultConfiguration(t *testing.T) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	for _, generated := range services.All {
		cfg, err := config.Load(nil, serviceEnv(generated.Name), io.Discard, service.Declared)
		if err != nil {
			t.Errorf("%s: config: %v", generated.Name, err)
			continue
		}
		definition, err := fronted(services.All, service.Declared, cfg.Service)
		if err != nil {
			t.Errorf("%s: %v", generated.Name, err)
			continue
		}
		conn, err := dial(cfg) // never called: New only registers routes
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newHandler(context.Background(), cfg, definition, conn, logger); err != nil {
			t.Errorf("%s: %v", generated.Name, err)
		}
		_ = conn.Close()
	}
}

func TestUnknownServiceIsRefused(t *testing.T) {
	if _, err := fronted(services.All, service.Declared, "billing"); err == nil {
		t.Error("a service missing from the table was accepted")
	}
	if _, err := fronted(services.All, map[string]service.Options{"user": {}}, "user"); err == nil {
		t.Error("a table with undeclared services was accepted")
	}
}

// oneTicker is a TickerService that sends `count` ticks, each with its own
// symbol (so that sharing never conflates them).
type oneTicker struct {
	gatewaytestv1.UnimplementedTickerServiceServer
}

func (oneTicker) WatchTicks(req *gatewaytestv1.WatchTicksRequest, stream grpc.ServerStreamingServer[gatewaytestv1.Tick]) error {
	for sequence := int32(1); sequence <= req.GetCount(); sequence++ {
		symbol := string(rune('A' + sequence - 1))
		if err := stream.Send(&gatewaytestv1.Tick{Sequence: sequence, SymbolName: symbol}); err != nil {
			return err
		}
	}
	return nil
}

// syncBuffer collects the log lines of handlers that write concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Adding a service is its HTTP rules plus one declaration: the test-only
// service of testdata/ (generated into gen/testservices exactly as the real
// ones are) is fronted through the binary's own start-up path with nothing
// but a declaration, and every declared behaviour takes effect.
func TestAServiceIsItsHTTPRulesPlusOneDeclaration(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	gatewaytestv1.RegisterTickerServiceServer(server, oneTicker{})
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)

	declared := map[string]service.Options{"gatewaytest": {
		HTTPPort:     18080,
		GRPCBackend:  listener.Addr().String(),
		GCPercent:    250,
		QueryAliases: map[string]map[string]string{"count": {"two": "2"}},
		SharedStreams: []service.SharedStream{{
			Path:          "/api/v1/ticks/stream",
			Method:        "/gatewaytest.v1.TickerService/WatchTicks",
			ConflationKey: "symbol_name",
		}},
	}}
	cfg, err := config.Load(nil, serviceEnv("gatewaytest"), io.Discard, declared)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPPort != 18080 || cfg.GRPCBackend != listener.Addr().String() {
		t.Errorf("configuration without the declared defaults: %+v", cfg)
	}
	definition, err := fronted(testservices.All, declared, cfg.Service)
	if err != nil {
		t.Fatal(err)
	}
	previous := debug.SetGCPercent(100)
	applyGCPercent(definition.Options, func(string) string { return "" })
	if applied := debug.SetGCPercent(previous); applied != 250 {
		t.Errorf("GC percent %d, want the declared 250", applied)
	}
	conn, err := dial(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var logs syncBuffer
	handler, err := newHandler(context.Background(), cfg, definition, conn, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	gateway := httptest.NewServer(handler)
	t.Cleanup(gateway.Close)

	reply, err := http.Get(gateway.URL + "/api/v1/ticks/stream?count=two")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for scanner := bufio.NewScanner(reply.Body); scanner.Scan(); {
		lines = append(lines, scanner.Text())
	}
	reply.Body.Close()
	want := `{"result":{"sequence":1,"symbolName":"A"}}` + "\n" + `{"result":{"sequence":2,"symbolName":"B"}}`
	if reply.StatusCode != http.StatusOK || strings.Join(lines, "\n") != want {
		t.Errorf("aliased stream: %d %q", reply.StatusCode, lines)
	}
	if !strings.Contains(logs.String(), "shared stream opened") {
		t.Errorf("the declared shared stream did not serve the route; log:\n%s", logs.String())
	}

	reply, err = http.Get(gateway.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	document, _ := io.ReadAll(reply.Body)
	reply.Body.Close()
	if !bytes.Equal(document, definition.OpenAPI) || !bytes.Contains(document, []byte(`"/api/v1/ticks/stream"`)) {
		t.Errorf("OpenAPI document: %.200s", document)
	}
}
