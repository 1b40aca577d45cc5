package service_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// TestGeneratedTableIsUsable checks every generated entry: a parseable
// OpenAPI v2 document with routes, and handlers that register.
func TestGeneratedTableIsUsable(t *testing.T) {
	if _, ok := service.Find(services.All, "user"); !ok {
		t.Fatal("the user service is missing from the generated table")
	}
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, definition := range services.All {
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
		if definition.Options.HTTPPort != 0 || definition.Options.RefreshCookie != nil {
			t.Errorf("%s: the generated entry carries options; only Join adds them", definition.Name)
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

// joinedDeclarations is the generated table with Declared, as the binary
// runs it.
func joinedDeclarations(t *testing.T) []service.Definition {
	t.Helper()
	joined, err := service.Join(services.All, service.Declared)
	if err != nil {
		t.Fatal(err)
	}
	return joined
}

// Every generated entry has a valid declaration and every declaration an
// entry (a typo would silently drop the options), and Join carries them
// over unchanged.
func TestJoinGivesEveryGeneratedServiceItsDeclaration(t *testing.T) {
	joined := joinedDeclarations(t)
	if len(joined) != len(services.All) || len(joined) != len(service.Declared) {
		t.Fatalf("%d generated, %d declared, %d joined", len(services.All), len(service.Declared), len(joined))
	}
	for _, definition := range joined {
		declared := service.Declared[definition.Name]
		if !reflect.DeepEqual(definition.Options, declared) {
			t.Errorf("%s: joined %+v, declared %+v", definition.Name, definition.Options, declared)
		}
		if definition.Options.HTTPPort == 0 || definition.Options.GRPCBackend == "" {
			t.Errorf("%s: no default port or backend declared", definition.Name)
		}
	}
}

// What each production service declares, so that a change of these is a
// visible decision rather than a side effect.
func TestDeclaredBehaviours(t *testing.T) {
	joined := joinedDeclarations(t)
	user, _ := service.Find(joined, "user")
	pricing, _ := service.Find(joined, "pricing")
	if user.Options.RefreshCookie == nil || pricing.Options.RefreshCookie != nil {
		t.Errorf("refresh cookie: user %v, pricing %v; want only user", user.Options.RefreshCookie, pricing.Options.RefreshCookie)
	}
	if pricing.Options.QueryAliases["interval"]["1h"] != "INTERVAL_1H" {
		t.Errorf("pricing interval aliases: %v", pricing.Options.QueryAliases)
	}
	if pricing.Options.GCPercent != 400 {
		t.Errorf("pricing: GC %d", pricing.Options.GCPercent)
	}
	for _, name := range []string{"user", "portfolio", "alert"} {
		definition, _ := service.Find(joined, name)
		options := definition.Options
		if options.GCPercent != 0 {
			t.Errorf("%s: declares pricing's GC target", name)
		}
		if name != "user" && (options.RefreshCookie != nil || options.QueryAliases != nil ||
			options.ParameterAliases != nil || options.SharedStreams != nil) {
			t.Errorf("%s: unexpected options %+v", name, options)
		}
	}
}

func TestJoinRefusesAMismatch(t *testing.T) {
	table := []service.Definition{{Name: "a"}, {Name: "b"}}
	cases := map[string]map[string]service.Options{
		"entry without declaration": {"a": {}},
		"declaration without entry": {"a": {}, "b": {}, "c": {}},
		"invalid declaration":       {"a": {}, "b": {HTTPPort: 70000}},
	}
	for name, declared := range cases {
		if _, err := service.Join(table, declared); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	joined, err := service.Join(table, map[string]service.Options{"a": {HTTPPort: 1}, "b": {}})
	if err != nil || joined[0].Options.HTTPPort != 1 || table[0].Options.HTTPPort != 0 {
		t.Errorf("join: %+v %v (the table must stay as it is)", joined, err)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := service.Options{HTTPPort: 80, GRPCBackend: "localhost:1", GCPercent: 200,
		RefreshCookie: &goodCookie, QueryAliases: map[string]map[string]string{"interval": {"1h": "INTERVAL_1H"}}}
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

var goodCookie = service.RefreshCookie{
	Path: "/svc/auth", TokenField: "refresh_token", LifetimeField: "expires_in",
	IssuedBy: []string{"/login", "/refresh"}, ReadBy: []string{"/refresh", "/logout"}, ClearedBy: []string{"/logout"},
}

func TestOptionsValidateRefusesBadDefaultsAndCookies(t *testing.T) {
	cookie := func(edit func(*service.RefreshCookie)) *service.RefreshCookie {
		changed := goodCookie
		edit(&changed)
		return &changed
	}
	for name, options := range map[string]service.Options{
		"port too large":         {HTTPPort: 65536},
		"negative port":          {HTTPPort: -1},
		"backend without port":   {GRPCBackend: "localhost"},
		"GC off":                 {GCPercent: -1},
		"relative cookie path":   {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.Path = "svc/auth" })},
		"cookie path attribute":  {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.Path = "/a;Domain=x" })},
		"JSON name as field":     {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.TokenField = "refreshToken" })},
		"no lifetime field":      {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.LifetimeField = "" })},
		"token is lifetime":      {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.LifetimeField = c.TokenField })},
		"nothing issues":         {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.IssuedBy = nil })},
		"route with a parameter": {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.ReadBy = []string{"/users/{id}"} })},
		"route twice":            {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.ClearedBy = []string{"/logout", "/logout"} })},
		"issues and clears":      {RefreshCookie: cookie(func(c *service.RefreshCookie) { c.ClearedBy = []string{"/login"} })},
	} {
		if err := options.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestJSONNameIsProtojsons(t *testing.T) {
	for protoName, want := range map[string]string{
		"refresh_token": "refreshToken", "open_24h": "open24h", "a__b": "aB", "x_1y": "x1y", "plain": "plain", "trailing_": "trailing",
	} {
		if got := service.JSONName(protoName); got != want {
			t.Errorf("%s: got %s, want %s", protoName, got, want)
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
	for _, definition := range joinedDeclarations(t) {
		routes := operations(t, definition)
		for _, stream := range definition.Options.SharedStreams {
			method, _, err := stream.Describe()
			if err != nil {
				t.Errorf("%s: %v", definition.Name, err)
				continue
			}
			want := string(method.Parent().Name()) + "_" + string(method.Name())
			if got := routes[stream.Path]["get"]; got != want {
				t.Errorf("%s: GET %s is operation %q in the OpenAPI document, want %q", definition.Name, stream.Path, got, want)
			}
		}
	}
	if pricing := service.Declared["pricing"]; len(pricing.SharedStreams) != 1 {
		t.Errorf("pricing shared streams: %+v", pricing.SharedStreams)
	}
}

// operations reads the operations of a generated OpenAPI document:
// path -> HTTP method -> operation id ("<Service>_<Method>").
func operations(t *testing.T, definition service.Definition) map[string]map[string]string {
	t.Helper()
	var document struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(definition.OpenAPI, &document); err != nil {
		t.Fatalf("%s: %v", definition.Name, err)
	}
	byPath := map[string]map[string]string{}
	for path, methods := range document.Paths {
		byPath[path] = map[string]string{}
		for method, operation := range methods {
			byPath[path][method] = operation.OperationID
		}
	}
	return byPath
}

// methodOf finds the gRPC method of an operation id among the services of
// the binary's protobuf registry.
func methodOf(operationID string) protoreflect.MethodDescriptor {
	serviceName, methodName, _ := strings.Cut(operationID, "_")
	var found protoreflect.MethodDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(file protoreflect.FileDescriptor) bool {
		if candidate := file.Services().ByName(protoreflect.Name(serviceName)); candidate != nil {
			found = candidate.Methods().ByName(protoreflect.Name(methodName))
		}
		return found == nil
	})
	return found
}

// The refresh cookie's routes must be POST routes of the service, whose
// messages have the declared fields: a token string in what each route
// reads or issues, and an integer lifetime in what it issues.
func TestDeclaredRefreshCookieRoutesAndFieldsExist(t *testing.T) {
	for _, definition := range joinedDeclarations(t) {
		cookie := definition.Options.RefreshCookie
		if cookie == nil {
			continue
		}
		routes := operations(t, definition)
		field := func(message protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
			return message.Fields().ByName(protoreflect.Name(name))
		}
		check := func(role string, paths []string, check func(protoreflect.MethodDescriptor) bool) {
			for _, path := range paths {
				method := methodOf(routes[path]["post"])
				if method == nil {
					t.Errorf("%s: %s route %s is not a POST route of the generated document", definition.Name, role, path)
				} else if !check(method) {
					t.Errorf("%s: %s route %s (%s) lacks the declared fields", definition.Name, role, path, method.FullName())
				}
			}
		}
		// The gateway derives the JSON names (service.JSONName) as protojson
		// does without a json_name option.
		defaultJSONName := func(f protoreflect.FieldDescriptor) bool {
			return f.JSONName() == service.JSONName(string(f.Name()))
		}
		isString := func(f protoreflect.FieldDescriptor) bool {
			return f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() && defaultJSONName(f)
		}
		check("issuing", cookie.IssuedBy, func(m protoreflect.MethodDescriptor) bool {
			lifetime := field(m.Output(), cookie.LifetimeField)
			return isString(field(m.Output(), cookie.TokenField)) && lifetime != nil && defaultJSONName(lifetime) &&
				(lifetime.Kind() == protoreflect.Int32Kind || lifetime.Kind() == protoreflect.Int64Kind)
		})
		check("reading", cookie.ReadBy, func(m protoreflect.MethodDescriptor) bool {
			return isString(field(m.Input(), cookie.TokenField))
		})
		check("clearing", cookie.ClearedBy, func(protoreflect.MethodDescriptor) bool { return true })
	}
}
