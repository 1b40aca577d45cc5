package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// Refresh tokens in an HttpOnly cookie, for the browser app.
//
// A browser app must not keep a long-lived refresh token where scripts can
// read it, so on the routes a service declares (service.RefreshCookie) the
// gateway can carry it in a cookie instead of the JSON body. It does so
// only when the request opts in with the header "X-Refresh-Cookie: 1", and
// only for POST:
//
//   - a route that issues the token: a 200 response loses its token field
//     and sets the cookie instead, with Max-Age from the lifetime field;
//   - a route that reads it: when the JSON body has no (or an empty) token,
//     the cookie's value is put in;
//   - a route that clears it always does (signing out); one that reads and
//     issues (a refresh) clears it when refused with 401, since the token it
//     sent is dead.
//
// Without the header nothing changes: grpcurl and curl users keep sending
// and receiving the token in the body, and a cookie is never read. Reading
// the cookie only when the custom header is present is also the CSRF
// defence: a cross-site page cannot add the header without a CORS preflight,
// which the gateway never grants (on top of SameSite=Strict).

const (
	// RefreshCookieName is the cookie that holds the refresh token.
	RefreshCookieName = "ct_refresh"
	// RefreshCookieHeader is the request header by which a client opts in.
	RefreshCookieHeader = "X-Refresh-Cookie"

	// maxCookieTokenLength bounds a token taken from or put into a cookie;
	// real ones are 43 characters.
	maxCookieTokenLength = 512
)

// cookieRoute is what one declared route does with the cookie.
type cookieRoute struct {
	issues, reads, clears bool
}

// refreshCookie is a service's declaration resolved for serving.
type refreshCookie struct {
	// path is the cookie's Path attribute.
	path   string
	routes map[string]cookieRoute
	// tokenJSON and tokenProto are the two spellings protojson accepts for
	// the token field; responses use tokenJSON. lifetimeJSON is the
	// response's lifetime field.
	tokenJSON, tokenProto, lifetimeJSON string
}

// newRefreshCookie resolves declared; cookiePath, when not empty, replaces
// the declared Path.
func newRefreshCookie(declared *service.RefreshCookie, cookiePath string) *refreshCookie {
	if cookiePath == "" {
		cookiePath = declared.Path
	}
	c := &refreshCookie{
		path:         cookiePath,
		routes:       map[string]cookieRoute{},
		tokenJSON:    service.JSONName(declared.TokenField),
		tokenProto:   declared.TokenField,
		lifetimeJSON: service.JSONName(declared.LifetimeField),
	}
	mark := func(paths []string, set func(*cookieRoute)) {
		for _, path := range paths {
			route := c.routes[path]
			set(&route)
			c.routes[path] = route
		}
	}
	mark(declared.IssuedBy, func(r *cookieRoute) { r.issues = true })
	mark(declared.ReadBy, func(r *cookieRoute) { r.reads = true })
	mark(declared.ClearedBy, func(r *cookieRoute) { r.clears = true })
	return c
}

// cookieSafeToken reports whether token can travel as a cookie value
// unquoted and unchanged (RFC 6265 cookie-octets, bounded length).
func cookieSafeToken(token string) bool {
	if token == "" || len(token) > maxCookieTokenLength {
		return false
	}
	for _, c := range []byte(token) {
		if c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// withRefreshCookie wraps the API handler with the cookie behaviour above.
func withRefreshCookie(c *refreshCookie, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, declared := c.routes[r.URL.Path]
		if !declared || r.Method != http.MethodPost || r.Header.Get(RefreshCookieHeader) != "1" {
			next.ServeHTTP(w, r)
			return
		}
		if route.reads {
			c.injectCookieToken(r)
		}
		if route.clears {
			// Signing out ends the browser session whatever the backend
			// says (an already revoked token included).
			http.SetCookie(w, c.expired())
		}
		if route.issues {
			c.serveIssuingCookie(route.reads, w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errorAfterReader replays a body that failed part way: the bytes read, then
// the same error, so the generated code reports it as it would have.
type errorAfterReader struct {
	io.Reader
	err error
}

func (e *errorAfterReader) Read(p []byte) (int, error) {
	n, err := e.Reader.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

// injectCookieToken puts the cookie's refresh token into the JSON body when
// the body does not carry one itself. Bodies that are not a JSON object are
// passed on untouched, so the usual 400 names their problem.
func (c *refreshCookie) injectCookieToken(r *http.Request) {
	cookie, err := r.Cookie(RefreshCookieName)
	if err != nil || !cookieSafeToken(cookie.Value) {
		return
	}
	var raw []byte
	if r.Body != nil && r.Body != http.NoBody {
		raw, err = io.ReadAll(r.Body)
		if err != nil {
			// Too large or cut off: let the normal path report it.
			r.Body = io.NopCloser(&errorAfterReader{Reader: bytes.NewReader(raw), err: err})
			return
		}
	}
	body := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if json.Unmarshal(raw, &body) != nil || body == nil || c.hasToken(body) {
			r.Body = io.NopCloser(bytes.NewReader(raw))
			r.ContentLength = int64(len(raw))
			return
		}
	}
	// Both spellings may be present but empty; protojson rejects a field
	// given twice, so drop them before adding the real one.
	delete(body, c.tokenProto)
	body[c.tokenJSON], _ = json.Marshal(cookie.Value)
	rewritten, _ := json.Marshal(body)
	r.Body = io.NopCloser(bytes.NewReader(rewritten))
	r.ContentLength = int64(len(rewritten))
	r.Header.Set("Content-Length", strconv.Itoa(len(rewritten)))
}

// hasToken reports whether the body names a non-empty token.
func (c *refreshCookie) hasToken(body map[string]json.RawMessage) bool {
	for _, name := range []string{c.tokenJSON, c.tokenProto} {
		value, ok := body[name]
		if !ok {
			continue
		}
		var token string
		if json.Unmarshal(value, &token) != nil || token != "" {
			// A non-string is the client's mistake to be told about.
			return true
		}
	}
	return false
}

// bufferingWriter holds a (small, unary) response so its body can be
// rewritten before anything reaches the client.
type bufferingWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferingWriter) Header() http.Header { return b.header }

func (b *bufferingWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferingWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// serveIssuingCookie runs a route that issues a token and moves the new
// token from a successful response into the cookie; clearOnUnauthorized is
// set for a route that sent the cookie's token.
func (c *refreshCookie) serveIssuingCookie(clearOnUnauthorized bool, w http.ResponseWriter, r *http.Request, next http.Handler) {
	buffered := &bufferingWriter{header: http.Header{}}
	next.ServeHTTP(buffered, r)
	status := buffered.status
	if status == 0 {
		status = http.StatusOK
	}
	body := buffered.body.Bytes()
	switch {
	case status == http.StatusOK:
		if rewritten, cookie, ok := c.moveTokenToCookie(body); ok {
			body = rewritten
			http.SetCookie(w, cookie)
		}
	case status == http.StatusUnauthorized && clearOnUnauthorized:
		http.SetCookie(w, c.expired())
	}
	header := w.Header()
	for name, values := range buffered.header {
		header[name] = values
	}
	header.Del("Content-Length")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	// The token response must never be cached, cookie or not.
	header.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// moveTokenToCookie removes the token field from a token response and
// returns the cookie that carries it instead; ok is false when the response
// does not have the expected shape (then it is passed on unchanged).
func (c *refreshCookie) moveTokenToCookie(body []byte) ([]byte, *http.Cookie, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		return nil, nil, false
	}
	var token string
	if json.Unmarshal(fields[c.tokenJSON], &token) != nil || !cookieSafeToken(token) {
		return nil, nil, false
	}
	var maxAge int
	if json.Unmarshal(fields[c.lifetimeJSON], &maxAge) != nil || maxAge <= 0 {
		return nil, nil, false
	}
	delete(fields, c.tokenJSON)
	rewritten, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, false
	}
	cookie := c.cookie()
	cookie.Value = token
	cookie.MaxAge = maxAge
	return append(rewritten, '\n'), cookie, true
}

// cookie is the refresh cookie without a value.
func (c *refreshCookie) cookie() *http.Cookie {
	cookiePath := c.path
	if trimmed := strings.TrimRight(cookiePath, "/"); trimmed != "" {
		cookiePath = trimmed
	}
	return &http.Cookie{
		Name:     RefreshCookieName,
		Path:     cookiePath,
		HttpOnly: true,
		Secure:   true,
		SameSite: http.SameSiteStrictMode,
	}
}

// expired deletes the cookie in the browser (Max-Age=0).
func (c *refreshCookie) expired() *http.Cookie {
	cookie := c.cookie()
	cookie.MaxAge = -1 // net/http writes this as "Max-Age=0"
	return cookie
}
