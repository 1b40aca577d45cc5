package service_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// TestGeneratedTableIsUsable checks every generated entry: a known name, a
// parseable OpenAPI v2 document with routes, and handlers that register.
func TestGeneratedTableIsUsable(t *testing.T) {
	if _, ok := service.Find(services.All, "user"); !ok {
		t.Fatal("the user service is missing from the generated table")
	}
	known := map[string]bool{"user": true, "pricing": true, "portfolio": true, "alert": true}
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, definition := range services.All {
		if !known[definition.Name] {
			t.Errorf("unexpected service %q (http/%s.yaml without a matching --service value)", definition.Name, definition.Name)
		}
		var document struct {
			Swagger string                     `json:"swagger"`
			Paths   map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(definition.OpenAPI, &document); err != nil {
			t.Errorf("%s: OpenAPI document: %v", definition.Name, err)
		}
		if document.Swagger != "2.0" || len(document.Paths) == 0 {
			t.Errorf("%s: OpenAPI document has version %q and %d paths", definition.Name, document.Swagger, len(document.Paths))
		}
		if err := definition.Register(context.Background(), runtime.NewServeMux(), conn); err != nil {
			t.Errorf("%s: register: %v", definition.Name, err)
		}
	}
}

func TestFind(t *testing.T) {
	table := []service.Definition{{Name: "user"}, {Name: "alert"}}
	if found, ok := service.Find(table, "alert"); !ok || found.Name != "alert" {
		t.Errorf("got %v %v", found, ok)
	}
	if _, ok := service.Find(table, "billing"); ok {
		t.Error("found a service that is not in the table")
	}
}

// TestGeneratedTableCarriesDeclaredOptions checks generate.sh wires Declared
// into the table, and that no declaration names a service the table lacks
// (a typo there would silently drop the options).
func TestGeneratedTableCarriesDeclaredOptions(t *testing.T) {
	for name, options := range service.Declared {
		definition, ok := service.Find(services.All, name)
		if !ok {
			t.Errorf("options declared for %q, which is not in the generated table", name)
			continue
		}
		if err := options.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(definition.Options, options) {
			t.Errorf("%s: table has %+v, declared %+v", name, definition.Options, options)
		}
	}
	user, _ := service.Find(services.All, "user")
	pricing, _ := service.Find(services.All, "pricing")
	if !user.Options.RefreshCookie || pricing.Options.RefreshCookie {
		t.Errorf("refresh cookie: user %v, pricing %v; want only user", user.Options.RefreshCookie, pricing.Options.RefreshCookie)
	}
	if pricing.Options.QueryAliases["interval"]["1h"] != "INTERVAL_1H" {
		t.Errorf("pricing interval aliases: %v", pricing.Options.QueryAliases)
	}
	for _, name := range []string{"portfolio", "alert"} {
		if definition, _ := service.Find(services.All, name); !reflect.DeepEqual(definition.Options, service.Options{}) {
			t.Errorf("%s: unexpected options %+v", name, definition.Options)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	good := service.Options{RefreshCookie: true, QueryAliases: map[string]map[string]string{"interval": {"1h": "INTERVAL_1H"}}}
	if err := good.Validate(); err != nil {
		t.Errorf("valid options refused: %v", err)
	}
	if err := (service.Options{}).Validate(); err != nil {
		t.Errorf("zero options refused: %v", err)
	}
	for name, aliases := range map[string]map[string]map[string]string{
		"empty parameter": {"": {"a": "B"}},
		"no aliases":      {"interval": {}},
		"empty alias":     {"interval": {"": "B"}},
		"empty target":    {"interval": {"a": ""}},
		"self alias":      {"interval": {"B": "B"}},
	} {
		if err := (service.Options{QueryAliases: aliases}).Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
