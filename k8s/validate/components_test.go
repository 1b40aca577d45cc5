package validate

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// What every C++ service's directory builds on, in this order (k8s/README.md,
// "Components"): a service folder holds only what is its own. Other
// components may stand between and after them.
var everyServiceComponents = []string{
	"components/grpc-service",
	"components/replicated-deployment",
	"components/grpc-sidecar",
	"components/postgres",
	"components/service-network-policy",
	"components/restricted-containers",
}

// isSubsequence reports whether want appears in got in the same order.
func isSubsequence(want, got []string) bool {
	next := 0
	for _, item := range got {
		if next < len(want) && item == want[next] {
			next++
		}
	}
	return next == len(want)
}

var serviceDirs = []string{"user-service", "pricing-service", "portfolio-service", "alert-service"}

// componentUse maps each kustomization under k8s/ (components included) to
// the components it lists, as paths relative to k8s/.
func componentUse(t *testing.T, source string) map[string][]string {
	t.Helper()
	dirs, err := FindKustomizations(source)
	if err != nil {
		t.Fatal(err)
	}
	components, err := FindComponents(source)
	if err != nil {
		t.Fatal(err)
	}
	use := map[string][]string{}
	for _, dir := range append(dirs, components...) {
		kustomization, err := ReadKustomization(filepath.Join(source, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, component := range kustomization.Components {
			use[dir] = append(use[dir], filepath.ToSlash(filepath.Join(dir, component)))
		}
	}
	return use
}

func TestServicesUseTheComponents(t *testing.T) {
	source, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	use := componentUse(t, source)
	for _, dir := range serviceDirs {
		if !isSubsequence(everyServiceComponents, use[dir]) {
			t.Errorf("%s must use %v in this order, got %v", dir, everyServiceComponents, use[dir])
		}
		overlay := "overlays/prod/" + dir
		if !slices.Contains(use[overlay], "components/production-service") {
			t.Errorf("%s does not use components/production-service (got %v)", overlay, use[overlay])
		}
	}
	frontend := []string{"components/replicated-deployment", "components/restricted-containers"}
	if !isSubsequence(frontend, use["frontend"]) {
		t.Errorf("frontend must use %v in this order, got %v", frontend, use["frontend"])
	}
	components, err := FindComponents(source)
	if err != nil {
		t.Fatal(err)
	}
	if len(components) == 0 {
		t.Fatal("no components under k8s/")
	}
	for _, component := range components {
		used := false
		for _, listed := range use {
			used = used || slices.Contains(listed, component)
		}
		if !used {
			t.Errorf("%s is used by no kustomization", component)
		}
	}
}

// The components' placeholders (PREFIX, SERVICE, DEPLOYMENT, port 0) must all
// be replaced: one left over would be a name or port nothing answers to.
var leftoverPlaceholder = regexp.MustCompile(`PREFIX|DEPLOYMENT|(: |-)SERVICE\b|(?m)^\s*(- )?(port|containerPort): 0$|_PORT: "0"$|localhost:0\b`)

func TestNoPlaceholderSurvives(t *testing.T) {
	renderAll(t)
	for _, dir := range foundDirs {
		t.Run(dir, func(t *testing.T) {
			stream, err := RenderYAML(filepath.Join(copyRoot, dir))
			if err != nil {
				t.Skipf("render failed (reported by TestRenderStrict)")
			}
			for _, doc := range SplitDocuments(stream) {
				for _, line := range strings.Split(string(doc), "\n") {
					if leftoverPlaceholder.MatchString(line) {
						t.Errorf("placeholder left in the render: %q", strings.TrimSpace(line))
					}
				}
			}
		})
	}
}

// The check itself must catch what a missed replacement leaves behind.
func TestPlaceholderPattern(t *testing.T) {
	for _, line := range []string{"  name: PREFIX-config", "    app.kubernetes.io/name: SERVICE",
		"  name: SERVICE-jobs", "  name: DEPLOYMENT", "      port: 0", "  - containerPort: 0", `  HTTP_PORT: "0"`, "  GRPC_BACKEND: localhost:0"} {
		if !leftoverPlaceholder.MatchString(line) {
			t.Errorf("not caught: %q", line)
		}
	}
	for _, line := range []string{"  SERVICE: user", "  name: user-service", "      port: 5000", "  GRPC_BACKEND: localhost:50051",
		`  CANDLE_STARTUP_BACKFILL_DAYS: "2"`, "  SHUTDOWN_GRACE_SECONDS: \"20\"", `          value: "0"`} {
		if leftoverPlaceholder.MatchString(line) {
			t.Errorf("wrongly caught: %q", line)
		}
	}
}
