package gateway

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIncomingHeaderMatcherForwardsOnlyKnownHeaders(t *testing.T) {
	forwarded := map[string]string{"X-Real-IP": "x-real-ip", "x-real-ip": "x-real-ip", "X-Request-Id": "x-request-id"}
	for header, want := range forwarded {
		if got, ok := incomingHeaderMatcher(header); !ok || got != want {
			t.Errorf("%s: got %q %v", header, got, ok)
		}
	}
	// Authorization is forwarded by grpc-gateway itself, not by the matcher.
	for _, header := range []string{"Authorization", "Cookie", "User-Agent", "Grpc-Metadata-X-User-Id", "X-Forwarded-For", "Host"} {
		if got, ok := incomingHeaderMatcher(header); ok {
			t.Errorf("%s is forwarded as %q", header, got)
		}
	}
}

func TestRequestIDIsGeneratedKeptOrReplaced(t *testing.T) {
	var seen string
	handler := withRequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = r.Header.Get(requestIDHeader)
	}))

	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/", nil))
	if len(seen) != 32 || recorder.Header().Get(requestIDHeader) != seen {
		t.Errorf("generated id %q, echoed %q", seen, recorder.Header().Get(requestIDHeader))
	}

	request := httptest.NewRequest(http.MethodGet, "/", nil)
	request.Header.Set(requestIDHeader, "trace-123.abc")
	recorder = httptest.NewRecorder()
	handler.ServeHTTP(recorder, request)
	if seen != "trace-123.abc" || recorder.Header().Get(requestIDHeader) != "trace-123.abc" {
		t.Errorf("client id not kept: %q", seen)
	}

	for _, bad := range []string{"has space", "quote\"", strings.Repeat("a", 129)} {
		request = httptest.NewRequest(http.MethodGet, "/", nil)
		request.Header.Set(requestIDHeader, bad)
		handler.ServeHTTP(httptest.NewRecorder(), request)
		if seen == bad || len(seen) != 32 {
			t.Errorf("invalid id %q was kept as %q", bad, seen)
		}
	}
}

func TestControlHeadersAreRemoved(t *testing.T) {
	var grpcTimeout, override string
	handler := withoutControlHeaders(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		grpcTimeout, override = r.Header.Get("Grpc-Timeout"), r.Header.Get("X-HTTP-Method-Override")
	}))
	request := httptest.NewRequest(http.MethodPost, "/", nil)
	request.Header.Set("Grpc-Timeout", "1000H")
	request.Header.Set("X-HTTP-Method-Override", "DELETE")
	handler.ServeHTTP(httptest.NewRecorder(), request)
	if grpcTimeout != "" || override != "" {
		t.Errorf("kept Grpc-Timeout %q, override %q", grpcTimeout, override)
	}
}

func TestBodyLimitRefusesDeclaredLargeBody(t *testing.T) {
	called := false
	handler := withBodyLimit(16, newTestErrorWriter(&bytes.Buffer{}), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		called = true
	}))
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodPost, "/api/v1/x", strings.NewReader(strings.Repeat("x", 17))))
	if called || recorder.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("called %v, status %d", called, recorder.Code)
	}
	body := decodeStatus(t, recorder)
	if !strings.Contains(body.Message, "16 bytes") {
		t.Errorf("message %q", body.Message)
	}
}

func TestAccessLogWritesOneJSONLineWithoutSecrets(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	handler := withAccessLog(logger, withRequestID(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("12345"))
	})))
	request := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login?token=secret-query", strings.NewReader(`{"password":"secret-body"}`))
	request.Header.Set("Authorization", "Bearer secret-token")
	request.Header.Set(requestIDHeader, "req-1")
	handler.ServeHTTP(httptest.NewRecorder(), request)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got %q", logs.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatal(err)
	}
	if entry["method"] != "POST" || entry["path"] != "/api/v1/auth/login" || entry["status"] != float64(418) ||
		entry["bytes"] != float64(5) || entry["request_id"] != "req-1" || entry["duration_ms"] == nil {
		t.Errorf("entry %v", entry)
	}
	if strings.Contains(lines[0], "secret") {
		t.Errorf("log line leaks a secret: %s", lines[0])
	}
}

func TestRecordingWriterSupportsFlush(t *testing.T) {
	recorder := httptest.NewRecorder()
	writer := &recordingWriter{ResponseWriter: recorder}
	if err := http.NewResponseController(writer).Flush(); err != nil {
		t.Fatal(err)
	}
	if !recorder.Flushed {
		t.Error("flush did not reach the underlying writer")
	}
}

func TestOversizedAuthorizationIsUnauthenticatedWithoutReachingBackend(t *testing.T) {
	reached := false
	errs := &errorWriter{marshaler: newJSONMarshaler(), logger: slog.Default()}
	handler := withAuthorizationLimit(errs, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		reached = true
	}))

	request := httptest.NewRequest(http.MethodGet, "/api/v1/users/me", nil)
	request.Header.Set("Authorization", "Bearer "+strings.Repeat("A", 8000))
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, request)
	if reached {
		t.Fatal("oversized Authorization reached the backend")
	}
	if recorder.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", recorder.Code)
	}
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(recorder.Body.Bytes(), &body); err != nil || body.Code != 16 ||
		!strings.Contains(body.Message, "authorization header") {
		t.Fatalf("body %q (%v)", recorder.Body.String(), err)
	}

	request = httptest.NewRequest(http.MethodGet, "/api/v1/users/me", nil)
	request.Header.Set("Authorization", "Bearer "+strings.Repeat("A", 500))
	handler.ServeHTTP(httptest.NewRecorder(), request)
	if !reached {
		t.Fatal("a normal-sized Authorization was refused")
	}
}
