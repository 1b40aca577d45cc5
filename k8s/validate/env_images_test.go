package validate

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The environment variables each container reads, by container name. The
// service and gateway rows are docs/conventions.md ("Environment variables");
// the pricing jobs run the pricing binary with the same configuration;
// wait-for-db and postgres are what their commands and the postgres image's
// entrypoint read. Every container in every render must have a row, and must
// get exactly these names: no missing ones, no strays. config_code_test.go
// checks the rows against the configuration code itself.
var baseServiceEnv = []string{
	"GRPC_PORT", "LOG_LEVEL",
	"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_POOL_SIZE",
	"SHUTDOWN_GRACE_SECONDS",
}

// Services that verify access tokens also read the issuer and audience.
var cppServiceEnv = append(slices.Clone(baseServiceEnv), "JWT_ISSUER", "JWT_AUDIENCE")

// pricing-service and its jobs (backfill, rollup) share one ConfigMap. All
// pricing routes are public, so it reads no JWT settings.
var pricingServiceEnv = append(slices.Clone(baseServiceEnv),
	"BINANCE_REST_URL", "BINANCE_WS_URL", "COINGECKO_URL", "COINGECKO_API_PLAN", "COINGECKO_REFRESH_SECONDS",
	"PRICE_STALE_SECONDS", "CANDLE_FLUSH_SECONDS", "CANDLE_CACHE_SECONDS",
	"CANDLE_HISTORY_STARTUP_FILL", "CANDLE_HISTORY_1M_DAYS", "CANDLE_HISTORY_1H_DAYS", "CANDLE_HISTORY_4H_DAYS",
	"CANDLE_HISTORY_1D_SINCE", "CANDLE_HISTORY_WEIGHT_PER_MINUTE",
	"CANDLE_RETENTION_1M_DAYS", "CANDLE_RETENTION_5M_DAYS", "CANDLE_RETENTION_15M_DAYS", "CANDLE_RETENTION_1H_DAYS",
	"CANDLE_RETENTION_4H_DAYS", "CANDLE_RETENTION_1D_DAYS", "CANDLE_ROLLUP_LOOKBACK_HOURS")

var expectedEnv = map[string][]string{
	"user-service": append(slices.Clone(cppServiceEnv),
		"JWT_PRIVATE_KEY_FILE", "ACCESS_TOKEN_TTL_SECONDS", "REFRESH_TOKEN_TTL_SECONDS",
		"LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_ADDRESS", "LOGIN_FAILURE_WINDOW_SECONDS"),
	"pricing-service":   slices.Clone(pricingServiceEnv),
	"portfolio-service": append(slices.Clone(cppServiceEnv), "JWT_PUBLIC_KEY_FILE"),
	"alert-service":     append(slices.Clone(cppServiceEnv), "JWT_PUBLIC_KEY_FILE"),
	"backfill":          slices.Clone(pricingServiceEnv),
	"rollup":            slices.Clone(pricingServiceEnv),
	"gateway":           {"SERVICE", "HTTP_PORT", "GRPC_BACKEND", "MAX_BODY_BYTES", "SHUTDOWN_GRACE_SECONDS"},
	"wait-for-db":       {"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER"},
	"postgres":          {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA"},
	"nginx":             {},
}

// containerEnv resolves the variables a container gets: envFrom sources
// (expanded through the rendered ConfigMaps and Secrets) and env entries.
// Values are known for literals and ConfigMap keys; Secret values are "".
func containerEnv(index objectIndex, namespace string, container corev1.Container) (map[string]string, error) {
	env := map[string]string{}
	for _, source := range container.EnvFrom {
		switch {
		case source.ConfigMapRef != nil:
			configMap, ok := index.configMaps[namespace+"/"+source.ConfigMapRef.Name]
			if !ok {
				return nil, fmt.Errorf("ConfigMap %s does not exist", source.ConfigMapRef.Name)
			}
			for key, value := range configMap.Data {
				env[source.Prefix+key] = value
			}
		case source.SecretRef != nil:
			secret, ok := index.secrets[namespace+"/"+source.SecretRef.Name]
			if !ok {
				return nil, fmt.Errorf("Secret %s does not exist", source.SecretRef.Name)
			}
			for key := range secret.Data {
				env[source.Prefix+key] = ""
			}
		}
	}
	for _, variable := range container.Env {
		if _, duplicate := env[variable.Name]; duplicate {
			return nil, fmt.Errorf("variable %s is set twice", variable.Name)
		}
		value := variable.Value
		if variable.ValueFrom != nil && variable.ValueFrom.ConfigMapKeyRef != nil {
			ref := variable.ValueFrom.ConfigMapKeyRef
			if configMap, ok := index.configMaps[namespace+"/"+ref.Name]; ok {
				value = configMap.Data[ref.Key]
			}
		}
		env[variable.Name] = value
	}
	return env, nil
}

func TestContainerEnvNames(t *testing.T) {
	forEachRender(t, func(t *testing.T, dir string, objects []Object) {
		index := indexObjects(objects)
		for _, pod := range podTemplates(objects) {
			for _, container := range allContainers(pod.Spec) {
				want, known := expectedEnv[container.Name]
				if !known {
					t.Errorf("%s: container %s has no row in expectedEnv", pod.Owner, container.Name)
					continue
				}
				env, err := containerEnv(index, pod.Namespace, container)
				if err != nil {
					t.Errorf("%s container %s: %v", pod.Owner, container.Name, err)
					continue
				}
				got := sortedKeys(env)
				wantSorted := slices.Clone(want)
				sort.Strings(wantSorted)
				if !slices.Equal(got, wantSorted) {
					t.Errorf("%s container %s env names:\n got %v\nwant %v", pod.Owner, container.Name, got, wantSorted)
				}
			}
		}
	})
}

// TestServicePodWiring checks that the values tying a pod's containers
// together agree: ports, the sidecar's backend address, and shutdown timing.
func TestServicePodWiring(t *testing.T) {
	services := map[string]struct {
		gatewayService string
		grpcPort       string
		httpPort       string
	}{
		"user-service":      {"user", "50051", "5000"},
		"pricing-service":   {"pricing", "50052", "12000"},
		"portfolio-service": {"portfolio", "50053", "5000"},
		"alert-service":     {"alert", "50054", "5000"},
	}
	forEachRender(t, func(t *testing.T, dir string, objects []Object) {
		index := indexObjects(objects)
		for _, pod := range podTemplates(objects) {
			if !strings.HasPrefix(pod.Owner, "Deployment/") {
				continue
			}
			name := strings.TrimPrefix(pod.Owner, "Deployment/")
			want, isService := services[name]
			if !isService {
				continue
			}
			envs := map[string]map[string]string{}
			var preStopSeconds int64
			for _, container := range pod.Spec.Containers {
				env, err := containerEnv(index, pod.Namespace, container)
				if err != nil {
					t.Fatal(err)
				}
				envs[container.Name] = env
				if container.Lifecycle == nil || container.Lifecycle.PreStop == nil || container.Lifecycle.PreStop.Sleep == nil {
					t.Errorf("%s container %s: no preStop sleep", pod.Owner, container.Name)
				} else {
					preStopSeconds = max(preStopSeconds, container.Lifecycle.PreStop.Sleep.Seconds)
				}
			}
			service, gateway := envs[name], envs["gateway"]
			if service == nil || gateway == nil {
				t.Fatalf("%s: want containers %s and gateway, got %v", pod.Owner, name, sortedKeys(envs))
			}
			checks := []struct{ what, got, want string }{
				{"GRPC_PORT", service["GRPC_PORT"], want.grpcPort},
				{"gateway SERVICE", gateway["SERVICE"], want.gatewayService},
				{"gateway HTTP_PORT", gateway["HTTP_PORT"], want.httpPort},
				{"gateway GRPC_BACKEND", gateway["GRPC_BACKEND"], "localhost:" + want.grpcPort},
			}
			for _, check := range checks {
				if check.got != check.want {
					t.Errorf("%s: %s = %q, want %q", pod.Owner, check.what, check.got, check.want)
				}
			}
			var serviceGrace, gatewayGrace int64
			fmt.Sscan(service["SHUTDOWN_GRACE_SECONDS"], &serviceGrace)
			fmt.Sscan(gateway["SHUTDOWN_GRACE_SECONDS"], &gatewayGrace)
			if gatewayGrace > serviceGrace {
				t.Errorf("%s: the gateway drains for %ds, longer than its backend (%ds)", pod.Owner, gatewayGrace, serviceGrace)
			}
			if grace := pod.Spec.TerminationGracePeriodSeconds; grace == nil || *grace <= preStopSeconds+max(serviceGrace, gatewayGrace) {
				t.Errorf("%s: terminationGracePeriodSeconds must exceed preStop (%ds) + drain (%ds)", pod.Owner, preStopSeconds, serviceGrace)
			}
		}
	})
}

var (
	projectImage    = regexp.MustCompile(`^cryptotracker\.azurecr\.io/(user-service|pricing-service|portfolio-service|alert-service|gateway|frontend):([0-9]+\.[0-9]+\.[0-9]+)$`)
	thirdPartyImage = regexp.MustCompile(`^postgres:15\.[0-9]+$`)
)

func TestImagesArePinned(t *testing.T) {
	forEachRender(t, func(t *testing.T, dir string, objects []Object) {
		for _, pod := range podTemplates(objects) {
			for _, container := range allContainers(pod.Spec) {
				image := container.Image
				switch {
				case projectImage.MatchString(image), thirdPartyImage.MatchString(image):
				case strings.HasPrefix(image, "cryptotracker.azurecr.io/"):
					t.Errorf("%s container %s: image %q needs a pinned x.y.z tag", pod.Owner, container.Name, image)
				default:
					t.Errorf("%s container %s: image %q is neither from cryptotracker.azurecr.io/ nor an allowed, pinned third-party image",
						pod.Owner, container.Name, image)
				}
				if container.ImagePullPolicy != corev1.PullAlways {
					t.Errorf("%s container %s: imagePullPolicy %q, want Always (re-checks registry credentials)",
						pod.Owner, container.Name, container.ImagePullPolicy)
				}
			}
		}
	})
}
