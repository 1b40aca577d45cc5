# The local ingress: Debian's nginx binary with a generated configuration
# (templates in deploy/local/), its own pid, logs and temp paths under
# CT_RUN_DIR/nginx. /etc/nginx and the system service are left alone.

# shellcheck shell=bash

CT_NGINX_BIN="${CT_NGINX_BIN:-/usr/sbin/nginx}"
CT_NGINX_TEMPLATES="${CT_ROOT}/deploy/local"

# The micro-cache of public reads (deploy/local/public-read-cache.conf.template):
# on by default, as users meet the ingress; off renders no cache at all, so
# the benchmarks can measure the path through the sidecar.
# Exported: the end-to-end cases of the cache skip when it is off.
export CT_INGRESS_CACHE="${CT_INGRESS_CACHE:-on}"

# The routes the micro-cache serves, one line each: <service> <regular
# expression of the request path>. Only reads of public data whose contract
# allows answers 250 ms old (proto/cryptotracker/pricing/v1/pricing_service.proto);
# never a stream, never anything that needs authentication.
CT_NGINX_PUBLIC_READS=(
  "pricing ^/pricing-service/api/v1/(?:prices|assets|assets/[^/]+/(?:candles|analysis)|market/summary)$"
)

# Replaces every @KEY@ of a text with a value: ct_fill <text> KEY value ...
ct_fill() {
  local text="$1"
  shift
  while (($# >= 2)); do
    text="${text//"@$1@"/"$2"}"
    shift 2
  done
  printf '%s' "${text}"
}

# Where `/` is served from: the built SPA when it exists, else a page that
# says the frontend has not been built.
ct_nginx_document_root() {
  local dist="${CT_ROOT}/frontend/dist"
  if [[ -f "${dist}/index.html" ]]; then
    echo "${dist}"
    return
  fi
  local placeholder="${CT_RUN_DIR}/nginx/placeholder"
  mkdir -p "${placeholder}"
  cat >"${placeholder}/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Crypto Tracker</title></head>
<body>
  <h1>Crypto Tracker</h1>
  <p>The frontend is not built yet (no <code>frontend/dist/index.html</code>).
  The REST API is available under <code>/user-service/api/v1/...</code>.</p>
</body>
</html>
HTML
  echo "${placeholder}"
}

# The micro-cached routes of one service (empty when it has none or the
# cache is off).
ct_nginx_public_read_routes() {
  local service="$1" entry name paths
  [[ "${CT_INGRESS_CACHE}" == on ]] || return 0
  for entry in "${CT_NGINX_PUBLIC_READS[@]}"; do
    read -r name paths <<<"${entry}"
    [[ "${name}" == "${service}" ]] || continue
    ct_fill "$(<"${CT_NGINX_TEMPLATES}/public-read-routes.conf.template")" SERVICE "${name}" PATHS "${paths}"
    printf '\n'
  done
}

# Writes CT_RUN_DIR/nginx/nginx.conf with routes for every service of the
# stack (CT_SERVICES), whether or not it runs: a route whose sidecar is
# down answers with a JSON 502, as the real ingress would.
ct_nginx_render_config() {
  local nginx_dir="${CT_RUN_DIR}/nginx"
  [[ "${CT_INGRESS_CACHE}" == on || "${CT_INGRESS_CACHE}" == off ]] ||
    ct_die "CT_INGRESS_CACHE must be on or off, got '${CT_INGRESS_CACHE}'"
  # Under temp/ so that it belongs to the worker user like the rest of it;
  # emptied on every start: nothing in it outlives a second anyway.
  rm -rf "${nginx_dir}/temp/public-reads"
  mkdir -p "${nginx_dir}/temp"
  local public_read_cache="# (no micro-cache: CT_INGRESS_CACHE=off)"
  if [[ "${CT_INGRESS_CACHE}" == on ]]; then
    mkdir -p "${nginx_dir}/temp/public-reads"
    public_read_cache="$(ct_fill "$(<"${CT_NGINX_TEMPLATES}/public-read-cache.conf.template")" \
      CACHE_DIR "${nginx_dir}/temp/public-reads")"
  fi
  local upstreams="" routes="" entry name index=0 port
  local route_template
  route_template="$(<"${CT_NGINX_TEMPLATES}/service-routes.conf.template")"
  for entry in "${CT_SERVICES[@]}"; do
    read -r name _ <<<"${entry}"
    port=$((CT_SIDECAR_PORT_BASE + index))
    upstreams+="    upstream ${name}_sidecar {
        server 127.0.0.1:${port} max_fails=0;
        keepalive 8;
    }
"
    routes+="$(ct_fill "${route_template}" SERVICE "${name}" SIDECAR_PORT "${port}" \
      PUBLIC_READ_ROUTES "$(ct_nginx_public_read_routes "${name}")")
"
    index=$((index + 1))
  done

  local listen="        listen 127.0.0.1:${CT_HTTP_PORT};"
  if [[ -s /proc/net/if_inet6 ]]; then
    listen+="
        listen [::1]:${CT_HTTP_PORT};"
  fi

  local document_root user_directive="# (not root: worker processes run as the invoking user)"
  document_root="$(ct_nginx_document_root)"
  if ct_is_root; then
    # Workers drop root; they only read the document root and write temp.
    if runuser -u nobody -- test -r "${document_root}/index.html" 2>/dev/null; then
      user_directive="user nobody nogroup;"
      chown -R nobody:nogroup "${nginx_dir}/temp"
    else
      ct_warn "user nobody cannot read ${document_root}; NGINX workers run as root"
      user_directive="user root root;"
    fi
  fi

  ct_fill "$(<"${CT_NGINX_TEMPLATES}/nginx.conf.template")" \
    USER_DIRECTIVE "${user_directive}" \
    NGINX_DIR "${nginx_dir}" \
    LOG_DIR "${CT_LOG_DIR}" \
    MAX_BODY_BYTES "${CT_MAX_BODY_BYTES}" \
    PUBLIC_READ_CACHE "${public_read_cache}" \
    UPSTREAMS "${upstreams}" \
    LISTEN "${listen}" \
    SERVICE_ROUTES "${routes}" \
    DOCUMENT_ROOT "${document_root}" \
    >"${nginx_dir}/nginx.conf"
  printf '\n' >>"${nginx_dir}/nginx.conf"

  "${CT_NGINX_BIN}" -t -q -p "${nginx_dir}" -c "${nginx_dir}/nginx.conf" -e "${CT_LOG_DIR}/nginx-error.log" \
    >>"${CT_LOG_DIR}/nginx.log" 2>&1 || {
    ct_tail_log "${CT_LOG_DIR}/nginx.log"
    ct_die "the generated NGINX configuration ${nginx_dir}/nginx.conf is invalid"
  }
}

ct_nginx_start() {
  [[ -x "${CT_NGINX_BIN}" ]] || ct_die "nginx not found at ${CT_NGINX_BIN}; run make deps"
  ct_require_free_port "${CT_HTTP_PORT}" "ingress, CT_HTTP_PORT"
  ct_nginx_render_config
  local nginx_dir="${CT_RUN_DIR}/nginx"
  ct_log "starting NGINX ingress on http://localhost:${CT_HTTP_PORT}"
  ct_spawn nginx "${CT_NGINX_BIN}" -p "${nginx_dir}" -c "${nginx_dir}/nginx.conf" \
    -e "${CT_LOG_DIR}/nginx-error.log"
  ct_wait_until nginx "HTTP on port ${CT_HTTP_PORT}" \
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${CT_HTTP_PORT}/"
}
