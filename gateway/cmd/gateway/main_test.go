package main

import (
	"testing"

	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
)

func TestRefreshCookieOptions(t *testing.T) {
	env := func(values map[string]string) func(string) string {
		return func(name string) string { return values[name] }
	}
	for _, other := range []string{"pricing", "portfolio", "alert"} {
		if opts, err := refreshCookieOptions(other, env(nil)); opts != nil || err != nil {
			t.Errorf("%s: got %v, %v; want no cookie", other, opts, err)
		}
	}
	opts, err := refreshCookieOptions("user", env(nil))
	if err != nil || opts == nil || opts.Path != gateway.DefaultRefreshCookiePath {
		t.Errorf("user default: %v, %v", opts, err)
	}
	opts, err = refreshCookieOptions("user", env(map[string]string{refreshCookiePathEnv: " /api/users/auth "}))
	if err != nil || opts == nil || opts.Path != "/api/users/auth" {
		t.Errorf("user custom: %v, %v", opts, err)
	}
	for _, bad := range []string{"user-service/auth", "/a;b", "/a b"} {
		if _, err := refreshCookieOptions("user", env(map[string]string{refreshCookiePathEnv: bad})); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
