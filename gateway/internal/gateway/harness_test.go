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

// startGateway serves the real gateway handler for definition, proxying to
// the gRPC server at address, on a loopback HTTP server. The cookie path is
// the production default; only definitions with RefreshCookie use it.
func startGateway(t testing.TB, definition service.Definition, address string) *httptest.Server {
	t.Helper()
	conn, err := backend.Dial(address, grpc.WithDefaultCallOptions(grpc.ForceCodecV2(gateway.BackendCodec())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	handler, err := gateway.New(context.Background(), gateway.Options{
		Service:           definition,
		Backend:           conn,
		MaxBodyBytes:      testMaxBodyBytes,
		Logger:            slog.New(slog.NewJSONHandler(io.Discard, nil)),
		RefreshCookiePath: "/user-service/api/v1/auth",
	})
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server
}
