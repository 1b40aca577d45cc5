package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// withParameterAliases renames query parameters given under an accepted
// other name (alias -> contract name, from service.Options.ParameterAliases)
// before the request reaches the generated routes, which would silently
// ignore an unknown name. Both names of one parameter are a 400.
func withParameterAliases(aliases map[string]string, errs *errorWriter, next http.Handler) http.Handler {
	markers := make([]string, 0, len(aliases))
	for alias := range aliases {
		markers = append(markers, alias+"=")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !containsAny(r.URL.RawQuery, markers) {
			next.ServeHTTP(w, r)
			return
		}
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			// Left to the generated route, which answers it as before.
			next.ServeHTTP(w, r)
			return
		}
		changed := false
		for alias, target := range aliases {
			values, found := query[alias]
			if !found {
				continue
			}
			if _, both := query[target]; both {
				errs.handleError(r.Context(), nil, nil, w, r, status.Errorf(codes.InvalidArgument,
					"%s: given both as %q and as %q; use one", target, alias, target))
				return
			}
			query[target] = values
			delete(query, alias)
			changed = true
		}
		if changed {
			clone := r.Clone(r.Context())
			clone.URL.RawQuery = query.Encode()
			r = clone
		}
		next.ServeHTTP(w, r)
	})
}

// withQueryAliases rewrites query values found in aliases (parameter name ->
// alias -> contract value, from service.Options.QueryAliases) before the
// request reaches the generated routes. Unknown values are left alone so
// that the service names them in its INVALID_ARGUMENT answer.
func withQueryAliases(aliases map[string]map[string]string, next http.Handler) http.Handler {
	// Cheap pre-check on the raw query: most requests carry none of the
	// parameters and skip the parse below.
	markers := make([]string, 0, len(aliases))
	for parameter := range aliases {
		markers = append(markers, parameter+"=")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !containsAny(r.URL.RawQuery, markers) {
			next.ServeHTTP(w, r)
			return
		}
		query := r.URL.Query()
		changed := false
		for parameter, byAlias := range aliases {
			for i, value := range query[parameter] {
				if target, found := byAlias[value]; found {
					query[parameter][i] = target
					changed = true
				}
			}
		}
		if changed {
			clone := r.Clone(r.Context())
			clone.URL.RawQuery = query.Encode()
			r = clone
		}
		next.ServeHTTP(w, r)
	})
}

func containsAny(s string, substrings []string) bool {
	for _, substring := range substrings {
		if strings.Contains(s, substring) {
			return true
		}
	}
	return false
}
