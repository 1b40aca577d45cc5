# The C++ services of CT_SERVICES and their gateway sidecars.

# shellcheck shell=bash

CT_GATEWAY_BIN="${CT_GATEWAY_BIN:-${CT_ROOT}/gateway/bin/gateway}"

# The compilation mode whose binaries the stack runs: the one `make` built
# them in (Makefile). opt for `make up` (scripts/up.sh) and the benchmarks,
# fastbuild for `make test`. Exported for the tools the stack's callers run
# (testing/e2e/cases/pricing_client.py finds its binary by it).
export CT_COMPILATION_MODE="${CT_COMPILATION_MODE:-fastbuild}"

# Bazel's output directory for binaries of CT_COMPILATION_MODE. Asked from
# Bazel rather than read from the bazel-bin symlink, which follows whichever
# output base and compilation mode built in this workspace last.
ct_bazel_bin_dir() {
  if [[ -z "${CT_BAZEL_BIN:-}" ]]; then
    [[ "${CT_COMPILATION_MODE}" =~ ^(fastbuild|opt|dbg)$ ]] ||
      ct_die "CT_COMPILATION_MODE must be fastbuild, opt or dbg, got '${CT_COMPILATION_MODE}'"
    CT_BAZEL_BIN="$(cd "${CT_ROOT}" && bazel info -c "${CT_COMPILATION_MODE}" bazel-bin 2>/dev/null)" ||
      ct_die "bazel info bazel-bin failed; is Bazel installed (make deps)?"
    export CT_BAZEL_BIN
  fi
  echo "${CT_BAZEL_BIN}"
}

# Path of a Bazel target's output: //a/b:c -> <bazel-bin>/a/b/c.
ct_bazel_bin_path() {
  local label="${1#//}" bin
  bin="$(ct_bazel_bin_dir)" || exit 1
  echo "${bin}/${label%%:*}/${label#*:}"
}

# Prints those of the given Bazel labels that exist, one a line. Asks Bazel
# (one query for all); a label whose package does not exist is not an error.
ct_existing_bazel_targets() {
  local -a candidates=()
  local label package
  for label in "$@"; do
    package="${label#//}"
    package="${CT_ROOT}/${package%%:*}"
    # Without a BUILD file there is no package: no need to ask.
    [[ -f "${package}/BUILD.bazel" || -f "${package}/BUILD" ]] && candidates+=("${label}")
  done
  ((${#candidates[@]} > 0)) || return 0
  local output status=0
  output="$(cd "${CT_ROOT}" && bazel query --keep_going --noshow_progress "set(${candidates[*]})" 2>/dev/null)" ||
    status=$?
  # 3: some labels do not exist, which is what is being asked.
  ((status == 0 || status == 3)) || ct_die "bazel query for the service targets failed (status ${status})"
  printf '%s\n' "${output}"
}

# Fills CT_ACTIVE_SERVICES with "<name> <index> <database> <binary> [env...]"
# for every CT_SERVICES entry whose Bazel target exists; the index fixes the
# ports. A target that exists but whose binary is missing means the build
# was skipped: that is an error, not a skip.
ct_select_services() {
  CT_ACTIVE_SERVICES=()
  local entry name target database extra index=0 binary existing override
  # Once here, not in each $(...) below, so the answer is kept.
  ct_bazel_bin_dir >/dev/null
  local -a targets=()
  for entry in "${CT_SERVICES[@]}"; do
    read -r _ target _ <<<"${entry}"
    targets+=("${target}")
  done
  existing="$(ct_existing_bazel_targets "${targets[@]}")" || exit 1
  for entry in "${CT_SERVICES[@]}"; do
    read -r name target database extra <<<"${entry}"
    if grep -qxF -- "${target}" <<<"${existing}"; then
      # CT_BINARY_<name> runs another build of the server, e.g. the -c opt
      # one the benchmarks use.
      override="CT_BINARY_${name}"
      binary="${!override:-$(ct_bazel_bin_path "${target}")}"
      [[ -x "${binary}" ]] ||
        ct_die "${target} is not built in ${CT_COMPILATION_MODE} (no ${binary}); run CT_COMPILATION_MODE=${CT_COMPILATION_MODE} make build"
      CT_ACTIVE_SERVICES+=("${name} ${index} ${database} ${binary}${extra:+ ${extra}}")
    else
      ct_log "skipping ${name}-service: ${target} does not exist yet"
    fi
    index=$((index + 1))
  done
  ((${#CT_ACTIVE_SERVICES[@]} > 0)) || ct_die "no service of CT_SERVICES exists yet"
  [[ -x "${CT_GATEWAY_BIN}" ]] || ct_die "gateway sidecar not built (no ${CT_GATEWAY_BIN}); run make build"
}

ct_grpc_port() { echo $((CT_GRPC_PORT_BASE + $1)); }
ct_sidecar_port() { echo $((CT_SIDECAR_PORT_BASE + $1)); }

# Index of a service in CT_SERVICES.
ct_service_index() {
  local entry name index=0
  for entry in "${CT_SERVICES[@]}"; do
    read -r name _ <<<"${entry}"
    [[ "${name}" == "$1" ]] && { echo "${index}"; return 0; }
    index=$((index + 1))
  done
  ct_die "unknown service '$1' (not in CT_SERVICES)"
}

# Expands {grpc:<name>} and {http:<name>} in a service's extra environment
# (e.g. PRICING_GRPC_ADDR={grpc:pricing}) to the local addresses, and
# {exchange-sim} to the exchange simulator's.
ct_expand_service_env() {
  local value="$1" kind name
  value="${value//"{exchange-sim}"/127.0.0.1:${CT_EXCHANGE_SIM_PORT}}"
  while [[ "${value}" =~ \{(grpc|http):([a-z]+)\} ]]; do
    kind="${BASH_REMATCH[1]}"
    name="${BASH_REMATCH[2]}"
    if [[ "${kind}" == grpc ]]; then
      value="${value//"${BASH_REMATCH[0]}"/127.0.0.1:$(ct_grpc_port "$(ct_service_index "${name}")")}"
    else
      value="${value//"${BASH_REMATCH[0]}"/127.0.0.1:$(ct_sidecar_port "$(ct_service_index "${name}")")}"
    fi
  done
  echo "${value}"
}

# One database and login role per entry of CT_SERVICES, built or not yet,
# so a service added later finds its database ready.
ct_ensure_all_databases() {
  local entry database password
  for entry in "${CT_SERVICES[@]}"; do
    read -r _ _ database _ <<<"${entry}"
    password="$(ct_pg_password "${database}")" || ct_die "no password for ${database}"
    ct_pg_ensure_database "${database}" "${password}" || ct_die "creating database ${database} failed"
  done
}

# The ES256 key pair of the user-service, made once by jwt_keygen and kept.
ct_ensure_jwt_keys() {
  if [[ -s "${CT_KEYS_DIR}/private.pem" && -s "${CT_KEYS_DIR}/public.pem" ]]; then
    return 0
  fi
  local keygen
  keygen="$(ct_bazel_bin_path //services/common:jwt_keygen)" || exit 1
  [[ -x "${keygen}" ]] || ct_die "no ${keygen}; run make build"
  mkdir -p "${CT_KEYS_DIR}"
  chmod 0700 "${CT_KEYS_DIR}"
  ct_log "generating the JWT signing keys in ${CT_KEYS_DIR}"
  "${keygen}" "${CT_KEYS_DIR}" >>"${CT_LOG_DIR}/jwt_keygen.log" 2>&1 || {
    ct_tail_log "${CT_LOG_DIR}/jwt_keygen.log"
    ct_die "jwt_keygen failed"
  }
  [[ -s "${CT_KEYS_DIR}/private.pem" && -s "${CT_KEYS_DIR}/public.pem" ]] ||
    ct_die "jwt_keygen did not write private.pem and public.pem into ${CT_KEYS_DIR}"
}

# Starts the C++ server of a service (its database exists:
# ct_ensure_all_databases).
#   ct_service_spawn_server "<entry of CT_ACTIVE_SERVICES>"
ct_service_spawn_server() {
  local name index database binary extra
  local -a extra_env=()
  read -r name index database binary extra <<<"$1"
  read -r -a extra_env <<<"${extra}"
  local grpc_port password
  grpc_port="$(ct_grpc_port "${index}")"
  ct_require_free_port "${grpc_port}" "${name}-service gRPC, CT_GRPC_PORT_BASE"
  password="$(ct_pg_password "${database}")" || ct_die "no password for ${database}"

  local -a service_env=(
    "GRPC_PORT=${grpc_port}"
    "LOG_LEVEL=${CT_LOG_LEVEL:-info}"
    "DB_HOST=127.0.0.1"
    "DB_PORT=${CT_PG_PORT}"
    "DB_NAME=${database}"
    "DB_USER=${database}"
    "DB_PASSWORD=${password}"
    "JWT_PUBLIC_KEY_FILE=${CT_KEYS_DIR}/public.pem"
  )
  if [[ "${name}" == user ]]; then
    service_env+=("JWT_PRIVATE_KEY_FILE=${CT_KEYS_DIR}/private.pem")
  fi
  # CT_EXTRA_ENV_<name>: more VAR=value words from the caller (the
  # benchmarks), after the stack's own so that they win.
  local extra_var="CT_EXTRA_ENV_${name}"
  local -a caller_env=()
  read -r -a caller_env <<<"${!extra_var:-}"
  local assignment
  for assignment in "${extra_env[@]}" "${caller_env[@]}"; do
    service_env+=("$(ct_expand_service_env "${assignment}")")
  done
  ct_spawn "${name}-service" env "${service_env[@]}" "${binary}"
}

# Starts a service and its sidecar. Health is checked separately
# (ct_service_wait_healthy) so that all services can start at once.
#   ct_service_start "<entry of CT_ACTIVE_SERVICES>"
ct_service_start() {
  local name index
  read -r name index _ <<<"$1"
  local grpc_port sidecar_port
  grpc_port="$(ct_grpc_port "${index}")"
  sidecar_port="$(ct_sidecar_port "${index}")"
  ct_require_free_port "${sidecar_port}" "${name} sidecar, CT_SIDECAR_PORT_BASE"
  ct_log "starting ${name}-service (gRPC ${grpc_port}) and its sidecar (HTTP ${sidecar_port})"
  ct_service_spawn_server "$1"
  ct_spawn "${name}-gateway" env \
    "SERVICE=${name}" \
    "HTTP_PORT=${sidecar_port}" \
    "GRPC_BACKEND=127.0.0.1:${grpc_port}" \
    "MAX_BODY_BYTES=${CT_MAX_BODY_BYTES}" \
    "${CT_GATEWAY_BIN}"
}

# Stops a running service's C++ server (SIGTERM, as Kubernetes would) and
# starts it again with the same settings, leaving its sidecar running;
# returns once it is healthy again. For tests of restarts.
#   ct_service_restart <name>
ct_service_restart() {
  local entry found=""
  for entry in "${CT_ACTIVE_SERVICES[@]}"; do
    [[ "${entry}" == "$1 "* ]] && found="${entry}"
  done
  [[ -n "${found}" ]] || ct_die "$1-service is not part of this stack"
  ct_log "restarting $1-service"
  ct_stop_process "$1-service"
  ct_service_spawn_server "${found}"
  ct_service_wait_healthy "${found}"
}

# The health check uses the contract from Debian's grpc-proto rather than
# server reflection, so readiness does not depend on what reflection lists.
CT_HEALTH_PROTO_ROOT=/usr/share/grpc-proto

ct_grpc_serving() {
  local answer
  answer="$(grpcurl -plaintext -max-time 2 -import-path "${CT_HEALTH_PROTO_ROOT}" \
    -proto grpc/health/v1/health.proto "127.0.0.1:$1" grpc.health.v1.Health/Check 2>/dev/null)" &&
    [[ "${answer}" == *'"SERVING"'* ]]
}

ct_http_ok() {
  curl -fsS -o /dev/null --max-time 2 "$1"
}

# Waits until the service answers its gRPC health check and the sidecar's
# /healthz (which asks the service in turn) says 200.
ct_service_wait_healthy() {
  local name index
  read -r name index _ <<<"$1"
  if command -v grpcurl >/dev/null 2>&1; then
    ct_wait_until "${name}-service" "gRPC health on port $(ct_grpc_port "${index}")" \
      ct_grpc_serving "$(ct_grpc_port "${index}")"
  fi
  ct_wait_until "${name}-gateway" "sidecar /healthz on port $(ct_sidecar_port "${index}")" \
    ct_http_ok "http://127.0.0.1:$(ct_sidecar_port "${index}")/healthz"
}
