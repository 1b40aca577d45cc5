#!/usr/bin/env bash
# Installs what building, running and testing Crypto Tracker needs on
# Debian 12: the Debian packages below (only those missing, through sudo
# when not root) and grpcurl (pinned, into .local/bin). Checks that Go and
# Node.js are recent enough; those come from outside Debian's archive.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# Go where the other scripts find it (PATH, else /usr/local/go/bin), and the
# grpcurl this installs into .local/bin.
ct_setup_path

readonly DEBIAN_PACKAGES=(
  bazel-bootstrap bazel-rules-java
  protobuf-compiler protobuf-compiler-grpc libgrpc++-dev libprotobuf-dev grpc-proto
  libpqxx-dev libspdlog-dev libsodium-dev libabsl-dev libgmock-dev libgtest-dev
  libssl-dev libcurl4-openssl-dev libbenchmark-dev nlohmann-json3-dev
  libboost-dev libboost-system-dev clang-format
  nginx postgresql-15 postgresql-client-15
  ca-certificates curl jq python3 openssl
  # HTTP load generator of the REST benchmarks (testing/bench, stage rest).
  wrk
  # The browser end-to-end tests drive Debian's Chromium (never a downloaded one).
  chromium
  # Container images (make images) and their smoke test: podman as root with
  # native overlay storage and CNI networking (its own dependencies), and
  # debootstrap for the locally made base image. The OCI runtime is added
  # below from deploy/images/containers.conf.
  podman debootstrap
)
readonly GRPCURL_VERSION=v1.9.3
readonly MIN_GO=1.22
readonly MIN_NODE=20

# The OCI runtime that deploy/images/containers.conf tells podman to use.
# Podman's Debian package is content with either crun or runc and brings crun,
# so the one the configuration names is installed explicitly.
container_runtime_package() {
  local conf="${CT_ROOT}/deploy/images/containers.conf" runtime
  runtime="$(sed -n 's/^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"\([a-z0-9-]*\)".*/\1/p' "${conf}" | head -n 1)"
  [[ -n "${runtime}" ]] || ct_die "${conf} names no OCI runtime (runtime = \"...\" under [engine])"
  printf '%s\n' "${runtime}"
}

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

install_debian_packages() {
  command -v dpkg-query >/dev/null || ct_die "dpkg-query not found: this needs Debian 12"
  local -a missing=() wanted=("${DEBIAN_PACKAGES[@]}")
  local package
  wanted+=("$(container_runtime_package)") || exit 1
  for package in "${wanted[@]}"; do
    installed "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} == 0)); then
    ct_log "Debian packages: all ${#wanted[@]} installed"
    return
  fi
  local -a sudo=()
  if ! ct_is_root; then
    command -v sudo >/dev/null || ct_die "missing packages (${missing[*]}) and no sudo to install them; run as root"
    sudo=(sudo)
  fi
  ct_log "installing: ${missing[*]}"
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

check_toolchains() {
  local go node go_version node_version
  go="$(command -v go || true)"
  [[ -n "${go}" ]] || ct_die "Go >= ${MIN_GO} is required (for the gateway and grpcurl) but 'go' was not found; install it from the Go project's releases"
  go_version="$("${go}" env GOVERSION)"
  go_version="${go_version#go}"
  version_at_least "${go_version}" "${MIN_GO}" ||
    ct_die "Go >= ${MIN_GO} is required, found ${go_version} (${go})"
  ct_log "Go ${go_version} (${go})"

  node="$(command -v node || true)"
  [[ -n "${node}" ]] || ct_die "Node.js >= ${MIN_NODE} is required (for the frontend) but 'node' was not found"
  node_version="$("${node}" --version)"
  node_version="${node_version#v}"
  version_at_least "${node_version}" "${MIN_NODE}" ||
    ct_die "Node.js >= ${MIN_NODE} is required, found ${node_version} (${node})"
  ct_log "Node.js ${node_version} (${node})"
}

install_grpcurl() {
  ct_go_install_pinned github.com/fullstorydev/grpcurl \
    github.com/fullstorydev/grpcurl/cmd/grpcurl "${GRPCURL_VERSION}"
}

install_debian_packages
check_toolchains
install_grpcurl
