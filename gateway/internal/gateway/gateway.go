// Package gateway assembles the HTTP handler of the REST sidecar: the
// generated grpc-gateway routes of one service plus /healthz and
// /api/openapi.json, with strict JSON, uniform errors, a body limit, request
// ids and an access log.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
	"github.com/cryptotracker/cryptotracker/gateway/internal/wirejson"
)

// Options configure New.
type Options struct {
	// Service is the fronted service (from gen/services).
	Service service.Definition
	// Backend is the client connection to the service's gRPC server.
	Backend *grpc.ClientConn
	// MaxBodyBytes caps request bodies (413 above it).
	MaxBodyBytes int64
	// Logger receives the access log and backend failures.
	Logger *slog.Logger
	// RefreshCookiePath, when not empty, replaces the Path the service
	// declares for its refresh-token cookie; ignored for a service that
	// declares none.
	RefreshCookiePath string
}

// New returns the complete HTTP handler. ctx bounds the lifetime of the
// registered routes (grpc-gateway ties nothing else to it).
func New(ctx context.Context, opts Options) (http.Handler, error) {
	if opts.Backend == nil || opts.Service.Register == nil {
		return nil, errors.New("gateway: Backend and Service are required")
	}
	if opts.MaxBodyBytes <= 0 {
		return nil, errors.New("gateway: MaxBodyBytes must be positive")
	}
	features := opts.Service.Options
	if err := features.Validate(); err != nil {
		return nil, fmt.Errorf("gateway: service %q: %w", opts.Service.Name, err)
	}
	if features.RefreshCookie != nil && opts.RefreshCookiePath != "" {
		if err := service.CheckCookiePath(opts.RefreshCookiePath); err != nil {
			return nil, fmt.Errorf("gateway: service %q: %w", opts.Service.Name, err)
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	marshaler := newJSONMarshaler()
	errs := &errorWriter{marshaler: marshaler, logger: logger}

	apiMux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithIncomingHeaderMatcher(incomingHeaderMatcher),
		runtime.WithOutgoingHeaderMatcher(dropAllMetadata),
		runtime.WithOutgoingTrailerMatcher(dropAllMetadata),
		runtime.WithErrorHandler(errs.handleError),
		runtime.WithRoutingErrorHandler(errs.handleRoutingError),
		runtime.WithStreamErrorHandler(errs.handleStreamError),
		// No POST-as-GET form fallback and no X-HTTP-Method-Override: every
		// route answers exactly its own method.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithDisableHTTPMethodOverride(),
	)
	if err := opts.Service.Register(ctx, apiMux, opts.Backend); err != nil {
		return nil, err
	}

	// The service's declared extras wrap the generated routes, innermost
	// first; none of them applies unless its option is set.
	var api http.Handler = withPublicReads(apiMux)
	if len(features.SharedStreams) > 0 {
		routes, err := newSharedStreamRoutes(ctx, features.SharedStreams, opts.Backend, marshaler, errs, logger)
		if err != nil {
			return nil, fmt.Errorf("gateway: service %q: %w", opts.Service.Name, err)
		}
		api = withSharedStreams(routes, api)
	}
	if features.RefreshCookie != nil {
		api = withRefreshCookie(newRefreshCookie(features.RefreshCookie, opts.RefreshCookiePath), api)
	}
	if len(features.ParameterAliases) > 0 || len(features.QueryAliases) > 0 {
		api = withQueryAliases(features.ParameterAliases, features.QueryAliases, errs, api)
	}

	root := http.NewServeMux()
	root.Handle("/healthz", readOnly(errs, healthHandler(healthpb.NewHealthClient(opts.Backend))))
	root.Handle("/api/openapi.json", readOnly(errs, openAPIHandler(opts.Service.OpenAPI)))
	root.Handle("/", withBodyLimit(opts.MaxBodyBytes, errs, withAuthorizationLimit(errs, api)))

	var handler http.Handler = root
	handler = withoutControlHeaders(handler)
	handler = withRequestID(handler)
	handler = withAccessLog(logger, handler)
	return handler, nil
}

// withPublicReads marks GET requests without credentials as public
// (wirejson.WithCacheable): their answers are the same for everyone, so
// the marshaler may cache them by the backend's bytes. Answers to callers
// who identified themselves, and to requests that change something (a
// login's tokens), are never kept.
func withPublicReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Cookies do not count: none reaches the backend on a GET.
		if r.Method == http.MethodGet && r.Header.Get("Authorization") == "" {
			r = r.WithContext(wirejson.WithCacheable(r.Context()))
		}
		next.ServeHTTP(w, r)
	})
}

// readOnly answers anything but GET and HEAD with a 405 status body.
func readOnly(errs *errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			errs.handleRoutingError(r.Context(), nil, nil, w, r, http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func openAPIHandler(document []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(document)
	})
}
