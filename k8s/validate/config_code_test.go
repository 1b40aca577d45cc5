package validate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The expectedEnv table (which TestContainerEnvNames holds every container
// to) is checked here against the configuration code itself, so that a
// manifest can neither set a variable no code reads nor miss one the code
// requires. C++ services read the environment only through
// services/common/config.h's EnvReader; the gateway names its variables in
// internal/config and cmd/gateway.

var (
	// EnvReader calls with a literal name. The first three fail without it.
	envReaderCall = regexp.MustCompile(`\b(RequiredString|RequiredInt|FileContents|String|Int|Seconds)\(\s*"([A-Z][A-Z0-9_]*)"`)
	// Shared configuration structs: `Type::FromEnv(`.
	fromEnvCall = regexp.MustCompile(`\b([A-Z][A-Za-z]*)::FromEnv\(`)
	// Gateway variable names: upper-case string literals.
	goEnvName = regexp.MustCompile(`"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"`)
)

// envUse is what a piece of code reads: every name, and those it requires.
type envUse struct {
	read     map[string]bool
	required map[string]bool
}

func newEnvUse() envUse {
	return envUse{read: map[string]bool{}, required: map[string]bool{}}
}

func (u envUse) addCalls(source string) {
	for _, match := range envReaderCall.FindAllStringSubmatch(source, -1) {
		u.read[match[2]] = true
		switch match[1] {
		case "RequiredString", "RequiredInt", "FileContents":
			u.required[match[2]] = true
		}
	}
}

func (u envUse) merge(other envUse) {
	for name := range other.read {
		u.read[name] = true
	}
	for name := range other.required {
		u.required[name] = true
	}
}

const repoRoot = "../.."

// commonConfigStructs maps each `Type::FromEnv` defined in
// services/common/config.cc to what its body reads.
func commonConfigStructs(t *testing.T) map[string]envUse {
	t.Helper()
	source, err := os.ReadFile(filepath.Join(repoRoot, "services/common/config.cc"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(source)
	definitions := fromEnvCall.FindAllStringSubmatchIndex(text, -1)
	structs := map[string]envUse{}
	for i, match := range definitions {
		end := len(text)
		if i+1 < len(definitions) {
			end = definitions[i+1][0]
		}
		use := newEnvUse()
		use.addCalls(text[match[1]:end])
		structs[text[match[2]:match[3]]] = use
	}
	if len(structs) == 0 {
		t.Fatal("no Type::FromEnv found in services/common/config.cc")
	}
	return structs
}

// serviceEnvUse collects what a service's non-test sources read, directly
// and through the shared structs they call FromEnv on.
func serviceEnvUse(t *testing.T, dir string, structs map[string]envUse) envUse {
	t.Helper()
	use := newEnvUse()
	err := filepath.WalkDir(dir, func(path string, entry os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := entry.Name()
		if entry.IsDir() {
			if name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_test.cc") || !(strings.HasSuffix(name, ".cc") ||
			strings.HasSuffix(name, ".cpp") || strings.HasSuffix(name, ".h")) {
			return nil
		}
		source, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		use.addCalls(string(source))
		for _, call := range fromEnvCall.FindAllStringSubmatch(string(source), -1) {
			shared, ok := structs[call[1]]
			if !ok {
				t.Errorf("%s calls %s::FromEnv, which services/common/config.cc does not define", path, call[1])
				continue
			}
			use.merge(shared)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return use
}

func TestExpectedEnvMatchesConfigurationCode(t *testing.T) {
	structs := commonConfigStructs(t)
	// Container row -> service source directory. Rows of services that do
	// not exist yet are checked once their code lands.
	rows := map[string]string{
		"user-service":      "services/user-service",
		"pricing-service":   "services/pricing-service",
		"backfill":          "services/pricing-service",
		"rollup":            "services/pricing-service",
		"portfolio-service": "services/portfolio-service",
		"alert-service":     "services/alert-service",
	}
	checked := 0
	for row, dir := range rows {
		path := filepath.Join(repoRoot, dir)
		if _, err := os.Stat(path); os.IsNotExist(err) {
			continue
		}
		checked++
		use := serviceEnvUse(t, path, structs)
		gets := map[string]bool{}
		for _, name := range expectedEnv[row] {
			gets[name] = true
			if !use.read[name] {
				t.Errorf("container %s gets %s, which %s never reads", row, name, dir)
			}
		}
		for name := range use.required {
			if !gets[name] {
				t.Errorf("%s requires %s, but container %s does not get it", dir, name, row)
			}
		}
	}
	if checked < 4 {
		t.Errorf("checked %d service rows against code, want at least user, pricing and its two jobs", checked)
	}

	gatewayNames := map[string]bool{}
	for _, file := range []string{"gateway/internal/config/config.go", "gateway/cmd/gateway/main.go"} {
		source, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, match := range goEnvName.FindAllStringSubmatch(string(source), -1) {
			gatewayNames[match[1]] = true
		}
	}
	for _, name := range expectedEnv["gateway"] {
		if !gatewayNames[name] {
			t.Errorf("the gateway container gets %s, which the gateway never reads", name)
		}
	}
}

// The parser itself: a stray variable must be caught.
func TestEnvReaderCallParsing(t *testing.T) {
	use := newEnvUse()
	use.addCalls(`env.RequiredString("DB_HOST"); env.Seconds(
      "ACCESS_TOKEN_TTL_SECONDS", seconds(900)); env.FileContents("JWT_PRIVATE_KEY_FILE");`)
	for _, name := range []string{"DB_HOST", "ACCESS_TOKEN_TTL_SECONDS", "JWT_PRIVATE_KEY_FILE"} {
		if !use.read[name] {
			t.Errorf("%s not found", name)
		}
	}
	if use.required["ACCESS_TOKEN_TTL_SECONDS"] || !use.required["DB_HOST"] || !use.required["JWT_PRIVATE_KEY_FILE"] {
		t.Errorf("required set wrong: %v", use.required)
	}
}
