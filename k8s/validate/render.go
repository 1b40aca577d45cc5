// Package validate renders the Crypto Tracker Kustomize trees and checks the
// result against the Kubernetes API types and the project's conventions.
// Everything lives in the tests; this file holds the shared rendering code.
package validate

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Object is one rendered manifest, decoded into its typed API struct.
type Object struct {
	Kind      string
	Name      string
	Namespace string
	Typed     runtime.Object
}

// Render builds the kustomization in dir (a path on disk) and decodes every
// resulting object strictly: unknown fields, duplicate fields and kinds the
// client-go scheme does not know are errors.
func Render(dir string) ([]Object, error) {
	kustomizer := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := kustomizer.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	decoder := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	var objects []Object
	for _, res := range resMap.Resources() {
		yamlBytes, err := res.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %s/%s: %w", dir, res.GetKind(), res.GetName(), err)
		}
		typed, _, err := decoder.Decode(yamlBytes, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %s/%s does not decode strictly: %w", dir, res.GetKind(), res.GetName(), err)
		}
		objects = append(objects, Object{Kind: res.GetKind(), Name: res.GetName(), Namespace: res.GetNamespace(), Typed: typed})
	}
	return objects, nil
}

// RenderYAML builds dir and returns the multi-document YAML stream, as
// `kubectl kustomize` would print it.
func RenderYAML(dir string) ([]byte, error) {
	kustomizer := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := kustomizer.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return resMap.AsYaml()
}

// FindKustomizations lists, relative to root, every directory holding a
// kustomization.yaml that can be built on its own: not the Go module itself,
// not a Component (which only exists inside the kustomizations that list it).
func FindKustomizations(root string) ([]string, error) {
	return findKustomizationDirs(root, false)
}

// FindComponents lists, relative to root, every directory holding a
// kustomization.yaml of kind Component.
func FindComponents(root string) ([]string, error) {
	return findKustomizationDirs(root, true)
}

// ReadKustomization parses dir/kustomization.yaml.
func ReadKustomization(dir string) (*types.Kustomization, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var kustomization types.Kustomization
	if err := kyaml.Unmarshal(data, &kustomization); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &kustomization, nil
}

func findKustomizationDirs(root string, components bool) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() && entry.Name() == "validate" {
			return filepath.SkipDir
		}
		if !entry.IsDir() && entry.Name() == "kustomization.yaml" {
			kustomization, err := ReadKustomization(filepath.Dir(path))
			if err != nil {
				return err
			}
			if (kustomization.Kind == types.ComponentKind) != components {
				return nil
			}
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}

// CopyTree copies the manifests under src (without the validate module) to dst.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if entry.IsDir() {
			if rel == "validate" || strings.HasPrefix(entry.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// SplitDocuments is a helper for tests that want the raw YAML documents.
func SplitDocuments(stream []byte) [][]byte {
	var docs [][]byte
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}
