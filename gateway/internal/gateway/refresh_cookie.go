package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Refresh tokens in an HttpOnly cookie, for the browser app.
//
// A browser app must not keep the long-lived refresh token where scripts can
// read it, so on the auth routes of a service whose Options enable
// RefreshCookie (the user service) the gateway can carry it in a cookie
// instead of the JSON body. It does so only when the request opts
// in with the header "X-Refresh-Cookie: 1":
//
//   - POST /api/v1/auth/login and /api/v1/auth/refresh: a 200 response loses
//     its "refreshToken" field and sets the cookie instead, with Max-Age from
//     "refreshExpiresIn".
//   - POST /api/v1/auth/refresh and /api/v1/auth/logout: when the JSON body
//     has no (or an empty) refresh token, the cookie's value is put in.
//   - Logout always clears the cookie; a refresh refused with 401 clears it
//     too, since the token it holds is dead.
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

	loginPath   = "/api/v1/auth/login"
	refreshPath = "/api/v1/auth/refresh"
	logoutPath  = "/api/v1/auth/logout"

	// maxCookieTokenLength bounds a token taken from or put into a cookie;
	// real ones are 43 characters.
	maxCookieTokenLength = 512
)

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
// cookiePath is the cookie's Path attribute: the auth routes' prefix as the
// browser sees it through the ingress.
func withRefreshCookie(cookiePath string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get(RefreshCookieHeader) != "1" {
			next.ServeHTTP(w, r)
			return
		}
		switch r.URL.Path {
		case loginPath:
			serveIssuingCookie(cookiePath, false, w, r, next)
		case refreshPath:
			injectCookieToken(r)
			serveIssuingCookie(cookiePath, true, w, r, next)
		case logoutPath:
			injectCookieToken(r)
			// Signing out ends the browser session whatever the backend
			// says (an already revoked token included).
			http.SetCookie(w, expiredRefreshCookie(cookiePath))
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
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
func injectCookieToken(r *http.Request) {
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
		if json.Unmarshal(raw, &body) != nil || body == nil || hasRefreshToken(body) {
			r.Body = io.NopCloser(bytes.NewReader(raw))
			r.ContentLength = int64(len(raw))
			return
		}
	}
	// Both spellings may be present but empty; protojson rejects a field
	// given twice, so drop them before adding the real one.
	delete(body, "refresh_token")
	body["refreshToken"], _ = json.Marshal(cookie.Value)
	rewritten, _ := json.Marshal(body)
	r.Body = io.NopCloser(bytes.NewReader(rewritten))
	r.ContentLength = int64(len(rewritten))
	r.Header.Set("Content-Length", strconv.Itoa(len(rewritten)))
}

// hasRefreshToken reports whether the body names a non-empty refresh token.
func hasRefreshToken(body map[string]json.RawMessage) bool {
	for _, name := range []string{"refreshToken", "refresh_token"} {
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

// serveIssuingCookie runs a login or refresh and moves the new refresh token
// from a successful response into the cookie.
func serveIssuingCookie(cookiePath string, isRefresh bool, w http.ResponseWriter, r *http.Request, next http.Handler) {
	buffered := &bufferingWriter{header: http.Header{}}
	next.ServeHTTP(buffered, r)
	status := buffered.status
	if status == 0 {
		status = http.StatusOK
	}
	body := buffered.body.Bytes()
	switch {
	case status == http.StatusOK:
		if rewritten, cookie, ok := moveTokenToCookie(cookiePath, body); ok {
			body = rewritten
			http.SetCookie(w, cookie)
		}
	case status == http.StatusUnauthorized && isRefresh:
		http.SetCookie(w, expiredRefreshCookie(cookiePath))
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

// moveTokenToCookie removes "refreshToken" from a token response and returns
// the cookie that carries it instead; ok is false when the response does not
// have the expected shape (then it is passed on unchanged).
func moveTokenToCookie(cookiePath string, body []byte) ([]byte, *http.Cookie, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		return nil, nil, false
	}
	var token string
	if json.Unmarshal(fields["refreshToken"], &token) != nil || !cookieSafeToken(token) {
		return nil, nil, false
	}
	var maxAge int
	if json.Unmarshal(fields["refreshExpiresIn"], &maxAge) != nil || maxAge <= 0 {
		return nil, nil, false
	}
	delete(fields, "refreshToken")
	rewritten, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, false
	}
	cookie := refreshCookie(cookiePath)
	cookie.Value = token
	cookie.MaxAge = maxAge
	return append(rewritten, '\n'), cookie, true
}

func refreshCookie(cookiePath string) *http.Cookie {
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

// expiredRefreshCookie deletes the cookie in the browser (Max-Age=0).
func expiredRefreshCookie(cookiePath string) *http.Cookie {
	cookie := refreshCookie(cookiePath)
	cookie.MaxAge = -1 // net/http writes this as "Max-Age=0"
	return cookie
}
