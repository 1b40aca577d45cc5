package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	userv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/user/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

const validToken = "Bearer valid-access-token"

// fakeUserService stands in for the C++ user-service; it records what the
// gateway sends so the tests can check metadata and field presence.
type fakeUserService struct {
	userv1.UnimplementedUserServiceServer

	mu             sync.Mutex
	lastMetadata   metadata.MD
	lastUpdate     *userv1.UpdateMeRequest
	registeredMail map[string]bool
}

func (f *fakeUserService) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastMetadata = md
}

func (f *fakeUserService) metadata() metadata.MD {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastMetadata
}

func (f *fakeUserService) lastUpdateRequest() *userv1.UpdateMeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastUpdate
}

func (f *fakeUserService) user(email string) *userv1.User {
	created := timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return &userv1.User{Id: "3f1c1d7e-0000-4000-8000-000000000001", Email: email, CreateTime: created, UpdateTime: created}
}

func (f *fakeUserService) Register(ctx context.Context, req *userv1.RegisterRequest) (*userv1.RegisterResponse, error) {
	f.record(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.registeredMail[req.GetEmail()] {
		return nil, status.Error(codes.AlreadyExists, "email is already registered")
	}
	f.registeredMail[req.GetEmail()] = true
	u := f.user(req.GetEmail())
	u.DisplayName = req.GetDisplayName()
	return &userv1.RegisterResponse{User: u}, nil
}

func (f *fakeUserService) Login(ctx context.Context, req *userv1.LoginRequest) (*userv1.TokenResponse, error) {
	f.record(ctx)
	switch {
	case req.GetEmail() == "throttled@example.com":
		return nil, status.Error(codes.ResourceExhausted, "too many failed sign-ins, try again later")
	case req.GetPassword() != "correct horse 1":
		return nil, status.Error(codes.Unauthenticated, "invalid email or password")
	}
	return &userv1.TokenResponse{AccessToken: "a.b.c", RefreshToken: "opaque", ExpiresIn: 900, TokenType: "Bearer"}, nil
}

func (f *fakeUserService) Logout(ctx context.Context, _ *userv1.LogoutRequest) (*userv1.LogoutResponse, error) {
	f.record(ctx)
	return &userv1.LogoutResponse{}, nil
}

func (f *fakeUserService) authorize(ctx context.Context) error {
	f.record(ctx)
	if values := metadata.ValueFromIncomingContext(ctx, "authorization"); len(values) != 1 || values[0] != validToken {
		return status.Error(codes.Unauthenticated, "missing or invalid access token")
	}
	return nil
}

func (f *fakeUserService) GetMe(ctx context.Context, _ *userv1.GetMeRequest) (*userv1.User, error) {
	if err := f.authorize(ctx); err != nil {
		return nil, err
	}
	return f.user("me@example.com"), nil
}

func (f *fakeUserService) UpdateMe(ctx context.Context, req *userv1.UpdateMeRequest) (*userv1.User, error) {
	if err := f.authorize(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.lastUpdate = proto.Clone(req).(*userv1.UpdateMeRequest)
	f.mu.Unlock()
	u := f.user("me@example.com")
	u.DisplayName = req.GetDisplayName()
	return u, nil
}

func (f *fakeUserService) ChangePassword(ctx context.Context, _ *userv1.ChangePasswordRequest) (*userv1.ChangePasswordResponse, error) {
	if err := f.authorize(ctx); err != nil {
		return nil, err
	}
	return nil, status.Error(codes.Internal, "pqxx::broken_connection: server closed the connection")
}

func (f *fakeUserService) GetJwks(ctx context.Context, _ *userv1.GetJwksRequest) (*userv1.Jwks, error) {
	f.record(ctx)
	return &userv1.Jwks{Keys: []*userv1.Jwk{
		{Kty: "EC", Kid: "kid-1", Use: "sig", Alg: "ES256", Crv: proto.String("P-256"), X: proto.String("xx"), Y: proto.String("yy")},
		{Kty: "EC", Kid: "kid-2", Use: "sig", Alg: "ES256"},
	}}, nil
}

type userFixture struct {
	fake   *fakeUserService
	health interface {
		SetServingStatus(string, healthpb.HealthCheckResponse_ServingStatus)
	}
	baseURL string
}

func userDefinition(t *testing.T) service.Definition {
	t.Helper()
	return declaredDefinition(t, "user")
}

func startUserGateway(t *testing.T) userFixture {
	t.Helper()
	fake := &fakeUserService{registeredMail: map[string]bool{}}
	address, healthServer := startBackend(t, func(s *grpc.Server) { userv1.RegisterUserServiceServer(s, fake) })
	gatewayServer := startGateway(t, userDefinition(t), address)
	return userFixture{fake: fake, health: healthServer, baseURL: gatewayServer.URL}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var decoded map[string]any
	if err := json.Unmarshal(r.body, &decoded); err != nil {
		t.Fatalf("response %d is not a JSON object: %q", r.status, r.body)
	}
	return decoded
}

// expectStatus checks an error response: HTTP status, JSON shape and code.
func (r response) expectStatus(t *testing.T, httpStatus int, code codes.Code, messagePart string) {
	t.Helper()
	if r.status != httpStatus {
		t.Fatalf("got HTTP %d (%s), want %d", r.status, r.body, httpStatus)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("content type %q", got)
	}
	body := r.json(t)
	if body["code"] != float64(code) {
		t.Errorf("code %v, want %d (%v)", body["code"], code, code)
	}
	if message, _ := body["message"].(string); !strings.Contains(message, messagePart) {
		t.Errorf("message %q does not contain %q", message, messagePart)
	}
	if _, ok := body["details"].([]any); !ok {
		t.Errorf("details missing: %s", r.body)
	}
}

func do(t *testing.T, method, url string, body io.Reader, headers map[string]string) response {
	t.Helper()
	request, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range headers {
		request.Header.Set(name, value)
	}
	reply, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer reply.Body.Close()
	data, err := io.ReadAll(reply.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: reply.StatusCode, header: reply.Header, body: data}
}

func postJSON(t *testing.T, url, body string, headers map[string]string) response {
	t.Helper()
	if headers == nil {
		headers = map[string]string{}
	}
	headers["Content-Type"] = "application/json"
	return do(t, http.MethodPost, url, strings.NewReader(body), headers)
}

func TestRegisterReturnsCamelCaseUserAndConflictsOnSecondTry(t *testing.T) {
	f := startUserGateway(t)
	url := f.baseURL + "/api/v1/auth/register"
	body := `{"email":"new@example.com","password":"correct horse 1","displayName":"New"}`

	first := postJSON(t, url, body, nil)
	if first.status != http.StatusOK {
		t.Fatalf("got %d %s", first.status, first.body)
	}
	user, _ := first.json(t)["user"].(map[string]any)
	if user["email"] != "new@example.com" || user["displayName"] != "New" || user["createTime"] != "2026-01-02T03:04:05Z" {
		t.Errorf("user %v", user)
	}
	if _, snake := user["display_name"]; snake {
		t.Error("field names are not lowerCamelCase")
	}

	postJSON(t, url, body, nil).expectStatus(t, http.StatusConflict, codes.AlreadyExists, "already registered")
}

func TestLoginStatusMapping(t *testing.T) {
	f := startUserGateway(t)
	url := f.baseURL + "/api/v1/auth/login"

	ok := postJSON(t, url, `{"email":"a@example.com","password":"correct horse 1"}`, nil)
	if ok.status != http.StatusOK {
		t.Fatalf("got %d %s", ok.status, ok.body)
	}
	tokens := ok.json(t)
	if tokens["accessToken"] != "a.b.c" || tokens["expiresIn"] != float64(900) || tokens["refreshExpiresIn"] != float64(0) {
		t.Errorf("tokens %v (unset scalars must be present)", tokens)
	}

	wrong := postJSON(t, url, `{"email":"a@example.com","password":"nope"}`, nil)
	wrong.expectStatus(t, http.StatusUnauthorized, codes.Unauthenticated, "invalid email or password")
	if got := wrong.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate %q", got)
	}

	postJSON(t, url, `{"email":"throttled@example.com","password":"x"}`, nil).
		expectStatus(t, http.StatusTooManyRequests, codes.ResourceExhausted, "too many")
}

func TestGetMeForwardsOnlyAuthorizationRealIPAndRequestID(t *testing.T) {
	f := startUserGateway(t)
	url := f.baseURL + "/api/v1/users/me"

	do(t, http.MethodGet, url, nil, nil).expectStatus(t, http.StatusUnauthorized, codes.Unauthenticated, "access token")

	reply := do(t, http.MethodGet, url, nil, map[string]string{
		"Authorization":    validToken,
		"X-Real-IP":        "203.0.113.7",
		"X-Request-Id":     "req-42",
		"Cookie":           "session=secret",
		"User-Agent":       "spa-test-agent",
		"X-Custom":         "nope",
		"Grpc-Metadata-Id": "smuggled",
	})
	if reply.status != http.StatusOK {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	if reply.json(t)["email"] != "me@example.com" {
		t.Errorf("body %s", reply.body)
	}
	if got := reply.header.Get("X-Request-Id"); got != "req-42" {
		t.Errorf("request id not echoed: %q", got)
	}
	md := f.fake.metadata()
	for key, want := range map[string]string{"authorization": validToken, "x-real-ip": "203.0.113.7", "x-request-id": "req-42"} {
		if got := md.Get(key); len(got) != 1 || got[0] != want {
			t.Errorf("metadata %s = %v, want %q", key, got, want)
		}
	}
	for key, values := range md {
		if key == "cookie" || key == "x-custom" || key == "id" || strings.HasPrefix(key, "grpcgateway-") {
			t.Errorf("header forwarded as metadata %s=%v", key, values)
		}
		for _, value := range values {
			if strings.Contains(value, "spa-test-agent") || strings.Contains(value, "secret") || value == "smuggled" {
				t.Errorf("client header value reached the backend as %s=%q", key, value)
			}
		}
	}
}

func TestRequestIDIsGeneratedWhenAbsent(t *testing.T) {
	f := startUserGateway(t)
	reply := do(t, http.MethodGet, f.baseURL+"/api/v1/.well-known/jwks.json", nil, nil)
	id := reply.header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id in the response")
	}
	if got := f.fake.metadata().Get("x-request-id"); len(got) != 1 || got[0] != id {
		t.Errorf("backend saw request id %v, client got %q", got, id)
	}
}

func TestJWKSRouteWithDotsServesKeysAndOmitsUnsetOptionals(t *testing.T) {
	f := startUserGateway(t)
	reply := do(t, http.MethodGet, f.baseURL+"/api/v1/.well-known/jwks.json", nil, nil)
	if reply.status != http.StatusOK {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	keys, _ := reply.json(t)["keys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("keys %s", reply.body)
	}
	withCurve, _ := keys[0].(map[string]any)
	withoutCurve, _ := keys[1].(map[string]any)
	if withCurve["crv"] != "P-256" || withCurve["x"] != "xx" || withCurve["kid"] != "kid-1" {
		t.Errorf("first key %v", withCurve)
	}
	if _, present := withoutCurve["crv"]; present {
		t.Errorf("unset optional field emitted: %v", withoutCurve)
	}
	// Near misses of the literal segments are not routed.
	do(t, http.MethodGet, f.baseURL+"/api/v1/well-known/jwks.json", nil, nil).expectStatus(t, 404, codes.NotFound, "no route")
	do(t, http.MethodGet, f.baseURL+"/api/v1/.well-known/jwks", nil, nil).expectStatus(t, 404, codes.NotFound, "no route")
}

func TestUpdateMeKeepsOptionalPresence(t *testing.T) {
	f := startUserGateway(t)
	url := f.baseURL + "/api/v1/users/me"
	auth := map[string]string{"Authorization": validToken, "Content-Type": "application/json"}

	if reply := do(t, http.MethodPatch, url, strings.NewReader(`{}`), auth); reply.status != http.StatusOK {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	if f.fake.lastUpdateRequest().DisplayName != nil {
		t.Errorf("absent displayName arrived as %q", f.fake.lastUpdateRequest().GetDisplayName())
	}
	reply := do(t, http.MethodPatch, url, strings.NewReader(`{"displayName":"Renamed"}`), auth)
	if reply.status != http.StatusOK || reply.json(t)["displayName"] != "Renamed" {
		t.Fatalf("got %d %s", reply.status, reply.body)
	}
	if f.fake.lastUpdateRequest().DisplayName == nil || f.fake.lastUpdateRequest().GetDisplayName() != "Renamed" {
		t.Errorf("displayName not delivered: %v", f.fake.lastUpdateRequest())
	}
}

func TestLogoutReturnsEmptyObject(t *testing.T) {
	f := startUserGateway(t)
	reply := postJSON(t, f.baseURL+"/api/v1/auth/logout", `{"refreshToken":"opaque"}`, nil)
	if reply.status != http.StatusOK || strings.TrimSpace(string(reply.body)) != "{}" {
		t.Errorf("got %d %q", reply.status, reply.body)
	}
}

func TestBadRequestBodiesAre400WithTheProblemNamed(t *testing.T) {
	f := startUserGateway(t)
	url := f.baseURL + "/api/v1/auth/login"
	cases := []struct{ name, body, message string }{
		{"unknown field", `{"email":"a@example.com","passwd":"x"}`, `unknown field "passwd"`},
		{"wrong type", `{"email":42}`, "invalid JSON request body"},
		{"malformed", `{"email":`, "invalid JSON request body"},
		{"valid body", `{"email":"a@example.com","password":"correct horse 1"}`, ""},
		{"empty", ``, "request body is empty"},
		{"trailing garbage", `{"email":"a@example.com"} x`, "invalid JSON request body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reply := postJSON(t, url, c.body, nil)
			if c.message == "" {
				if reply.status != http.StatusOK {
					t.Errorf("got %d %s", reply.status, reply.body)
				}
				return
			}
			reply.expectStatus(t, http.StatusBadRequest, codes.InvalidArgument, c.message)
		})
	}
}

func TestOversizedBodyIs413(t *testing.T) {
	f := startUserGateway(t)
	url := f.baseURL + "/api/v1/auth/register"
	huge := `{"email":"` + strings.Repeat("a", 10<<20) + `"}`

	// Declared length: refused before the body is read.
	postJSON(t, url, huge, nil).expectStatus(t, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, "larger than 1048576 bytes")

	// Chunked (no Content-Length): refused when the limit is crossed.
	chunked := do(t, http.MethodPost, url, io.MultiReader(strings.NewReader(huge)), map[string]string{"Content-Type": "application/json"})
	chunked.expectStatus(t, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, "larger than 1048576 bytes")

	// Just under the limit is decoded normally (and rejected by the fake for
	// its content, not its size).
	fits := `{"email":"x@example.com","password":"` + strings.Repeat("p", testMaxBodyBytes-100) + `"}`
	if reply := postJSON(t, url, fits, nil); reply.status != http.StatusOK {
		t.Errorf("body under the limit: got %d %.200s", reply.status, reply.body)
	}
}

func TestRoutingErrorsAreJSON(t *testing.T) {
	f := startUserGateway(t)
	do(t, http.MethodGet, f.baseURL+"/api/v1/nothing", nil, nil).expectStatus(t, 404, codes.NotFound, "no route for GET /api/v1/nothing")
	do(t, http.MethodDelete, f.baseURL+"/api/v1/users/me", nil, nil).expectStatus(t, 405, codes.Unimplemented, "DELETE")
	do(t, http.MethodGet, f.baseURL+"/api/v1/auth/login", nil, nil).expectStatus(t, 405, codes.Unimplemented, "GET")
	do(t, http.MethodPost, f.baseURL+"/healthz", nil, nil).expectStatus(t, 405, codes.Unimplemented, "POST")
	// Form posts are not turned into GETs (grpc-gateway's fallback is off).
	do(t, http.MethodPost, f.baseURL+"/api/v1/users/me", strings.NewReader("a=b"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": validToken}).
		expectStatus(t, 405, codes.Unimplemented, "POST")
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	f := startUserGateway(t)
	reply := postJSON(t, f.baseURL+"/api/v1/users/me/password",
		`{"currentPassword":"correct horse 1","newPassword":"correct horse 2"}`, map[string]string{"Authorization": validToken})
	reply.expectStatus(t, http.StatusInternalServerError, codes.Internal, "internal error")
	if bytes.Contains(reply.body, []byte("pqxx")) {
		t.Errorf("internal detail leaked: %s", reply.body)
	}
}

func TestHealthzFollowsBackendHealth(t *testing.T) {
	f := startUserGateway(t)
	reply := do(t, http.MethodGet, f.baseURL+"/healthz", nil, nil)
	if reply.status != http.StatusOK || strings.TrimSpace(string(reply.body)) != `{"status":"SERVING"}` {
		t.Errorf("got %d %s", reply.status, reply.body)
	}
	f.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	reply = do(t, http.MethodGet, f.baseURL+"/healthz", nil, nil)
	if reply.status != http.StatusServiceUnavailable || reply.json(t)["status"] != "NOT_SERVING" {
		t.Errorf("got %d %s", reply.status, reply.body)
	}
}

func TestBackendDownGives503(t *testing.T) {
	// A port that was just free: nothing listens there.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	_ = listener.Close()
	gatewayServer := startGateway(t, userDefinition(t), address)

	reply := do(t, http.MethodGet, gatewayServer.URL+"/healthz", nil, nil)
	if reply.status != http.StatusServiceUnavailable || reply.json(t)["status"] != "UNREACHABLE" {
		t.Errorf("healthz: got %d %s", reply.status, reply.body)
	}
	reply = postJSON(t, gatewayServer.URL+"/api/v1/auth/login", `{"email":"a@example.com","password":"x"}`, nil)
	reply.expectStatus(t, http.StatusServiceUnavailable, codes.Unavailable, "service unavailable")
	if bytes.Contains(reply.body, []byte(address)) {
		t.Errorf("backend address leaked: %s", reply.body)
	}
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	f := startUserGateway(t)
	reply := do(t, http.MethodGet, f.baseURL+"/api/openapi.json", nil, nil)
	if reply.status != http.StatusOK || reply.header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %s", reply.status, reply.header.Get("Content-Type"))
	}
	document := reply.json(t)
	paths, _ := document["paths"].(map[string]any)
	for _, path := range []string{"/api/v1/auth/register", "/api/v1/users/me", "/api/v1/.well-known/jwks.json"} {
		if _, ok := paths[path]; !ok {
			t.Errorf("OpenAPI document lacks %s", path)
		}
	}
	if document["swagger"] != "2.0" {
		t.Errorf("not an OpenAPI v2 document")
	}
}
