package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// withQueryAliases rewrites the query before the request reaches the
// generated routes, for a service's ParameterAliases and QueryAliases:
//   - names: accepted parameter name -> the contract's name. The generated
//     routes would silently ignore an unknown name; both names of one
//     parameter are a 400.
//   - values: parameter name -> accepted value -> the contract's value,
//     after the renaming. Unknown values are left alone so that the service
//     names them in its INVALID_ARGUMENT answer.
func withQueryAliases(names map[string]string, values map[string]map[string]string, errs *errorWriter,
	next http.Handler) http.Handler {
	// Cheap pre-check on the raw query: most requests carry none of the
	// parameters and skip the parse below.
	markers := make([]string, 0, len(names)+len(values))
	for alias := range names {
		markers = append(markers, alias+"=")
	}
	for parameter := range values {
		markers = append(markers, parameter+"=")
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
		for alias, target := range names {
			given, found := query[alias]
			if !found {
				continue
			}
			if _, both := query[target]; both {
				errs.handleError(r.Context(), nil, nil, w, r, status.Errorf(codes.InvalidArgument,
					"%s: given both as %q and as %q; use one", target, alias, target))
				return
			}
			query[target] = given
			delete(query, alias)
			changed = true
		}
		for parameter, byAlias := range values {
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
