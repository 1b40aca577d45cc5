package config

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

func envOf(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

func TestLoadAppliesServiceDefaults(t *testing.T) {
	for name, want := range map[string]struct {
		port    int
		backend string
	}{
		"user":      {5000, "localhost:50051"},
		"pricing":   {12000, "localhost:50052"},
		"portfolio": {5000, "localhost:50053"},
		"alert":     {5000, "localhost:50054"},
	} {
		cfg, err := Load(nil, envOf(map[string]string{"SERVICE": name}), io.Discard, service.Declared)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Service != name || cfg.HTTPPort != want.port || cfg.GRPCBackend != want.backend {
			t.Errorf("%s: got %+v", name, cfg)
		}
		// The cookie path is empty: the service's declared one applies.
		if cfg.MaxBodyBytes != 1<<20 || cfg.ShutdownGrace != 10*time.Second || cfg.LogLevel != slog.LevelInfo ||
			cfg.RefreshCookiePath != "" {
			t.Errorf("%s: wrong defaults %+v", name, cfg)
		}
	}
}

func TestLoadReadsEnvironment(t *testing.T) {
	cfg, err := Load(nil, envOf(map[string]string{
		"SERVICE":                "alert",
		"HTTP_PORT":              "15004",
		"GRPC_BACKEND":           "127.0.0.1:6000",
		"MAX_BODY_BYTES":         "2048",
		"SHUTDOWN_GRACE_SECONDS": "3",
		"LOG_LEVEL":              "warn",
		"REFRESH_COOKIE_PATH":    " /api/users/auth ",
	}), io.Discard, service.Declared)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Service: "alert", HTTPPort: 15004, GRPCBackend: "127.0.0.1:6000", MaxBodyBytes: 2048,
		ShutdownGrace: 3 * time.Second, LogLevel: slog.LevelWarn, RefreshCookiePath: "/api/users/auth"}
	if cfg != want {
		t.Errorf("got %+v, want %+v", cfg, want)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	cfg, err := Load(
		[]string{"--service", "pricing", "--http-port=15002", "--grpc-backend", "localhost:7000", "--max-body-bytes", "10",
			"--refresh-cookie-path=/auth"},
		envOf(map[string]string{"SERVICE": "user", "HTTP_PORT": "1", "GRPC_BACKEND": "x:1", "MAX_BODY_BYTES": "99",
			"REFRESH_COOKIE_PATH": "/env"}),
		io.Discard, service.Declared)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Service != "pricing" || cfg.HTTPPort != 15002 || cfg.GRPCBackend != "localhost:7000" || cfg.MaxBodyBytes != 10 ||
		cfg.RefreshCookiePath != "/auth" {
		t.Errorf("got %+v", cfg)
	}
}

func TestLoadRejectsBadValuesNamingTheSource(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"missing service", nil, nil, "SERVICE is required"},
		{"unknown service", nil, map[string]string{"SERVICE": "billing"}, `SERVICE: unknown service "billing"`},
		{"unknown service flag", []string{"--service=x"}, nil, `--service: unknown service "x"`},
		{"port not a number", nil, map[string]string{"SERVICE": "user", "HTTP_PORT": "http"}, "HTTP_PORT"},
		{"port out of range", []string{"--service=user", "--http-port=70000"}, nil, "--http-port"},
		{"backend without port", nil, map[string]string{"SERVICE": "user", "GRPC_BACKEND": "localhost"}, "GRPC_BACKEND"},
		{"zero body limit", nil, map[string]string{"SERVICE": "user", "MAX_BODY_BYTES": "0"}, "MAX_BODY_BYTES"},
		{"huge body limit", nil, map[string]string{"SERVICE": "user", "MAX_BODY_BYTES": "999999999999"}, "MAX_BODY_BYTES"},
		{"negative grace", nil, map[string]string{"SERVICE": "user", "SHUTDOWN_GRACE_SECONDS": "-1"}, "SHUTDOWN_GRACE_SECONDS"},
		{"bad log level", nil, map[string]string{"SERVICE": "user", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"relative cookie path", nil, map[string]string{"SERVICE": "user", "REFRESH_COOKIE_PATH": "user-service/auth"}, "REFRESH_COOKIE_PATH"},
		{"cookie path with attribute", nil, map[string]string{"SERVICE": "user", "REFRESH_COOKIE_PATH": "/a;Domain=x"}, "REFRESH_COOKIE_PATH"},
		{"cookie path with space", []string{"--service=user", "--refresh-cookie-path=/a b"}, nil, "--refresh-cookie-path"},
		{"cookie path with quote", nil, map[string]string{"SERVICE": "user", "REFRESH_COOKIE_PATH": `/a"b`}, "REFRESH_COOKIE_PATH"},
		{"stray argument", []string{"--service=user", "extra"}, nil, `unexpected argument "extra"`},
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
	}
	for _, c := range cases {
		_, err := Load(c.args, envOf(c.env), io.Discard, service.Declared)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: got error %v, want it to contain %q", c.name, err, c.wantErr)
		}
	}
}

func TestLoadHelp(t *testing.T) {
	var usage strings.Builder
	_, err := Load([]string{"--help"}, envOf(nil), &usage, service.Declared)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("got %v, want ErrHelp", err)
	}
	if !strings.Contains(usage.String(), "MAX_BODY_BYTES") || !strings.Contains(usage.String(), "REFRESH_COOKIE_PATH") {
		t.Errorf("usage does not mention env names: %s", usage.String())
	}
}

// The choice of services and their defaults are the declarations'; a
// service that declares no port or backend must be given them.
func TestLoadTakesServicesAndDefaultsFromTheDeclarations(t *testing.T) {
	declared := map[string]service.Options{
		"ticker": {HTTPPort: 8080, GRPCBackend: "localhost:9090"},
		"bare":   {},
	}
	cfg, err := Load(nil, envOf(map[string]string{"SERVICE": "ticker"}), io.Discard, declared)
	if err != nil || cfg.HTTPPort != 8080 || cfg.GRPCBackend != "localhost:9090" {
		t.Errorf("ticker: %+v %v", cfg, err)
	}
	if _, err := Load(nil, envOf(map[string]string{"SERVICE": "user"}), io.Discard, declared); err == nil ||
		!strings.Contains(err.Error(), "want bare|ticker") {
		t.Errorf("an undeclared service: %v", err)
	}
	if _, err := Load(nil, envOf(map[string]string{"SERVICE": "bare", "GRPC_BACKEND": "x:1"}), io.Discard, declared); err == nil ||
		!strings.Contains(err.Error(), "HTTP_PORT") {
		t.Errorf("no port: %v", err)
	}
	if _, err := Load(nil, envOf(map[string]string{"SERVICE": "bare", "HTTP_PORT": "1"}), io.Discard, declared); err == nil ||
		!strings.Contains(err.Error(), "GRPC_BACKEND") {
		t.Errorf("no backend: %v", err)
	}
	cfg, err = Load([]string{"--service=bare", "--http-port=1", "--grpc-backend=x:1"}, envOf(nil), io.Discard, declared)
	if err != nil || cfg.HTTPPort != 1 || cfg.GRPCBackend != "x:1" {
		t.Errorf("bare with flags: %+v %v", cfg, err)
	}
}
