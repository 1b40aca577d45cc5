package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	requestIDHeader = "X-Request-Id"
	realIPHeader    = "X-Real-Ip"
	// maxRequestIDLength bounds a client-chosen request id before it is
	// echoed, logged and forwarded.
	maxRequestIDLength = 128
	// bodyReadTimeout bounds how long a client may take to send its body, so
	// a slow sender cannot hold a connection forever. It is set per request
	// (not as http.Server.ReadTimeout) so streaming responses are unaffected.
	bodyReadTimeout = 30 * time.Second
	// maxDrainBytes is how much of an oversized body is still read (and
	// discarded) after the 413 is sent. A client that is still sending when
	// the connection closes gets a TCP reset and may never see the 413;
	// draining avoids that for moderately large bodies without buffering.
	maxDrainBytes = 16 << 20
)

// requestState is per-request information shared between the middleware and
// the grpc-gateway error handler, which only sees the request context.
type requestState struct {
	bodyLimit    int64
	bodyTooLarge bool
	// rawBody is the request body under the limit, for draining it after
	// an early 413.
	rawBody io.Reader
}

type requestStateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	state, _ := ctx.Value(requestStateKey{}).(*requestState)
	return state
}

// incomingHeaderMatcher chooses the HTTP headers that become gRPC metadata.
// Authorization is forwarded by grpc-gateway itself (as "authorization");
// nothing else reaches the backend.
func incomingHeaderMatcher(key string) (string, bool) {
	switch textproto.CanonicalMIMEHeaderKey(key) {
	case realIPHeader:
		return "x-real-ip", true
	case requestIDHeader:
		return "x-request-id", true
	default:
		return "", false
	}
}

// dropAllMetadata keeps backend response metadata out of HTTP headers.
func dropAllMetadata(string) (string, bool) { return "", false }

// validRequestID accepts ids of printable, header- and log-safe characters.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(raw[:])
}

// withRequestID makes sure every request carries a usable X-Request-Id (the
// client's if valid, a new one otherwise) and echoes it in the response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) || len(r.Header.Values(requestIDHeader)) != 1 {
			id = newRequestID()
		}
		r.Header.Set(requestIDHeader, id)
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

// withoutControlHeaders removes headers through which a client could steer
// grpc-gateway itself: a gRPC deadline of its choosing and method overrides.
func withoutControlHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Grpc-Timeout")
		r.Header.Del("X-Http-Method-Override")
		next.ServeHTTP(w, r)
	})
}

// limitedBody records in the request state that the body limit was hit, so
// the error handler can answer 413 although the generated code wraps every
// decode error as INVALID_ARGUMENT.
type limitedBody struct {
	io.ReadCloser
	state *requestState
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if err != nil && errors.As(err, &tooLarge) {
		b.state.bodyTooLarge = true
	}
	return n, err
}

// withBodyLimit caps the request body at limit bytes: a declared larger
// Content-Length is refused at once, a chunked body when it crosses the limit.
func withBodyLimit(limit int64, errs *errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state := &requestState{bodyLimit: limit, rawBody: r.Body}
		if r.Body != nil && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
		}
		if r.ContentLength > limit {
			errs.writeBodyTooLarge(w, state)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, limit), state: state}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestStateKey{}, state)))
	})
}

// recordingWriter remembers the status and size of a response for the access
// log. Unwrap lets http.ResponseController reach Flush on the real writer,
// which streaming responses need.
type recordingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *recordingWriter) Flush() {
	if flusher, ok := w.ResponseWriter.(http.Flusher); ok {
		flusher.Flush()
	}
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog writes one JSON line per request. It logs the path without
// the query string and never headers or bodies, which may hold credentials.
func withAccessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		recorder := &recordingWriter{ResponseWriter: w}
		next.ServeHTTP(recorder, r)
		status := recorder.status
		if status == 0 {
			status = http.StatusOK
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int64("bytes", recorder.bytes),
			slog.String("request_id", w.Header().Get(requestIDHeader)))
	})
}

// maxAuthorizationBytes bounds the Authorization header. Access tokens are a
// few hundred bytes; a larger header would exceed the backend's metadata
// limit and come back as an opaque transport error (500), so it is refused
// here as what it is: not a usable credential.
const maxAuthorizationBytes = 4096

// withAuthorizationLimit answers 401 for an oversized Authorization header
// before anything is sent to the backend.
func withAuthorizationLimit(errs *errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		total := 0
		for _, value := range r.Header.Values("Authorization") {
			total += len(value)
		}
		if total > maxAuthorizationBytes {
			errs.write(w, http.StatusUnauthorized, status.New(codes.Unauthenticated,
				fmt.Sprintf("authorization header is longer than %d bytes", maxAuthorizationBytes)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
