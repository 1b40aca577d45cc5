// Package service describes one backend service the gateway can front.
package service

import (
	"context"
	"fmt"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
)

// Definition is one entry of the generated service table (gen/services)
// and, once joined (Join), the service's declaration.
type Definition struct {
	// Name is the short service name used by --service, e.g. "user".
	Name string
	// Register binds every HTTP route of the service on mux, proxying to conn.
	Register func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error
	// OpenAPI is the generated OpenAPI v2 document (JSON) of the routes.
	OpenAPI []byte
	// Options are the service's declaration (see Declared); the generated
	// table leaves them zero and Join fills them in.
	Options Options
}

// Find returns the definition called name.
func Find(definitions []Definition, name string) (Definition, bool) {
	for _, definition := range definitions {
		if definition.Name == name {
			return definition, true
		}
	}
	return Definition{}, false
}

// Join returns the entries of table with their declarations from declared.
// Every entry needs a declaration (its configuration defaults live there)
// and every declaration an entry (a misspelt name would silently drop the
// options); a malformed declaration is refused too.
func Join(table []Definition, declared map[string]Options) ([]Definition, error) {
	joined := make([]Definition, 0, len(table))
	fronted := make(map[string]bool, len(table))
	for _, definition := range table {
		options, ok := declared[definition.Name]
		if !ok {
			return nil, fmt.Errorf("service %q has HTTP rules (http/%s.yaml) but no declaration", definition.Name, definition.Name)
		}
		if err := options.Validate(); err != nil {
			return nil, fmt.Errorf("service %q: %w", definition.Name, err)
		}
		definition.Options = options
		joined = append(joined, definition)
		fronted[definition.Name] = true
	}
	for _, name := range sortedKeys(declared) {
		if !fronted[name] {
			return nil, fmt.Errorf("service %q is declared but has no HTTP rules (http/%s.yaml)", name, name)
		}
	}
	return joined, nil
}
