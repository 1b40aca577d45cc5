package gateway_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/gen/testservices"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// genericPackages are the directories, relative to this one, whose code must
// not know any service: what is particular to one lives in its declaration
// (internal/service/declared.go).
var genericPackages = []string{".", "../config", "../backend", "../wirejson", "../../cmd/gateway"}

const modulePath = "github.com/cryptotracker/cryptotracker/gateway"

// serviceVocabulary is what would name a service in code: the services'
// names, their proto packages and full names, the names of their messages,
// enums, services and methods that consist of several words, their field
// names of several words in both spellings, and their routes.
type serviceVocabulary struct {
	services    map[string]bool // lower case
	packages    []string        // "pkg.v1."
	typeNames   []string        // CamelCase, several words
	fieldNames  map[string]bool // proto and JSON names with several words
	routes      []string
	description map[string]string // why a term is in the vocabulary
}

func newServiceVocabulary(t *testing.T) *serviceVocabulary {
	t.Helper()
	v := &serviceVocabulary{services: map[string]bool{}, fieldNames: map[string]bool{}, description: map[string]string{}}
	for _, table := range [][]service.Definition{services.All, testservices.All} {
		for _, definition := range table {
			v.services[strings.ToLower(definition.Name)] = true
			var document struct {
				Paths map[string]json.RawMessage `json:"paths"`
			}
			if err := json.Unmarshal(definition.OpenAPI, &document); err != nil {
				t.Fatal(err)
			}
			for path := range document.Paths {
				if literal, _, _ := strings.Cut(path, "{"); literal != "/" {
					v.routes = append(v.routes, literal)
				}
			}
		}
	}
	protoregistry.GlobalFiles.RangeFiles(func(file protoreflect.FileDescriptor) bool {
		pkg := string(file.Package())
		if strings.HasPrefix(pkg, "google.") || strings.HasPrefix(pkg, "grpc.") {
			return true
		}
		v.packages = append(v.packages, pkg+".")
		for i := 0; i < file.Services().Len(); i++ {
			svc := file.Services().Get(i)
			v.addType(string(svc.Name()))
			for j := 0; j < svc.Methods().Len(); j++ {
				v.addType(string(svc.Methods().Get(j).Name()))
			}
		}
		for i := 0; i < file.Enums().Len(); i++ {
			v.addType(string(file.Enums().Get(i).Name()))
		}
		v.addMessages(file.Messages())
		return true
	})
	if len(v.packages) == 0 || len(v.typeNames) == 0 || len(v.fieldNames) == 0 {
		t.Fatal("no service contract is linked into this test")
	}
	return v
}

func (v *serviceVocabulary) addMessages(messages protoreflect.MessageDescriptors) {
	for i := 0; i < messages.Len(); i++ {
		message := messages.Get(i)
		v.addType(string(message.Name()))
		for j := 0; j < message.Fields().Len(); j++ {
			field := message.Fields().Get(j)
			if name := string(field.Name()); strings.Contains(name, "_") {
				v.fieldNames[name] = true
				v.fieldNames[field.JSONName()] = true
			}
		}
		v.addMessages(message.Messages())
	}
}

// addType keeps names of two words or more: one word (Price, Tick) is too
// common to attribute to a service.
func (v *serviceVocabulary) addType(name string) {
	capitals := 0
	for _, r := range name {
		if unicode.IsUpper(r) {
			capitals++
		}
	}
	if capitals >= 2 {
		v.typeNames = append(v.typeNames, name)
	}
}

// literalProblem says what in a string literal names a service, or "".
func (v *serviceVocabulary) literalProblem(text string) string {
	if strings.Contains(text, "/api/v1/") {
		return "a versioned API route"
	}
	for _, route := range v.routes {
		if strings.Contains(text, route) {
			return "the route " + route
		}
	}
	for _, pkg := range v.packages {
		if strings.Contains(text, pkg) {
			return "the proto package " + strings.TrimSuffix(pkg, ".")
		}
	}
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) {
		if v.services[strings.ToLower(word)] {
			return "the service " + word
		}
		if v.fieldNames[word] {
			return "the field " + word
		}
	}
	return v.identifierProblem(text)
}

// identifierProblem says what in an identifier (or literal) names a
// service's type, method or the service, or "".
func (v *serviceVocabulary) identifierProblem(name string) string {
	lower := strings.ToLower(name)
	for _, typeName := range v.typeNames {
		if strings.Contains(lower, strings.ToLower(typeName)) {
			return "the contract name " + typeName
		}
	}
	for _, word := range camelCaseWords(name) {
		// A generated package's name is the service's and its version.
		word = strings.ToLower(strings.TrimRight(word, "0123456789"))
		if v.services[word] || v.services[strings.TrimSuffix(word, "v")] {
			return "the service " + word
		}
	}
	return ""
}

// camelCaseWords splits fooBarBaz into foo, Bar, Baz.
func camelCaseWords(name string) []string {
	var words []string
	start := 0
	for i, r := range name {
		if i > start && unicode.IsUpper(r) {
			words = append(words, name[start:i])
			start = i
		}
	}
	return append(words, name[start:])
}

// The generic layer names no service: it imports no generated contract
// (only the generated table of all of them) and not the candle codec, and none of its string literals or identifiers
// spells a service's name, proto package, route, multi-word type, method or
// field. Per-service facts belong in service.Declared.
func TestGenericLayerNamesNoService(t *testing.T) {
	vocabulary := newServiceVocabulary(t)
	checked := 0
	for _, dir := range genericPackages {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			checked++
			fileSet := token.NewFileSet()
			file, err := parser.ParseFile(fileSet, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, spec := range file.Imports {
				imported, _ := strconv.Unquote(spec.Path.Value)
				// The generated table (gen/services) lists every service and
				// names none; the contracts' packages are particular ones.
				contract := strings.HasPrefix(imported, modulePath+"/gen/") && imported != modulePath+"/gen/services"
				if contract {
					t.Errorf("%s imports %s, which belongs to particular services", fileSet.Position(spec.Pos()), imported)
				}
			}
			ast.Inspect(file, func(node ast.Node) bool {
				switch node := node.(type) {
				case *ast.ImportSpec:
					return false
				case *ast.BasicLit:
					if node.Kind != token.STRING {
						return true
					}
					text, err := strconv.Unquote(node.Value)
					if err != nil {
						t.Fatalf("%s: %v", fileSet.Position(node.Pos()), err)
					}
					if problem := vocabulary.literalProblem(text); problem != "" {
						t.Errorf("%s: string %s names %s", fileSet.Position(node.Pos()), node.Value, problem)
					}
				case *ast.Ident:
					if problem := vocabulary.identifierProblem(node.Name); problem != "" {
						t.Errorf("%s: identifier %s names %s", fileSet.Position(node.Pos()), node.Name, problem)
					}
				}
				return true
			})
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files checked: the package list is stale", checked)
	}
}

// The check finds what it is meant to find.
func TestServiceVocabularyCatchesServiceNames(t *testing.T) {
	vocabulary := newServiceVocabulary(t)
	for _, literal := range []string{"/api/v1/auth/login", "pricing", "user-service", "refresh_token", "refreshToken",
		"/cryptotracker.pricing.v1.PricingService/StreamPrices", "GetCandlesResponse", "start_time"} {
		if vocabulary.literalProblem(literal) == "" {
			t.Errorf("%q passed", literal)
		}
	}
	for _, identifier := range []string{"pricingv1", "userDefinition", "appendGetCandlesResponse", "WatchTicks"} {
		if vocabulary.identifierProblem(identifier) == "" {
			t.Errorf("identifier %s passed", identifier)
		}
	}
	for _, literal := range []string{"/api/openapi.json", "/healthz", "request_id", "x-request-id", "service", "ct_refresh"} {
		if problem := vocabulary.literalProblem(literal); problem != "" {
			t.Errorf("%q refused: %s", literal, problem)
		}
	}
}
