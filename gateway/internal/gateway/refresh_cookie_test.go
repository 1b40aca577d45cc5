package gateway_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	userv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/user/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/gateway"
)

const (
	issuedToken  = "Zm9vYmFyLXJlZnJlc2gtdG9rZW4tZm9yLXRlc3RzXzEyMw" // base64url, like the real ones
	rotatedToken = "cm90YXRlZC1yZWZyZXNoLXRva2VuLWZvci10ZXN0c18xMjM"
	cookiePath   = "/user-service/api/v1/auth"
	optIn        = "1"
)

// tokenUserService issues and rotates refresh tokens and records which
// token each Refresh and Logout call carried.
type tokenUserService struct {
	userv1.UnimplementedUserServiceServer

	mu            sync.Mutex
	refreshTokens []string
	logoutTokens  []string
}

func (s *tokenUserService) Login(_ context.Context, req *userv1.LoginRequest) (*userv1.TokenResponse, error) {
	if req.GetPassword() != "correct horse 1" {
		return nil, status.Error(codes.Unauthenticated, "invalid email or password")
	}
	return &userv1.TokenResponse{AccessToken: "a.b.c", RefreshToken: issuedToken, ExpiresIn: 900,
		TokenType: "Bearer", RefreshExpiresIn: 2592000}, nil
}

func (s *tokenUserService) Refresh(_ context.Context, req *userv1.RefreshRequest) (*userv1.TokenResponse, error) {
	s.mu.Lock()
	s.refreshTokens = append(s.refreshTokens, req.GetRefreshToken())
	s.mu.Unlock()
	switch req.GetRefreshToken() {
	case "":
		return nil, status.Error(codes.InvalidArgument, "refresh_token is required")
	case issuedToken:
		return &userv1.TokenResponse{AccessToken: "d.e.f", RefreshToken: rotatedToken, ExpiresIn: 900,
			TokenType: "Bearer", RefreshExpiresIn: 1000}, nil
	default:
		return nil, status.Error(codes.Unauthenticated, "refresh token is invalid or expired")
	}
}

func (s *tokenUserService) Logout(_ context.Context, req *userv1.LogoutRequest) (*userv1.LogoutResponse, error) {
	s.mu.Lock()
	s.logoutTokens = append(s.logoutTokens, req.GetRefreshToken())
	s.mu.Unlock()
	return &userv1.LogoutResponse{}, nil
}

func (s *tokenUserService) seen() (refresh, logout []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refreshTokens...), append([]string(nil), s.logoutTokens...)
}

// startCookieGateway serves the user service's declaration in front of a
// tokenUserService; cookiePathOverride is gateway.Options.RefreshCookiePath.
func startCookieGateway(t *testing.T, cookiePathOverride string) (*tokenUserService, string) {
	t.Helper()
	fake := &tokenUserService{}
	address, _ := startBackend(t, func(s *grpc.Server) { userv1.RegisterUserServiceServer(s, fake) })
	server := startGatewayWith(t, gateway.Options{Service: userDefinition(t), RefreshCookiePath: cookiePathOverride}, address)
	return fake, server.URL
}

// refreshCookieOf returns the single ct_refresh Set-Cookie of a response.
func refreshCookieOf(t *testing.T, r response) *http.Cookie {
	t.Helper()
	var found []*http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == gateway.RefreshCookieName {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s cookie, got %d (headers %v)", gateway.RefreshCookieName, len(found), r.header)
	}
	return found[0]
}

func expectSecureAttributes(t *testing.T, c *http.Cookie) {
	t.Helper()
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != cookiePath {
		t.Errorf("cookie attributes: HttpOnly=%v Secure=%v SameSite=%v Path=%q (raw %q)",
			c.HttpOnly, c.Secure, c.SameSite, c.Path, c.Raw)
	}
}

func TestLoginWithOptInMovesRefreshTokenIntoCookie(t *testing.T) {
	_, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/login", `{"email":"a@example.com","password":"correct horse 1"}`,
		map[string]string{gateway.RefreshCookieHeader: optIn})
	if reply.status != http.StatusOK {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	body := reply.json(t)
	if _, present := body["refreshToken"]; present {
		t.Errorf("refresh token still in the body: %s", reply.body)
	}
	if body["accessToken"] != "a.b.c" || body["expiresIn"] != float64(900) || body["refreshExpiresIn"] != float64(2592000) {
		t.Errorf("other fields changed: %s", reply.body)
	}
	cookie := refreshCookieOf(t, reply)
	if cookie.Value != issuedToken || cookie.MaxAge != 2592000 {
		t.Errorf("cookie value %q max-age %d", cookie.Value, cookie.MaxAge)
	}
	expectSecureAttributes(t, cookie)
	if got := reply.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if got := reply.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
}

func TestLoginWithoutOptInKeepsTokenInBodyAndSetsNoCookie(t *testing.T) {
	_, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/login", `{"email":"a@example.com","password":"correct horse 1"}`, nil)
	if reply.status != http.StatusOK {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	if reply.json(t)["refreshToken"] != issuedToken {
		t.Errorf("body %s", reply.body)
	}
	if cookies := reply.header.Values("Set-Cookie"); len(cookies) != 0 {
		t.Errorf("unexpected cookies %v", cookies)
	}
}

func TestFailedLoginWithOptInSetsNoCookie(t *testing.T) {
	_, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/login", `{"email":"a@example.com","password":"wrong"}`,
		map[string]string{gateway.RefreshCookieHeader: optIn})
	reply.expectStatus(t, http.StatusUnauthorized, codes.Unauthenticated, "invalid email or password")
	if cookies := reply.header.Values("Set-Cookie"); len(cookies) != 0 {
		t.Errorf("unexpected cookies %v", cookies)
	}
	if reply.header.Get("WWW-Authenticate") == "" {
		t.Error("WWW-Authenticate lost on the buffered path")
	}
}

func TestRefreshReadsTokenFromCookieAndRotatesIt(t *testing.T) {
	fake, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/refresh", `{}`, map[string]string{
		gateway.RefreshCookieHeader: optIn,
		"Cookie":                    gateway.RefreshCookieName + "=" + issuedToken,
	})
	if reply.status != http.StatusOK {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	if refresh, _ := fake.seen(); len(refresh) != 1 || refresh[0] != issuedToken {
		t.Errorf("backend saw refresh tokens %q", refresh)
	}
	body := reply.json(t)
	if _, present := body["refreshToken"]; present || body["accessToken"] != "d.e.f" {
		t.Errorf("body %s", reply.body)
	}
	cookie := refreshCookieOf(t, reply)
	if cookie.Value != rotatedToken || cookie.MaxAge != 1000 {
		t.Errorf("cookie value %q max-age %d", cookie.Value, cookie.MaxAge)
	}
	expectSecureAttributes(t, cookie)
}

func TestRefreshWithEmptyBodyOrEmptyFieldUsesCookie(t *testing.T) {
	for _, body := range []string{``, `{"refreshToken":""}`, `{"refresh_token":""}`} {
		fake, baseURL := startCookieGateway(t, "")
		reply := do(t, http.MethodPost, baseURL+"/api/v1/auth/refresh", strings.NewReader(body), map[string]string{
			gateway.RefreshCookieHeader: optIn,
			"Cookie":                    gateway.RefreshCookieName + "=" + issuedToken,
		})
		if reply.status != http.StatusOK {
			t.Errorf("body %q: got %d %s", body, reply.status, reply.body)
		}
		if refresh, _ := fake.seen(); len(refresh) != 1 || refresh[0] != issuedToken {
			t.Errorf("body %q: backend saw %q", body, refresh)
		}
	}
}

func TestRefreshBodyTokenWinsOverCookie(t *testing.T) {
	fake, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/refresh", `{"refreshToken":"some-other-token"}`, map[string]string{
		gateway.RefreshCookieHeader: optIn,
		"Cookie":                    gateway.RefreshCookieName + "=" + issuedToken,
	})
	reply.expectStatus(t, http.StatusUnauthorized, codes.Unauthenticated, "invalid or expired")
	if refresh, _ := fake.seen(); len(refresh) != 1 || refresh[0] != "some-other-token" {
		t.Errorf("backend saw %q", refresh)
	}
	// The refused token is dead: the browser's cookie is cleared.
	cookie := refreshCookieOf(t, reply)
	if cookie.MaxAge >= 0 || cookie.Value != "" {
		t.Errorf("cookie not cleared: %q", cookie.Raw)
	}
}

func TestCookieIsIgnoredWithoutOptInHeader(t *testing.T) {
	fake, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/refresh", `{}`, map[string]string{
		"Cookie": gateway.RefreshCookieName + "=" + issuedToken,
	})
	reply.expectStatus(t, http.StatusBadRequest, codes.InvalidArgument, "refresh_token is required")
	if refresh, _ := fake.seen(); len(refresh) != 1 || refresh[0] != "" {
		t.Errorf("backend saw %q", refresh)
	}
}

func TestUnknownFieldsAreStillRejectedWhenCookieIsInjected(t *testing.T) {
	fake, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/refresh", `{"token":"x"}`, map[string]string{
		gateway.RefreshCookieHeader: optIn,
		"Cookie":                    gateway.RefreshCookieName + "=" + issuedToken,
	})
	reply.expectStatus(t, http.StatusBadRequest, codes.InvalidArgument, `unknown field "token"`)
	if refresh, _ := fake.seen(); len(refresh) != 0 {
		t.Errorf("backend was called with %q", refresh)
	}
	malformed := postJSON(t, baseURL+"/api/v1/auth/refresh", `{"refreshToken":`, map[string]string{
		gateway.RefreshCookieHeader: optIn,
		"Cookie":                    gateway.RefreshCookieName + "=" + issuedToken,
	})
	malformed.expectStatus(t, http.StatusBadRequest, codes.InvalidArgument, "invalid JSON request body")
}

func TestOversizedBodyIsStill413WithCookie(t *testing.T) {
	_, baseURL := startCookieGateway(t, "")
	big := `{"refreshToken":"` + strings.Repeat("x", testMaxBodyBytes) + `"}`
	request, err := http.NewRequest(http.MethodPost, baseURL+"/api/v1/auth/refresh", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	request.ContentLength = -1 // chunked, so the limit is hit while reading
	request.Header.Set(gateway.RefreshCookieHeader, optIn)
	request.Header.Set("Cookie", gateway.RefreshCookieName+"="+issuedToken)
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusRequestEntityTooLarge {
		data, _ := io.ReadAll(reply.Body)
		t.Errorf("got %d %s", reply.StatusCode, data)
	}
}

func TestLogoutUsesCookieAndClearsIt(t *testing.T) {
	fake, baseURL := startCookieGateway(t, "")
	reply := postJSON(t, baseURL+"/api/v1/auth/logout", `{}`, map[string]string{
		gateway.RefreshCookieHeader: optIn,
		"Cookie":                    gateway.RefreshCookieName + "=" + issuedToken,
	})
	if reply.status != http.StatusOK || strings.TrimSpace(string(reply.body)) != "{}" {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	if _, logout := fake.seen(); len(logout) != 1 || logout[0] != issuedToken {
		t.Errorf("backend saw logout tokens %q", logout)
	}
	cookie := refreshCookieOf(t, reply)
	if cookie.MaxAge >= 0 || cookie.Value != "" || !strings.Contains(cookie.Raw, "Max-Age=0") {
		t.Errorf("cookie not cleared: %q", cookie.Raw)
	}
	expectSecureAttributes(t, cookie)
}

func TestMalformedCookieValueIsNotForwarded(t *testing.T) {
	fake, baseURL := startCookieGateway(t, "")
	request, err := http.NewRequest(http.MethodPost, baseURL+"/api/v1/auth/refresh", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set(gateway.RefreshCookieHeader, optIn)
	request.Header.Set("Cookie", gateway.RefreshCookieName+"="+strings.Repeat("a", 600))
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	reply.Body.Close()
	if reply.StatusCode != http.StatusBadRequest {
		t.Errorf("got %d", reply.StatusCode)
	}
	if refresh, _ := fake.seen(); len(refresh) != 1 || refresh[0] != "" {
		t.Errorf("backend saw %q", refresh)
	}
}
