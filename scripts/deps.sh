#!/usr/bin/env bash
# Installs what building, running and testing Crypto Tracker needs on
# Debian 12: the Debian packages below (only those missing, through sudo
# when not root) and grpcurl (pinned, into .local/bin). Checks that Go and
# Node.js are recent enough; those come from outside Debian's archive.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

readonly DEBIAN_PACKAGES=(
  bazel-bootstrap bazel-rules-java
  protobuf-compiler protobuf-compiler-grpc libgrpc++-dev libprotobuf-dev grpc-proto
  libpqxx-dev libspdlog-dev libsodium-dev libabsl-dev libgmock-dev libgtest-dev
  libssl-dev libcurl4-openssl-dev libbenchmark-dev nlohmann-json3-dev
  libboost-dev libboost-system-dev clang-format
  nginx postgresql-15 postgresql-client-15
  ca-certificates curl jq python3 openssl
  # The browser end-to-end tests drive Debian's Chromium (never a downloaded one).
  chromium
  # Container images (make images) and their smoke test.
  podman debootstrap
)
readonly GRPCURL_VERSION=v1.9.3
readonly MIN_GO=1.22
readonly MIN_NODE=20

log() { printf '[deps] %s\n' "$*"; }
fail() {
  printf '[deps] ERROR: %s\n' "$*" >&2
  exit 1
}

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

install_debian_packages() {
  command -v dpkg-query >/dev/null || fail "dpkg-query not found: this needs Debian 12"
  local -a missing=()
  local package
  for package in "${DEBIAN_PACKAGES[@]}"; do
    installed "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all ${#DEBIAN_PACKAGES[@]} installed"
    return
  fi
  local -a sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || fail "missing packages (${missing[*]}) and no sudo to install them; run as root"
    sudo=(sudo)
  fi
  log "installing: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" </dev/null
  # Debian starts the nginx and PostgreSQL system services on install; the
  # stack does not need them, but they are left as the administrator set them.
}

# Succeeds when version $1 >= version $2 (dotted numbers).
version_at_least() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

find_go() {
  if command -v go >/dev/null; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  fi
}

check_toolchains() {
  local go node go_version node_version
  go="$(find_go)"
  [[ -n "${go}" ]] || fail "Go >= ${MIN_GO} is required (for the gateway and grpcurl) but 'go' was not found; install it from the Go project's releases"
  go_version="$("${go}" env GOVERSION)"
  go_version="${go_version#go}"
  version_at_least "${go_version}" "${MIN_GO}" ||
    fail "Go >= ${MIN_GO} is required, found ${go_version} (${go})"
  log "Go ${go_version} (${go})"

  node="$(command -v node || true)"
  [[ -n "${node}" ]] || fail "Node.js >= ${MIN_NODE} is required (for the frontend) but 'node' was not found"
  node_version="$("${node}" --version)"
  node_version="${node_version#v}"
  version_at_least "${node_version}" "${MIN_NODE}" ||
    fail "Node.js >= ${MIN_NODE} is required, found ${node_version} (${node})"
  log "Node.js ${node_version} (${node})"
}

install_grpcurl() {
  local bin="${ROOT}/.local/bin/grpcurl"
  # `go install` leaves no version in -version's output; the module version
  # is in the binary's build information.
  if [[ -x "${bin}" ]] &&
    "$(find_go)" version -m "${bin}" 2>/dev/null |
    grep -E "^[[:space:]]+mod[[:space:]]+github.com/fullstorydev/grpcurl[[:space:]]+${GRPCURL_VERSION}[[:space:]]" >/dev/null; then
    log "grpcurl ${GRPCURL_VERSION} (${bin})"
    return
  fi
  log "installing grpcurl ${GRPCURL_VERSION} into ${ROOT}/.local/bin"
  mkdir -p "${ROOT}/.local/bin"
  (cd "${ROOT}/.local" && GOBIN="${ROOT}/.local/bin" "$(find_go)" install \
    "github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}")
}

install_debian_packages
check_toolchains
install_grpcurl
