// Package service describes one backend service the gateway can front.
package service

import (
	"context"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
)

// Definition is one entry of the generated service table (gen/services).
type Definition struct {
	// Name is the short service name used by --service, e.g. "user".
	Name string
	// Register binds every HTTP route of the service on mux, proxying to conn.
	Register func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error
	// OpenAPI is the generated OpenAPI v2 document (JSON) of the routes.
	OpenAPI []byte
	// Options are the service's extra gateway behaviours (see Declared).
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
