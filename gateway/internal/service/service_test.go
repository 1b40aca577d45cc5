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
	if err := (service.Options{ParameterAliases: map[string]string{"start": "start_time"}}).Validate(); err != nil {
		t.Errorf("valid parameter alias refused: %v", err)
	}
	for name, aliases := range map[string]map[string]string{
		"empty alias":  {"": "start_time"},
		"empty target": {"start": ""},
		"self alias":   {"start": "start"},
		"chained":      {"from": "start", "start": "start_time"},
	} {
		if err := (service.Options{ParameterAliases: aliases}).Validate(); err == nil {
			t.Errorf("parameter aliases, %s: accepted", name)
		}
	}
}

func TestSharedStreamsValidate(t *testing.T) {
	good := service.SharedStream{
		Path:          "/api/v1/prices/stream",
		Method:        "/cryptotracker.pricing.v1.PricingService/StreamPrices",
		ConflationKey: "price.symbol",
	}
	if err := (service.Options{SharedStreams: []service.SharedStream{good}}).Validate(); err != nil {
		t.Errorf("valid shared stream refused: %v", err)
	}
	method, key, err := good.Describe()
	if err != nil || method.FullName() != "cryptotracker.pricing.v1.PricingService.StreamPrices" || len(key) != 2 {
		t.Errorf("describe: %v %v %v", method, key, err)
	}
	change := func(edit func(*service.SharedStream)) []service.SharedStream {
		changed := good
		edit(&changed)
		return []service.SharedStream{changed}
	}
	for name, streams := range map[string][]service.SharedStream{
		"relative path":      change(func(s *service.SharedStream) { s.Path = "api/v1/prices/stream" }),
		"path parameter":     change(func(s *service.SharedStream) { s.Path = "/api/v1/{symbol}/stream" }),
		"declared twice":     {good, good},
		"method without /":   change(func(s *service.SharedStream) { s.Method = "cryptotracker.pricing.v1.PricingService/StreamPrices" }),
		"unknown service":    change(func(s *service.SharedStream) { s.Method = "/cryptotracker.pricing.v1.Nope/StreamPrices" }),
		"unknown method":     change(func(s *service.SharedStream) { s.Method = "/cryptotracker.pricing.v1.PricingService/Nope" }),
		"unary method":       change(func(s *service.SharedStream) { s.Method = "/cryptotracker.pricing.v1.PricingService/GetPrices" }),
		"no key":             change(func(s *service.SharedStream) { s.ConflationKey = "" }),
		"unknown key field":  change(func(s *service.SharedStream) { s.ConflationKey = "price.nope" }),
		"key not a string":   change(func(s *service.SharedStream) { s.ConflationKey = "price.stale" }),
		"key is a message":   change(func(s *service.SharedStream) { s.ConflationKey = "price" }),
		"key through scalar": change(func(s *service.SharedStream) { s.ConflationKey = "price.symbol.x" }),
	} {
		if err := (service.Options{SharedStreams: streams}).Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A shared stream must be a GET route of its service's generated routes,
// or it would serve a path the contract does not have.
func TestDeclaredSharedStreamsAreGeneratedGETRoutes(t *testing.T) {
	for name, options := range service.Declared {
		definition, _ := service.Find(services.All, name)
		var document struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(definition.OpenAPI, &document); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, stream := range options.SharedStreams {
			method, _, err := stream.Describe()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			want := string(method.Parent().Name()) + "_" + string(method.Name())
			if got := document.Paths[stream.Path]["get"].OperationID; got != want {
				t.Errorf("%s: GET %s is operation %q in the OpenAPI document, want %q", name, stream.Path, got, want)
			}
		}
	}
	if pricing, _ := service.Find(services.All, "pricing"); len(pricing.Options.SharedStreams) != 1 {
		t.Errorf("pricing shared streams: %+v", pricing.Options.SharedStreams)
	}
}
