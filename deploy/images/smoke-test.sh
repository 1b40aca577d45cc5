#!/usr/bin/env bash
# Smoke test of the production images: builds (or reuses from podman's layer
# cache) the user-service and gateway images, runs them side by side the way
# the Kubernetes pod does (non-root UID 10001, read-only root filesystem, no
# capabilities, no privilege escalation, the JWT key mounted read-only)
# against a throwaway PostgreSQL, and checks that
#   - both container processes run as UID/GID 10001, not root,
#   - both root filesystems are mounted read-only (and writing fails),
#   - user-service answers the gRPC health check with SERVING,
#   - the sidecar's /healthz answers 200,
#   - a user can register, log in and read their profile through the sidecar
#     (database, migrations, signing with the mounted key and verification).
# Where podman cannot run containers here (not root, podman missing or
# broken) it prints "SKIPPED: <reason>" and exits 77, the status
# scripts/lib/stages.sh reports as a skip, never as a pass; everything it
# starts is removed on exit.
#
#   deploy/images/smoke-test.sh
#   Environment: SMOKE_PG_PORT (55871), SMOKE_GRPC_PORT (55872),
#                SMOKE_HTTP_PORT (55873), SMOKE_TIMEOUT seconds (90)
set -euo pipefail

# shellcheck source=deploy/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/lib/postgres.sh
source "${CT_ROOT}/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/stages.sh
source "${CT_ROOT}/scripts/lib/stages.sh"
# A stack of its own: settings inherited from a caller's stack (make test
# exports them) would point at that stack's ports, data and processes.
unset CT_RUN_DIR CT_PG_DIR CT_HTTP_PORT CT_PG_PORT CT_GRPC_PORT_BASE CT_SIDECAR_PORT_BASE \
  CT_EXCHANGE_SIM_PORT CT_LOG_DIR CT_PID_DIR CT_PG_DATA CT_PG_SOCKET_DIR
ct_setup_path

readonly PG_PORT="${SMOKE_PG_PORT:-55871}"
readonly GRPC_PORT="${SMOKE_GRPC_PORT:-55872}"
readonly HTTP_PORT="${SMOKE_HTTP_PORT:-55873}"
readonly TIMEOUT="${SMOKE_TIMEOUT:-90}"
# The UID/GID of the images and of the manifests' securityContext.
readonly APP_ID=10001
readonly HEALTH_PROTO_ROOT=/usr/share/grpc-proto

# --- Can podman run containers here? ---------------------------------------
# Not being able to run containers here is no failure of the images, but no
# pass either: the caller sees a skip (ct_stage_skip).
command -v podman >/dev/null || ct_stage_skip "podman is not installed (apt-get install podman)"
[[ "$(id -u)" == 0 ]] || ct_stage_skip "the podman set-up here (deploy/images/containers.conf) is for root"
podman_info_error="$(podman info 2>&1 >/dev/null)" ||
  ct_stage_skip "podman cannot run here: ${podman_info_error} (make deps installs the OCI runtime that deploy/images/containers.conf names)"
if ! podman image exists docker.io/library/debian:bookworm-slim && ! command -v debootstrap >/dev/null; then
  ct_stage_skip "no debian:bookworm-slim image and no debootstrap to make one (apt-get install debootstrap)"
fi
for tool in curl jq openssl; do
  command -v "${tool}" >/dev/null || ct_die "${tool} is required (make deps)"
done
[[ -x "${CT_PG_BIN}/pg_ctl" ]] || ct_die "PostgreSQL 15 not found in ${CT_PG_BIN} (make deps)"

"${CT_IMAGES_DIR}/build.sh" user-service gateway

user_image="$(ct_image_ref user-service)"
gateway_image="$(ct_image_ref gateway)"
if ! runtime_error="$(podman run --rm --pull=never --network none --entrypoint /usr/bin/true "${user_image}" 2>&1)"; then
  ct_stage_skip "podman cannot start containers here: ${runtime_error}"
fi

# --- Throwaway PostgreSQL and key ------------------------------------------
for port in "${PG_PORT}" "${GRPC_PORT}" "${HTTP_PORT}"; do
  ct_require_free_port "${port}" "smoke test; see SMOKE_*_PORT"
done

run_dir="$(mktemp -d /tmp/cryptotracker-image-smoke.XXXXXX)"
# The postgres user keeps its data and socket below this directory.
chmod 0755 "${run_dir}"
suffix="$$"
user_container="ct-smoke-user-service-${suffix}"
gateway_container="ct-smoke-gateway-${suffix}"
cleanup() {
  local status=$?
  if ((status != 0)); then
    local container
    for container in "${user_container}" "${gateway_container}"; do
      if podman container exists "${container}" 2>/dev/null; then
        echo "---- podman logs ${container} ----" >&2
        podman logs --tail 30 "${container}" 2>&1 | sed 's/^/    /' >&2 || true
      fi
    done
  fi
  podman rm --force --ignore --time 5 "${user_container}" "${gateway_container}" >/dev/null 2>&1 || true
  ct_pg_stop
  rm -rf --one-file-system "${run_dir}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export CT_PG_DIR="${run_dir}/pg"
mkdir -p "${CT_PG_DIR}"
chmod 0755 "${CT_PG_DIR}"
ct_configure "${run_dir}" 0 "${PG_PORT}" "${GRPC_PORT}" "${HTTP_PORT}"
ct_pg_start "-c fsync=off"
db_password="$(ct_random_secret 24)"
ct_pg_ensure_database userservice "${db_password}"
ct_log "PostgreSQL on 127.0.0.1:${PG_PORT} (${CT_PG_DATA})"

# A fresh signing key for this run, readable by the container's user only.
key_file="${run_dir}/jwt-private.pem"
(umask 077 && openssl ecparam -name prime256v1 -genkey -noout |
  openssl pkcs8 -topk8 -nocrypt -out "${key_file}")
chown "${APP_ID}:${APP_ID}" "${key_file}"
chmod 0400 "${key_file}"

# --- The pod, as Kubernetes runs it ----------------------------------------
# Host networking stands in for the pod's shared network namespace: the
# sidecar dials the service on localhost, and the checks below reach both.
hardening=(
  --read-only
  --user "${APP_ID}:${APP_ID}"
  --cap-drop ALL
  --security-opt no-new-privileges
  --network host
  --pull never
)
ct_log "starting ${user_image}"
podman run --detach --name "${user_container}" "${hardening[@]}" \
  --env GRPC_PORT="${GRPC_PORT}" \
  --env LOG_LEVEL=info \
  --env DB_HOST=127.0.0.1 \
  --env DB_PORT="${PG_PORT}" \
  --env DB_NAME=userservice \
  --env DB_USER=userservice \
  --env DB_PASSWORD="${db_password}" \
  --env DB_POOL_SIZE=4 \
  --env SHUTDOWN_GRACE_SECONDS=5 \
  --env JWT_PRIVATE_KEY_FILE=/etc/cryptotracker/jwt/jwt-private.pem \
  --volume "${key_file}:/etc/cryptotracker/jwt/jwt-private.pem:ro" \
  "${user_image}" >/dev/null
ct_log "starting ${gateway_image}"
podman run --detach --name "${gateway_container}" "${hardening[@]}" \
  --env SERVICE=user \
  --env HTTP_PORT="${HTTP_PORT}" \
  --env GRPC_BACKEND="127.0.0.1:${GRPC_PORT}" \
  --env SHUTDOWN_GRACE_SECONDS=5 \
  "${gateway_image}" >/dev/null

grpc_serving() {
  local answer
  answer="$(grpcurl -plaintext -max-time 2 -import-path "${HEALTH_PROTO_ROOT}" \
    -proto grpc/health/v1/health.proto "127.0.0.1:${GRPC_PORT}" grpc.health.v1.Health/Check 2>/dev/null)" &&
    [[ "${answer}" == *'"SERVING"'* ]]
}
healthz_ok() {
  [[ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${HTTP_PORT}/healthz" 2>/dev/null)" == 200 ]]
}
container_running() {
  [[ "$(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" == true ]]
}
# Waits until "$@" succeeds while both containers keep running.
wait_for() {
  local what="$1" deadline=$((SECONDS + TIMEOUT))
  shift
  until "$@"; do
    container_running "${user_container}" || ct_die "user-service exited while waiting for ${what}"
    container_running "${gateway_container}" || ct_die "the gateway exited while waiting for ${what}"
    ((SECONDS < deadline)) || ct_die "no ${what} within ${TIMEOUT} s"
    sleep 1
  done
}

# --- Checks ------------------------------------------------------------------
checks=0
pass() {
  checks=$((checks + 1))
  ct_log "ok: $*"
}

if command -v grpcurl >/dev/null && [[ -f "${HEALTH_PROTO_ROOT}/grpc/health/v1/health.proto" ]]; then
  wait_for "gRPC health SERVING on :${GRPC_PORT}" grpc_serving
  pass "user-service gRPC health check (grpc.health.v1.Health/Check) answers SERVING"
else
  ct_stage_note_skip "the direct gRPC health check: grpcurl or Debian's grpc-proto is missing (make deps); covered only through the sidecar's /healthz"
fi
wait_for "sidecar /healthz 200 on :${HTTP_PORT}" healthz_ok
pass "sidecar GET /healthz answers 200 (it asks the service's gRPC health in turn)"

# Kernel state of each container's main process, read on the host.
for container in "${user_container}" "${gateway_container}"; do
  pid="$(podman inspect --format '{{.State.Pid}}' "${container}")"
  [[ "${pid}" =~ ^[1-9][0-9]*$ ]] || ct_die "no process id for ${container}"
  read -r _ ruid euid suid fsuid < <(grep '^Uid:' "/proc/${pid}/status")
  read -r _ rgid egid sgid fsgid < <(grep '^Gid:' "/proc/${pid}/status")
  for id in "${ruid}" "${euid}" "${suid}" "${fsuid}" "${rgid}" "${egid}" "${sgid}" "${fsgid}"; do
    [[ "${id}" == "${APP_ID}" ]] ||
      ct_die "${container} runs as uid ${ruid}/${euid}/${suid}/${fsuid} gid ${rgid}/${egid}/${sgid}/${fsgid}, expected ${APP_ID}"
  done
  pass "${container} process ${pid} runs as uid=${euid} gid=${egid} (non-root)"
  cap_eff="$(awk '/^CapEff:/ { print $2 }' "/proc/${pid}/status")"
  no_new_privs="$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/${pid}/status")"
  [[ "${cap_eff}" =~ ^0+$ && "${no_new_privs}" == 1 ]] ||
    ct_die "${container}: effective capabilities ${cap_eff}, NoNewPrivs ${no_new_privs}"
  pass "${container} has no capabilities and no_new_privs set"
  root_options="$(awk '$5 == "/" { print $6 }' "/proc/${pid}/mountinfo" | tail -n 1)"
  [[ ",${root_options}," == *,ro,* ]] || ct_die "${container}: root filesystem is mounted '${root_options}', not read-only"
  pass "${container} root filesystem is mounted read-only (${root_options})"
done

# Writing really fails (the user-service image has coreutils; the gateway
# image has no programs besides the gateway, so its mount flags above suffice).
if write_error="$(podman exec "${user_container}" /usr/bin/touch /probe 2>&1)"; then
  ct_die "user-service could write to its root filesystem"
fi
[[ "${write_error}" == *"Read-only file system"* ]] || ct_die "writing to / failed for another reason: ${write_error}"
pass "writing to / in user-service fails: Read-only file system"

# One real journey through the sidecar.
api="http://127.0.0.1:${HTTP_PORT}/api/v1"
email="smoke-${suffix}@example.com"
password="Smoke-$(ct_random_secret 20)"
request() {
  local method="$1" url="$2"
  shift 2
  curl -sS --max-time 10 -X "${method}" -H 'Content-Type: application/json' -w '\n%{http_code}' "$@" "${url}"
}
expect_status() {
  local what="$1" expected="$2" response="$3" status
  status="$(tail -n 1 <<<"${response}")"
  [[ "${status}" == "${expected}" ]] || ct_die "${what}: HTTP ${status} (expected ${expected}): $(sed '$d' <<<"${response}")"
  sed '$d' <<<"${response}"
}
body="$(jq -cn --arg email "${email}" --arg password "${password}" \
  '{email: $email, password: $password, display_name: "Smoke Test"}')"
registered="$(expect_status register 200 "$(request POST "${api}/auth/register" --data "${body}")")"
[[ "$(jq -r '.user.email' <<<"${registered}")" == "${email}" ]] || ct_die "register answered ${registered}"
pass "POST /api/v1/auth/register created ${email}"
body="$(jq -cn --arg email "${email}" --arg password "${password}" '{email: $email, password: $password}')"
tokens="$(expect_status login 200 "$(request POST "${api}/auth/login" --data "${body}")")"
access_token="$(jq -r '.access_token // .accessToken // empty' <<<"${tokens}")"
[[ "${access_token}" == *.*.* ]] || ct_die "login answered no access token: ${tokens}"
pass "POST /api/v1/auth/login issued an access token signed with the mounted key"
me="$(expect_status me 200 "$(request GET "${api}/users/me" -H "Authorization: Bearer ${access_token}")")"
[[ "$(jq -r '.user.email // .email' <<<"${me}")" == "${email}" ]] || ct_die "users/me answered ${me}"
pass "GET /api/v1/users/me with that token returns the new user"

ct_log "PASSED: ${checks} checks against ${user_image} and ${gateway_image}"
