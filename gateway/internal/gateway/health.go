package gateway

import (
	"context"
	"net/http"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthCheckTimeout bounds one /healthz probe of the backend.
const healthCheckTimeout = 2 * time.Second

// healthHandler answers GET /healthz from the backend's grpc.health.v1
// overall status (service ""): 200 {"status":"SERVING"} when it serves, 503
// with the reported status (NOT_SERVING, UNKNOWN...) or "UNREACHABLE" when
// the backend did not answer.
func healthHandler(client healthpb.HealthClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthCheckTimeout)
		defer cancel()
		reported := "UNREACHABLE"
		response, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			reported = response.GetStatus().String()
		}
		httpStatus := http.StatusServiceUnavailable
		if err == nil && response.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			httpStatus = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(httpStatus)
		_, _ = w.Write([]byte(`{"status":"` + reported + `"}` + "\n"))
	})
}
