// Package config reads the gateway's settings from flags and environment
// variables (flags win), following docs/conventions.md. A service's defaults
// come from its declaration (service.Declared).
package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// Config is the validated runtime configuration of one gateway process.
type Config struct {
	// Service is the fronted service, one of the declared names.
	Service string
	// HTTPPort is the TCP port the REST API listens on.
	HTTPPort int
	// GRPCBackend is the host:port of the service's gRPC server.
	GRPCBackend string
	// MaxBodyBytes caps request bodies; larger ones get 413.
	MaxBodyBytes int64
	// ShutdownGrace is how long in-flight requests may run after SIGTERM.
	ShutdownGrace time.Duration
	// LogLevel is the minimum level written to the log.
	LogLevel slog.Level
	// RefreshCookiePath, when not empty, replaces the Path of the refresh
	// cookie that the service declares; services that declare no cookie
	// ignore it.
	RefreshCookiePath string
}

const (
	defaultMaxBodyBytes         = 1 << 20 // 1 MiB
	defaultShutdownGraceSeconds = 10
	// maxMaxBodyBytes bounds MAX_BODY_BYTES so a typo cannot make the
	// gateway buffer gigabytes per request.
	maxMaxBodyBytes = 64 << 20
)

// setting is one configuration value: its flag and its environment variable.
type setting struct {
	flagName string
	envName  string
	usage    string
}

var (
	serviceSetting     = setting{"service", "SERVICE", "fronted service (required)"}
	httpPortSetting    = setting{"http-port", "HTTP_PORT", "HTTP listen port (default: the service's declared one)"}
	grpcBackendSetting = setting{"grpc-backend", "GRPC_BACKEND", "gRPC backend host:port (default: the service's declared one)"}
	maxBodySetting     = setting{"max-body-bytes", "MAX_BODY_BYTES", "largest accepted request body in bytes (default 1048576)"}
	graceSetting       = setting{"shutdown-grace-seconds", "SHUTDOWN_GRACE_SECONDS", "drain deadline after SIGTERM/SIGINT (default 10)"}
	logLevelSetting    = setting{"log-level", "LOG_LEVEL", "debug|info|warn|error (default info)"}
	cookiePathSetting  = setting{"refresh-cookie-path", "REFRESH_COOKIE_PATH",
		"Path of the refresh-token cookie, for a service that declares one (default: the declared one)"}
	allSettings = []setting{serviceSetting, httpPortSetting, grpcBackendSetting, maxBodySetting, graceSetting,
		logLevelSetting, cookiePathSetting}
)

// ErrHelp is returned when -h/--help was asked for; usage has been printed.
var ErrHelp = flag.ErrHelp

// Load parses args (without the program name) and the environment seen
// through getenv; declared gives the services that may be chosen and their
// defaults. Usage and flag errors are written to output.
func Load(args []string, getenv func(string) string, output io.Writer, declared map[string]service.Options) (Config, error) {
	names := make([]string, 0, len(declared))
	for name := range declared {
		names = append(names, name)
	}
	sort.Strings(names)
	choices := strings.Join(names, "|")
	flags := flag.NewFlagSet("gateway", flag.ContinueOnError)
	flags.SetOutput(output)
	flagValues := make(map[string]*string, len(allSettings))
	for _, s := range allSettings {
		usage := s.usage
		if s == serviceSetting {
			usage += ": " + choices
		}
		flagValues[s.flagName] = flags.String(s.flagName, "", usage+"; env "+s.envName)
	}
	if err := flags.Parse(args); err != nil {
		return Config{}, err
	}
	if flags.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	setFlags := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })

	// lookup returns the raw value of s and the name to cite in errors.
	lookup := func(s setting) (value, source string) {
		if setFlags[s.flagName] {
			return strings.TrimSpace(*flagValues[s.flagName]), "--" + s.flagName
		}
		return strings.TrimSpace(getenv(s.envName)), s.envName
	}

	var cfg Config
	name, source := lookup(serviceSetting)
	if name == "" {
		return Config{}, fmt.Errorf("--service or SERVICE is required (%s)", choices)
	}
	defaults, known := declared[name]
	if !known {
		return Config{}, fmt.Errorf("%s: unknown service %q (want %s)", source, name, choices)
	}
	cfg.Service = name

	cfg.HTTPPort = defaults.HTTPPort
	if value, source := lookup(httpPortSetting); value != "" {
		port, err := strconv.Atoi(value)
		if err != nil || port < 1 || port > 65535 {
			return Config{}, fmt.Errorf("%s: %q is not a TCP port (1-65535)", source, value)
		}
		cfg.HTTPPort = port
	}
	if cfg.HTTPPort == 0 {
		return Config{}, fmt.Errorf("service %q declares no HTTP port: set --%s or %s", name, httpPortSetting.flagName, httpPortSetting.envName)
	}

	cfg.GRPCBackend = defaults.GRPCBackend
	if value, source := lookup(grpcBackendSetting); value != "" {
		if !strings.Contains(value, ":") {
			return Config{}, fmt.Errorf("%s: %q must be host:port", source, value)
		}
		cfg.GRPCBackend = value
	}
	if cfg.GRPCBackend == "" {
		return Config{}, fmt.Errorf("service %q declares no gRPC backend: set --%s or %s", name, grpcBackendSetting.flagName, grpcBackendSetting.envName)
	}

	cfg.MaxBodyBytes = defaultMaxBodyBytes
	if value, source := lookup(maxBodySetting); value != "" {
		limit, err := strconv.ParseInt(value, 10, 64)
		if err != nil || limit < 1 || limit > maxMaxBodyBytes {
			return Config{}, fmt.Errorf("%s: %q must be a byte count from 1 to %d", source, value, maxMaxBodyBytes)
		}
		cfg.MaxBodyBytes = limit
	}

	cfg.ShutdownGrace = defaultShutdownGraceSeconds * time.Second
	if value, source := lookup(graceSetting); value != "" {
		seconds, err := strconv.Atoi(value)
		if err != nil || seconds < 0 || seconds > 3600 {
			return Config{}, fmt.Errorf("%s: %q must be whole seconds from 0 to 3600", source, value)
		}
		cfg.ShutdownGrace = time.Duration(seconds) * time.Second
	}

	cfg.LogLevel = slog.LevelInfo
	if value, source := lookup(logLevelSetting); value != "" {
		switch strings.ToLower(value) {
		case "trace", "debug":
			cfg.LogLevel = slog.LevelDebug
		case "info":
			cfg.LogLevel = slog.LevelInfo
		case "warn", "warning":
			cfg.LogLevel = slog.LevelWarn
		case "error":
			cfg.LogLevel = slog.LevelError
		default:
			return Config{}, fmt.Errorf("%s: unknown log level %q (want debug|info|warn|error)", source, value)
		}
	}

	if value, source := lookup(cookiePathSetting); value != "" {
		// Checked for every service, so a bad value is found before it is
		// moved to the one that uses it.
		if err := service.CheckCookiePath(value); err != nil {
			return Config{}, fmt.Errorf("%s: %w", source, err)
		}
		cfg.RefreshCookiePath = value
	}
	return cfg, nil
}
