// Command gateway is the REST sidecar of one Crypto Tracker service: it
// serves the service's /api/v1/... routes as JSON over HTTP and forwards
// them to the service's gRPC server. See gateway/README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/internal/backend"
	"github.com/cryptotracker/cryptotracker/gateway/internal/config"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// defaultGCPercent replaces Go's 100 unless GOGC is set. The sidecar's live
// heap is a few MiB, so collecting only when it has grown fivefold costs
// little memory, while a 1,000-candle answer allocates enough that at 100
// the collector ran during most such requests and was their slowest part
// (p99 through the ingress 12.5 ms at 100, 7 ms at 400).
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, config.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gateway: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := run(cfg, logger); err != nil {
		logger.Error("gateway stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// newHandler builds the HTTP handler of the configured service. Whatever is
// particular to one service comes from its entry in the generated table.
func newHandler(ctx context.Context, cfg config.Config, conn *grpc.ClientConn, logger *slog.Logger) (http.Handler, error) {
	definition, ok := service.Find(services.All, cfg.Service)
	if !ok {
		return nil, fmt.Errorf("service %q has no HTTP rules in this build (http/%s.yaml)", cfg.Service, cfg.Service)
	}
	return gateway.New(ctx, gateway.Options{
		Service:           definition,
		Backend:           conn,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		Logger:            logger,
		RefreshCookiePath: cfg.RefreshCookiePath,
	})
}

func run(cfg config.Config, logger *slog.Logger) error {
	conn, err := backend.Dial(cfg.GRPCBackend, grpc.WithDefaultCallOptions(grpc.ForceCodecV2(gateway.BackendCodec())))
	if err != nil {
		return fmt.Errorf("backend %s: %w", cfg.GRPCBackend, err)
	}
	defer conn.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	handler, err := newHandler(ctx, cfg, conn, logger)
	if err != nil {
		return err
	}
	server := &http.Server{
		Addr:              net.JoinHostPort("", strconv.Itoa(cfg.HTTPPort)),
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// No ReadTimeout/WriteTimeout: they would cut server-streaming
		// responses. Bodies get a per-request read deadline and unary gRPC
		// calls a default deadline instead.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	listener, err := net.Listen("tcp", server.Addr)
	if err != nil {
		return err
	}
	logger.Info("gateway listening", slog.String("service", cfg.Service),
		slog.String("address", listener.Addr().String()), slog.String("grpc_backend", cfg.GRPCBackend),
		slog.Int64("max_body_bytes", cfg.MaxBodyBytes))

	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	logger.Info("shutting down", slog.String("grace", cfg.ShutdownGrace.String()))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		// Streams and slow requests outlived the grace period: cut them.
		logger.Warn("grace period over, closing remaining connections", slog.String("error", err.Error()))
		_ = server.Close()
	}
	logger.Info("gateway stopped")
	return nil
}
