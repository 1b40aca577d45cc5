package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/internal/backend"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// testMaxBodyBytes is the body limit of the gateways under test (the
// production default).
const testMaxBodyBytes = 1 << 20

// startBackend runs a real gRPC server on a loopback port with the services
// that register adds plus grpc.health.v1, and returns its address and health
// server.
func startBackend(t testing.TB, register func(*grpc.Server)) (string, *health.Server) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	register(server)
	healthServer := health.NewServer()
	healthpb.RegisterHealthServer(server, healthServer)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	return listener.Addr().String(), healthServer
}

// declaredDefinition is the generated entry of the service called name
// with its declaration, as the binary runs it.
func declaredDefinition(t testing.TB, name string) service.Definition {
	t.Helper()
	fronted, err := service.Join(services.All, service.Declared)
	if err != nil {
		t.Fatal(err)
	}
	definition, ok := service.Find(fronted, name)
	if !ok {
		t.Fatalf("the generated service table has no %s service", name)
	}
	return definition
}

// startGateway serves the real gateway handler for definition, proxying to
// the gRPC server at address, on a loopback HTTP server; the connection has
// the options definition declares (its codec), as in the binary.
func startGateway(t testing.TB, definition service.Definition, address string) *httptest.Server {
	t.Helper()
	return startGatewayWith(t, gateway.Options{Service: definition}, address)
}

// startGatewayWith is startGateway with other options of gateway.New; the
// backend, body limit and logger are filled in.
func startGatewayWith(t testing.TB, opts gateway.Options, address string) *httptest.Server {
	t.Helper()
	conn, err := backend.Dial(address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	opts.Backend = conn
	opts.MaxBodyBytes = testMaxBodyBytes
	opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	handler, err := gateway.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server
}
