# Shared settings and helpers for the local stack (`make up`) and the test
# runner (`make test`). Sourced, never executed.
#
# Everything a run creates lives under CT_RUN_DIR, so two stacks with
# different directories and ports can run side by side.

# shellcheck shell=bash

CT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CT_ROOT

# The services of the product, one line each:
#   <name> <Bazel target of the server binary> <database and role name> [VAR=value ...]
# The n-th line (from 0) listens on gRPC port CT_GRPC_PORT_BASE+n and gets a
# gateway sidecar on CT_SIDECAR_PORT_BASE+n. Optional VAR=value words are
# extra environment for that service; {grpc:<name>} and {http:<name>} in a
# value become the address of that service's gRPC port or sidecar, and
# {exchange-sim} the address of the local exchange simulator (which the
# stack then starts first, see exchange_sim.sh). A line
# whose Bazel package does not exist yet is skipped, so adding a service to
# the stack is one line here. Services start in this order.
CT_SERVICES=(
  "user      //services/user-service:user_service            userservice"
  "pricing   //services/pricing-service:pricing_service      pricingservice BINANCE_REST_URL=http://{exchange-sim} BINANCE_WS_URL=ws://{exchange-sim} COINGECKO_URL=http://{exchange-sim}/api/v3"
  "portfolio //services/portfolio-service:portfolio_service  portfolioservice"
  "alert     //services/alert-service:alert_service          alertservice"
)

# The gateway's default request body limit (MAX_BODY_BYTES); NGINX rejects
# larger bodies itself with the same limit so both layers agree.
CT_MAX_BODY_BYTES="${CT_MAX_BODY_BYTES:-1048576}"

ct_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ct_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ct_die() {
  printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}

ct_is_root() { [[ "$(id -u)" == 0 ]]; }

# Puts the tools `make deps` installs (grpcurl) and Go on PATH.
ct_setup_path() {
  PATH="${CT_ROOT}/.local/bin:${PATH}"
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH="${PATH}:/usr/local/go/bin"
  fi
  export PATH
}

# Fills in the CT_* defaults of one stack. Arguments are the defaults of
# `make up`; the test runner passes its own. Values already in the
# environment win, so every port and the directory can be overridden.
#   ct_configure <run dir> <http port> <pg port> <grpc base> <sidecar base>
ct_configure() {
  CT_RUN_DIR="${CT_RUN_DIR:-$1}"
  CT_HTTP_PORT="${CT_HTTP_PORT:-$2}"
  CT_PG_PORT="${CT_PG_PORT:-$3}"
  CT_GRPC_PORT_BASE="${CT_GRPC_PORT_BASE:-$4}"
  CT_SIDECAR_PORT_BASE="${CT_SIDECAR_PORT_BASE:-$5}"
  CT_KEYS_DIR="${CT_KEYS_DIR:-${CT_ROOT}/.local/keys}"
  CT_START_TIMEOUT="${CT_START_TIMEOUT:-90}"
  # The exchange simulator sits just below the next hundred of the sidecars
  # (15100 for `make up`, 16100 for `make test`).
  CT_EXCHANGE_SIM_PORT="${CT_EXCHANGE_SIM_PORT:-$((CT_SIDECAR_PORT_BASE + 99))}"
  local var
  for var in CT_HTTP_PORT CT_PG_PORT CT_GRPC_PORT_BASE CT_SIDECAR_PORT_BASE CT_START_TIMEOUT CT_EXCHANGE_SIM_PORT; do
    [[ "${!var}" =~ ^[0-9]+$ ]] || ct_die "${var} must be a number, got '${!var}'"
  done
  mkdir -p "${CT_RUN_DIR}"
  CT_RUN_DIR="$(cd "${CT_RUN_DIR}" && pwd)"
  CT_LOG_DIR="${CT_RUN_DIR}/logs"
  CT_PID_DIR="${CT_RUN_DIR}/pids"
  mkdir -p "${CT_LOG_DIR}" "${CT_PID_DIR}"
  export CT_RUN_DIR CT_HTTP_PORT CT_PG_PORT CT_GRPC_PORT_BASE CT_SIDECAR_PORT_BASE \
    CT_KEYS_DIR CT_START_TIMEOUT CT_LOG_DIR CT_PID_DIR CT_EXCHANGE_SIM_PORT
}

# Takes the stack's lock for the lifetime of the calling shell (fd 9), or
# says which process holds it and exits non-zero. Children must be started
# with `9>&-` so that the lock dies with the shell that took it.
ct_acquire_lock() {
  local lock="${CT_RUN_DIR}/stack.lock" owner=""
  exec 9>>"${lock}"
  if ! flock -n 9; then
    owner="$(cat "${CT_RUN_DIR}/stack.owner" 2>/dev/null || true)"
    ct_die "a stack is already running in ${CT_RUN_DIR}${owner:+ (pid ${owner})}; stop it first (Ctrl-C in its terminal)"
  fi
  echo "$$" >"${CT_RUN_DIR}/stack.owner"
}

# True when something accepts TCP connections on 127.0.0.1:<port>.
ct_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ct_require_free_port() {
  local port="$1" what="$2"
  if ct_port_in_use "${port}"; then
    ct_die "port ${port} (${what}) is already in use; pick another with the matching CT_*_PORT variable"
  fi
}

# Last lines of a log, indented, for error messages.
ct_tail_log() {
  local file="$1"
  [[ -f "${file}" ]] || return 0
  echo "---- last lines of ${file} ----" >&2
  tail -n 25 "${file}" | sed 's/^/    /' >&2
  echo "----" >&2
}

# Random alphanumeric secret of the given length (default 24).
ct_random_secret() {
  local length="${1:-24}" secret=""
  while ((${#secret} < length)); do
    secret+="$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  done
  printf '%s' "${secret:0:length}"
}

# Installs a Go command at a pinned module version into .local/bin, unless
# that version is already there (`go install` records the module version in
# the binary's build information, not in its --version output).
#   ct_go_install_pinned <module> <command package> <version>
ct_go_install_pinned() {
  local module="$1" package="$2" version="$3"
  local bin="${CT_ROOT}/.local/bin/${package##*/}"
  if [[ -x "${bin}" ]] && go version -m "${bin}" 2>/dev/null |
    grep -Eq "^[[:space:]]+mod[[:space:]]+${module}[[:space:]]+${version}[[:space:]]"; then
    ct_log "${package##*/} ${version} (${bin})"
    return 0
  fi
  ct_log "installing ${package##*/} ${version} into ${CT_ROOT}/.local/bin"
  mkdir -p "${CT_ROOT}/.local/bin"
  (cd "${CT_ROOT}/.local" && GOBIN="${CT_ROOT}/.local/bin" go install "${package}@${version}")
}
