package service

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Options are everything the gateway knows about one service beyond its
// generated routes: the defaults of its configuration and the behaviours it
// needs. The zero value adds nothing. They are declared per service in
// Declared (declared.go) and joined with the service's generated entry by
// Join, so the rest of the gateway acts on these fields and never on a
// service's name, path, message or field.
type Options struct {
	// HTTPPort and GRPCBackend are the defaults of --http-port and
	// --grpc-backend (internal/config); 0 and "" declare none, and the
	// setting is then required.
	HTTPPort    int
	GRPCBackend string
	// GCPercent is the garbage collector's target (GOGC) the sidecar runs
	// with unless the GOGC variable is set; 0 keeps Go's default (100). Only
	// worth declaring with a measurement behind it.
	GCPercent int
	// RefreshCookie lets browser clients keep a refresh token in an
	// HttpOnly cookie on the declared routes
	// (internal/gateway/refresh_cookie.go); nil disables it.
	RefreshCookie *RefreshCookie
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

// RefreshCookie declares the routes on which a browser client may keep a
// refresh token in an HttpOnly cookie instead of the JSON body. Every path
// is a POST route of http/<service>.yaml as the gateway receives it
// (/api/v1/..., after the ingress stripped the service prefix).
type RefreshCookie struct {
	// Path is the cookie's Path attribute: where the browser sees these
	// routes through the ingress. REFRESH_COOKIE_PATH replaces it.
	Path string
	// TokenField is the proto name of the string field that carries the
	// token in the requests and responses of these routes; requests may
	// spell it in its JSON (lowerCamelCase) name too, as protojson accepts
	// both, and responses carry the JSON name. The gateway derives that name
	// as protojson does, so the field must not set json_name.
	TokenField string
	// LifetimeField is the proto name of the integer field of the issuing
	// responses that gives the token's lifetime in seconds: the cookie's
	// Max-Age.
	LifetimeField string
	// IssuedBy are the routes whose successful (200) answer carries a new
	// token: it moves from the body into the cookie. A route that is also
	// in ReadBy clears the cookie when it answers 401, since the token it
	// sent is dead.
	IssuedBy []string
	// ReadBy are the routes whose request body gets the cookie's token
	// when it carries none of its own.
	ReadBy []string
	// ClearedBy are the routes that clear the cookie whatever the answer
	// (signing out). A route cannot both issue and clear.
	ClearedBy []string
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

// Validate reports a malformed declaration: a port out of range, a backend
// that is not host:port, a negative GC target, a refresh cookie without
// routes or with a path that cannot go into a Set-Cookie header, an empty
// parameter name, alias or target, an alias that maps to itself (a no-op
// that hides a typo), or a shared stream that does not resolve.
func (o Options) Validate() error {
	if o.HTTPPort < 0 || o.HTTPPort > 65535 {
		return fmt.Errorf("HTTP port %d is not a TCP port", o.HTTPPort)
	}
	if o.GRPCBackend != "" && !strings.Contains(o.GRPCBackend, ":") {
		return fmt.Errorf("gRPC backend %q is not host:port", o.GRPCBackend)
	}
	if o.GCPercent < 0 {
		return fmt.Errorf("GC percent %d: the collector cannot be switched off here", o.GCPercent)
	}
	if o.RefreshCookie != nil {
		if err := o.RefreshCookie.validate(); err != nil {
			return fmt.Errorf("refresh cookie: %w", err)
		}
	}
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
		if !isLiteralRoute(stream.Path) {
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

func (c *RefreshCookie) validate() error {
	if err := CheckCookiePath(c.Path); err != nil {
		return err
	}
	for _, field := range []string{c.TokenField, c.LifetimeField} {
		if !isProtoFieldName(field) {
			return fmt.Errorf("%q is not the proto name of a field", field)
		}
	}
	if c.TokenField == c.LifetimeField {
		return fmt.Errorf("the token and its lifetime are both %q", c.TokenField)
	}
	if len(c.IssuedBy) == 0 {
		return errors.New("no route issues the token")
	}
	for role, paths := range map[string][]string{"issued by": c.IssuedBy, "read by": c.ReadBy, "cleared by": c.ClearedBy} {
		seen := map[string]bool{}
		for _, path := range paths {
			if !isLiteralRoute(path) || seen[path] {
				return fmt.Errorf("%s %q: each route once, a literal path without parameters", role, path)
			}
			seen[path] = true
		}
	}
	for _, path := range c.ClearedBy {
		if slices.Contains(c.IssuedBy, path) {
			return fmt.Errorf("%q both issues and clears the cookie", path)
		}
	}
	return nil
}

// CheckCookiePath reports a cookie Path that is not an absolute URL path or
// that holds what a Set-Cookie header would read as an attribute separator,
// quote or whitespace (the value goes into the header verbatim).
func CheckCookiePath(path string) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, ";, \t\r\n\"") {
		return fmt.Errorf("cookie path %q must be an absolute URL path without ;, comma, quotes or whitespace", path)
	}
	return nil
}

// JSONName is the JSON name protojson gives a field without a json_name
// option: each underscore is dropped and a lower-case letter
// after it upper-cased ("refresh_token" -> "refreshToken").
func JSONName(protoName string) string {
	name := make([]byte, 0, len(protoName))
	afterUnderscore := false
	for _, c := range []byte(protoName) {
		switch {
		case c == '_':
			afterUnderscore = true
			continue
		case afterUnderscore && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		afterUnderscore = false
		name = append(name, c)
	}
	return string(name)
}

// isLiteralRoute reports whether path is an absolute route without path
// parameters, wildcards, verbs, query or fragment.
func isLiteralRoute(path string) bool {
	return strings.HasPrefix(path, "/") && !strings.ContainsAny(path, "{}*:?#")
}

// isProtoFieldName reports whether name looks like a proto field name:
// lower-case letters, digits and underscores, starting with a letter.
func isProtoFieldName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, c := range []byte(name) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}
