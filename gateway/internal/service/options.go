package service

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Options are the gateway behaviours one service needs beyond its generated
// routes. The zero value adds nothing. They are declared per service in
// Declared and carried by the service's entry of the generated table, so the
// HTTP layer switches on these fields and never on a service's name.
type Options struct {
	// RefreshCookie lets browser clients keep the refresh token in an
	// HttpOnly cookie on the /api/v1/auth/{login,refresh,logout} routes
	// (internal/gateway/refresh_cookie.go). The cookie's Path comes from the
	// gateway's configuration.
	RefreshCookie bool
	// QueryAliases rewrites query values before routing: parameter name ->
	// accepted alias -> the value the contract takes. grpc-gateway decodes an
	// enum query parameter only from its value name (INTERVAL_1H), so this
	// is how a shorter spelling (1h) is accepted too. Matching is exact and
	// case-sensitive; other values pass through untouched.
	QueryAliases map[string]map[string]string
	// ParameterAliases accepts other names for query parameters: accepted
	// name -> the name the contract uses (grpc-gateway takes a field's
	// proto or JSON name only). A request giving both names of one
	// parameter is refused (400) rather than resolved by a rule the caller
	// cannot see.
	ParameterAliases map[string]string
	// SharedStreams are server-streaming routes whose HTTP subscribers share
	// upstream calls (internal/gateway/shared_stream.go): subscribers with
	// the same request get the lines of one gRPC stream, encoded once, and
	// a slow subscriber skips superseded messages instead of queueing them.
	//
	// Only declare a method whose messages do not depend on the caller: the
	// shared call carries no subscriber's metadata (no Authorization, no
	// request id), and every subscriber sees what it returns.
	SharedStreams []SharedStream
}

// SharedStream declares one shared server-streaming route.
type SharedStream struct {
	// Path is the GET route of the method in http/<service>.yaml. Routes
	// with path parameters are not supported: the request comes from the
	// query string alone.
	Path string
	// Method is the full gRPC method name, "/package.Service/Method", of a
	// server-streaming (not client-streaming) method.
	Method string
	// ConflationKey is the dotted path of a string field of the response
	// message (through singular message fields), e.g. "price.symbol".
	// Messages with the same value replace each other: a subscriber that
	// falls behind gets only the latest of each, and one joining a running
	// stream first gets the latest of every value seen so far (the current
	// state). Messages without the field set (an unset oneof member such
	// as a heartbeat) share the empty key: they are conflated with each
	// other but never replayed to a joining subscriber. The values must
	// form a small, bounded set (symbols, not timestamps): a shared call
	// keeps the latest message of each for as long as it runs.
	ConflationKey string
}

// Describe resolves the declaration against the protobuf registry of the
// binary: the method and the fields of ConflationKey, outermost first.
func (s SharedStream) Describe() (protoreflect.MethodDescriptor, []protoreflect.FieldDescriptor, error) {
	full, ok := strings.CutPrefix(s.Method, "/")
	serviceName, methodName, found := strings.Cut(full, "/")
	if !ok || !found || methodName == "" || strings.Contains(methodName, "/") {
		return nil, nil, fmt.Errorf("shared stream %q: method %q is not /package.Service/Method", s.Path, s.Method)
	}
	descriptor, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(serviceName))
	if err != nil {
		return nil, nil, fmt.Errorf("shared stream %q: service of %s: %w", s.Path, s.Method, err)
	}
	serviceDescriptor, ok := descriptor.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, nil, fmt.Errorf("shared stream %q: %s is not a service", s.Path, serviceName)
	}
	method := serviceDescriptor.Methods().ByName(protoreflect.Name(methodName))
	if method == nil {
		return nil, nil, fmt.Errorf("shared stream %q: no method %s", s.Path, s.Method)
	}
	if !method.IsStreamingServer() || method.IsStreamingClient() {
		return nil, nil, fmt.Errorf("shared stream %q: %s is not a server-streaming method", s.Path, s.Method)
	}
	if s.ConflationKey == "" {
		return nil, nil, fmt.Errorf("shared stream %q: a conflation key is required", s.Path)
	}
	var key []protoreflect.FieldDescriptor
	message := method.Output()
	names := strings.Split(s.ConflationKey, ".")
	for i, name := range names {
		field := message.Fields().ByName(protoreflect.Name(name))
		if field == nil || field.Cardinality() == protoreflect.Repeated {
			return nil, nil, fmt.Errorf("shared stream %q: conflation key %q: %s has no singular field %q",
				s.Path, s.ConflationKey, message.FullName(), name)
		}
		key = append(key, field)
		if i == len(names)-1 {
			if field.Kind() != protoreflect.StringKind {
				return nil, nil, fmt.Errorf("shared stream %q: conflation key %q is not a string field", s.Path, s.ConflationKey)
			}
		} else if message = field.Message(); message == nil {
			return nil, nil, fmt.Errorf("shared stream %q: conflation key %q: %s is not a message field", s.Path, s.ConflationKey, name)
		}
	}
	return method, key, nil
}

// Validate reports a malformed declaration: an empty parameter name, alias
// or target, or an alias that maps to itself (a no-op that hides a typo).
func (o Options) Validate() error {
	for _, parameter := range sortedKeys(o.QueryAliases) {
		aliases := o.QueryAliases[parameter]
		if parameter == "" || len(aliases) == 0 {
			return fmt.Errorf("query aliases: parameter %q needs a name and at least one alias", parameter)
		}
		for _, alias := range sortedKeys(aliases) {
			target := aliases[alias]
			if alias == "" || target == "" || alias == target {
				return fmt.Errorf("query aliases of %q: %q -> %q is not an alias", parameter, alias, target)
			}
		}
	}
	for _, alias := range sortedKeys(o.ParameterAliases) {
		target := o.ParameterAliases[alias]
		if alias == "" || target == "" || alias == target {
			return fmt.Errorf("parameter aliases: %q -> %q is not an alias", alias, target)
		}
		if _, chained := o.ParameterAliases[target]; chained {
			return fmt.Errorf("parameter aliases: %q -> %q names another alias", alias, target)
		}
	}
	paths := map[string]bool{}
	for _, stream := range o.SharedStreams {
		if !strings.HasPrefix(stream.Path, "/") || strings.ContainsAny(stream.Path, "{}*:?#") {
			return fmt.Errorf("shared stream %q: the path must be a literal route without parameters", stream.Path)
		}
		if paths[stream.Path] {
			return fmt.Errorf("shared stream %q: declared twice", stream.Path)
		}
		paths[stream.Path] = true
		if _, _, err := stream.Describe(); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// Declared holds the Options of the services that need any, keyed by the
// name of their generated table entry (http/<name>.yaml). generate.sh writes
// `Options: service.Declared["<name>"]` into every entry, so a service that
// is not listed here gets the zero Options.
var Declared = map[string]Options{
	// The only service with auth routes.
	"user": {RefreshCookie: true},
	"pricing": {
		// Short interval names as people and exchanges write them. Only the
		// exact lower-case forms: "1M" is a month on exchanges, not a minute.
		QueryAliases: map[string]map[string]string{
			"interval": {
				"1m":  "INTERVAL_1M",
				"5m":  "INTERVAL_5M",
				"15m": "INTERVAL_15M",
				"1h":  "INTERVAL_1H",
				"4h":  "INTERVAL_4H",
				"1d":  "INTERVAL_1D",
			},
		},
		// The candle range as the API is usually written (?start=&end=).
		ParameterAliases: map[string]string{"start": "start_time", "end": "end_time"},
		// StreamPrices is public and its messages depend only on the
		// request (symbols, quote), never on the caller, so subscribers
		// asking the same can share one upstream call. Prices conflate per
		// symbol; heartbeats (no price) among themselves, never replayed.
		SharedStreams: []SharedStream{{
			Path:          "/api/v1/prices/stream",
			Method:        "/cryptotracker.pricing.v1.PricingService/StreamPrices",
			ConflationKey: "price.symbol",
		}},
	},
}
