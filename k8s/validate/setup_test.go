package validate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// The kustomizations the repository must contain, relative to k8s/.
var expectedKustomizations = []string{
	"alert-service",
	"base",
	"frontend",
	"overlays/prod",
	"overlays/prod/alert-service",
	"overlays/prod/frontend",
	"overlays/prod/portfolio-service",
	"overlays/prod/pricing-service",
	"overlays/prod/user-service",
	"portfolio-service",
	"pricing-service",
	"user-service",
}

// The prod overlays read real credentials from files that are never committed.
// The tests render a copy of the tree with freshly generated stand-ins, so
// they can also prove the development values do not leak into production.
var prodSecretFiles = map[string][]string{
	"user-service":      {"db-password", "jwt-private.pem"},
	"pricing-service":   {"db-password"},
	"portfolio-service": {"db-password", "jwt-public.pem"},
	"alert-service":     {"db-password", "jwt-public.pem"},
}

const testDBPassword = "test-only-prod-password"

type renderResult struct {
	objects []Object
	err     error
}

var (
	renderOnce     sync.Once
	renderSetupErr error
	renders        map[string]renderResult
	foundDirs      []string
	// copyRoot is the rendered copy of k8s/ (with the stand-in prod secrets).
	copyRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if copyRoot != "" {
		os.RemoveAll(copyRoot)
	}
	os.Exit(code)
}

// renderAll renders every kustomization once per test binary.
func renderAll(t *testing.T) map[string]renderResult {
	t.Helper()
	renderOnce.Do(func() {
		renderSetupErr = func() error {
			source, err := filepath.Abs("..")
			if err != nil {
				return err
			}
			foundDirs, err = FindKustomizations(source)
			if err != nil {
				return err
			}
			copyRoot, err = os.MkdirTemp("", "k8s-validate-")
			if err != nil {
				return err
			}
			if err := CopyTree(source, copyRoot); err != nil {
				return err
			}
			if err := writeProdSecrets(copyRoot); err != nil {
				return err
			}
			renders = map[string]renderResult{}
			for _, dir := range foundDirs {
				objects, err := Render(filepath.Join(copyRoot, dir))
				renders[dir] = renderResult{objects: objects, err: err}
			}
			return nil
		}()
	})
	if renderSetupErr != nil {
		t.Fatalf("setting up renders: %v", renderSetupErr)
	}
	return renders
}

func writeProdSecrets(root string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	privateDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	publicDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	contents := map[string][]byte{
		"db-password":     []byte(testDBPassword),
		"jwt-private.pem": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privateDER}),
		"jwt-public.pem":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicDER}),
	}
	for service, files := range prodSecretFiles {
		dir := filepath.Join(root, "overlays", "prod", service, "secrets")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		for _, file := range files {
			if err := os.WriteFile(filepath.Join(dir, file), contents[file], 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// forEachRender runs check as a subtest on every successful render.
func forEachRender(t *testing.T, check func(t *testing.T, dir string, objects []Object)) {
	for _, dir := range sortedKeys(renderAll(t)) {
		result := renders[dir]
		t.Run(dir, func(t *testing.T) {
			if result.err != nil {
				t.Skipf("render failed (reported by TestRenderStrict)")
			}
			check(t, dir, result.objects)
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// typedOf returns the rendered objects of type T.
func typedOf[T runtime.Object](objects []Object) []T {
	var out []T
	for _, object := range objects {
		if typed, ok := object.Typed.(T); ok {
			out = append(out, typed)
		}
	}
	return out
}

func TestTreeIsComplete(t *testing.T) {
	renderAll(t)
	if fmt.Sprint(foundDirs) != fmt.Sprint(expectedKustomizations) {
		t.Errorf("kustomizations under k8s/:\n got %v\nwant %v", foundDirs, expectedKustomizations)
	}
}

func TestRenderStrict(t *testing.T) {
	for _, dir := range sortedKeys(renderAll(t)) {
		result := renders[dir]
		t.Run(dir, func(t *testing.T) {
			if result.err != nil {
				t.Fatal(result.err)
			}
			if len(result.objects) == 0 {
				t.Fatal("renders no objects")
			}
		})
	}
}
