package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"

	userv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/user/v1"
	gatewaytestv1 "github.com/cryptotracker/cryptotracker/gateway/gen/gatewaytest/v1"
	"github.com/cryptotracker/cryptotracker/gateway/gen/testservices"
	"github.com/cryptotracker/cryptotracker/gateway/internal/backend"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// These tests drive the per-service options through gateway.New with
// definitions built here, to show the behaviour follows the options and not
// the service's name.

// tickerDefinition is the generated entry of the test-only service
// (gen/testservices) under name, with options as its declaration.
func tickerDefinition(name string, options service.Options) service.Definition {
	definition, _ := service.Find(testservices.All, "gatewaytest")
	definition.Name = name
	definition.Options = options
	return definition
}

func TestQueryAliasesApplyToAnyServiceThatDeclaresThem(t *testing.T) {
	address, _ := startBackend(t, func(s *grpc.Server) {
		gatewaytestv1.RegisterTickerServiceServer(s, &fakeTicker{proceed: make(chan struct{})})
	})
	// Named "pricing" yet without options: the name alone changes nothing.
	plain := startGateway(t, tickerDefinition("pricing", service.Options{}), address)
	aliased := startGateway(t, tickerDefinition("gatewaytest", service.Options{
		QueryAliases: map[string]map[string]string{"count": {"one": "1"}},
	}), address)

	if reply, body := fetch(t, plain.URL+"/api/v1/ticks/stream?count=one"); reply.StatusCode != http.StatusBadRequest {
		t.Errorf("without the option: %d %s", reply.StatusCode, body)
	}
	reply, body := fetch(t, aliased.URL+"/api/v1/ticks/stream?count=one")
	if status := reply.StatusCode; status != http.StatusOK || strings.Count(body, `"result"`) != 1 {
		t.Errorf("with the option: %d %s", status, body)
	}
}

func TestRefreshCookieFollowsTheOption(t *testing.T) {
	address, _ := startBackend(t, func(s *grpc.Server) { userv1.RegisterUserServiceServer(s, &tokenUserService{}) })
	withoutCookie := userDefinition(t)
	withoutCookie.Options = service.Options{}
	server := startGateway(t, withoutCookie, address)

	reply := postJSON(t, server.URL+"/api/v1/auth/login", `{"email":"a@example.com","password":"correct horse 1"}`,
		map[string]string{gateway.RefreshCookieHeader: optIn})
	if reply.status != http.StatusOK || reply.json(t)["refreshToken"] != issuedToken {
		t.Errorf("got %d %s", reply.status, reply.body)
	}
	if cookies := reply.header.Values("Set-Cookie"); len(cookies) != 0 {
		t.Errorf("cookie set although the option is off: %v", cookies)
	}
}

func TestNewRefusesUnusableOptions(t *testing.T) {
	conn, err := backend.Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	cases := map[string]gateway.Options{
		"cookie path override with a separator": {
			Service:           userDefinition(t),
			RefreshCookiePath: "/auth;Domain=example.com",
		},
		"cookie without routes": {
			Service: tickerDefinition("x", service.Options{RefreshCookie: &service.RefreshCookie{
				Path: "/auth", TokenField: "token", LifetimeField: "lifetime"}}),
		},
		"alias to nothing": {
			Service: tickerDefinition("x", service.Options{QueryAliases: map[string]map[string]string{"count": {"one": ""}}}),
		},
	}
	for name, opts := range cases {
		opts.Backend = conn
		opts.MaxBodyBytes = testMaxBodyBytes
		if _, err := gateway.New(context.Background(), opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The cookie does on each route what the declaration says, and the Path
// comes from it unless the gateway is given another.
func TestRefreshCookieFollowsTheDeclaredRoutesAndPath(t *testing.T) {
	fake := &tokenUserService{}
	address, _ := startBackend(t, func(s *grpc.Server) { userv1.RegisterUserServiceServer(s, fake) })
	definition := userDefinition(t)
	declared := *definition.Options.RefreshCookie
	declared.Path = "/elsewhere/auth/"
	declared.IssuedBy = []string{"/api/v1/auth/login"} // refresh no longer issues
	definition.Options.RefreshCookie = &declared
	server := startGateway(t, definition, address)

	optedIn := map[string]string{gateway.RefreshCookieHeader: optIn}
	login := postJSON(t, server.URL+"/api/v1/auth/login", `{"email":"a@example.com","password":"correct horse 1"}`, optedIn)
	if cookie := refreshCookieOf(t, login); cookie.Value != issuedToken || cookie.Path != "/elsewhere/auth" {
		t.Errorf("login cookie %q with Path %q", cookie.Value, cookie.Path)
	}
	refresh := postJSON(t, server.URL+"/api/v1/auth/refresh", `{}`,
		map[string]string{gateway.RefreshCookieHeader: optIn, "Cookie": gateway.RefreshCookieName + "=" + issuedToken})
	if refresh.status != http.StatusOK || refresh.json(t)["refreshToken"] != rotatedToken || len(refresh.header.Values("Set-Cookie")) != 0 {
		t.Errorf("refresh, which only reads now: %d %s %v", refresh.status, refresh.body, refresh.header.Values("Set-Cookie"))
	}
	if got, _ := fake.seen(); len(got) != 1 || got[0] != issuedToken {
		t.Errorf("refresh tokens seen by the backend: %q", got)
	}

	overridden := startGatewayWith(t, gateway.Options{Service: userDefinition(t), RefreshCookiePath: "/override"}, address)
	login = postJSON(t, overridden.URL+"/api/v1/auth/login", `{"email":"a@example.com","password":"correct horse 1"}`, optedIn)
	if cookie := refreshCookieOf(t, login); cookie.Path != "/override" {
		t.Errorf("cookie Path %q, want the override", cookie.Path)
	}
}
