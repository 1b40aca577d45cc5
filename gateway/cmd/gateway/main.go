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

func main() {
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr, service.Declared)
	if errors.Is(err, config.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gateway: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	definition, err := fronted(services.All, service.Declared, cfg.Service)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gateway: %v\n", err)
		os.Exit(2)
	}
	applyGCPercent(definition.Options, os.Getenv)
	if err := run(cfg, definition, logger); err != nil {
		logger.Error("gateway stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// fronted is the generated entry of the configured service joined with its
// declaration. Everything particular to one service comes from there.
func fronted(table []service.Definition, declared map[string]service.Options, name string) (service.Definition, error) {
	joined, err := service.Join(table, declared)
	if err != nil {
		return service.Definition{}, err
	}
	definition, ok := service.Find(joined, name)
	if !ok {
		return service.Definition{}, fmt.Errorf("service %q has no HTTP rules in this build (http/%s.yaml)", name, name)
	}
	return definition, nil
}

// applyGCPercent sets the garbage collector's target the service declares,
// unless GOGC is set (which the runtime has applied already) or the service
// keeps Go's default.
func applyGCPercent(options service.Options, getenv func(string) string) {
	if options.GCPercent != 0 && getenv("GOGC") == "" {
		debug.SetGCPercent(options.GCPercent)
	}
}

// dial opens the connection to the service's gRPC server.
func dial(cfg config.Config) (*grpc.ClientConn, error) {
	conn, err := backend.Dial(cfg.GRPCBackend)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", cfg.GRPCBackend, err)
	}
	return conn, nil
}

// newHandler builds the HTTP handler of the configured service.
func newHandler(ctx context.Context, cfg config.Config, definition service.Definition, conn *grpc.ClientConn,
	logger *slog.Logger) (http.Handler, error) {
	return gateway.New(ctx, gateway.Options{
		Service:           definition,
		Backend:           conn,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		Logger:            logger,
		RefreshCookiePath: cfg.RefreshCookiePath,
	})
}

func run(cfg config.Config, definition service.Definition, logger *slog.Logger) error {
	conn, err := dial(cfg)
	if err != nil {
		return err
	}
	defer conn.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	handler, err := newHandler(ctx, cfg, definition, conn, logger)
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
