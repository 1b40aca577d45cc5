#!/usr/bin/env bash
# Runs every test of the repository against a stack of its own, so it works
# while `make up` runs: Bazel unit and integration tests, the gateway's Go
# tests, the Kubernetes manifest checks, the frontend's unit and browser
# tests, the container image smoke test and the end-to-end suite
# (testing/e2e). `make test` builds first and then runs this.
#
# Each stage ends passed, FAILED or SKIPPED (with the reason), on its own
# line and again in the summary (lib/stages.sh). Exits non-zero if a stage
# failed, or, with CI=true, if a stage was skipped (wholly or in part) and
# testing/expected-skips.txt does not declare why. The last line is the
# end-to-end count, "N passed, N failed".
#
# Settings (environment), defaults chosen not to collide with `make up`:
# CT_RUN_DIR (.local/test), CT_HTTP_PORT (18080), CT_PG_PORT (55433),
# CT_GRPC_PORT_BASE (51051), CT_SIDECAR_PORT_BASE (16001). CT_TEST_STAGES
# (e.g. "start test stack,end-to-end suite") runs only the stages named; the
# others are reported as skipped.
set -uo pipefail

# shellcheck source=lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stack.sh"
# shellcheck source=lib/stages.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stages.sh"

ct_configure "${CT_ROOT}/.local/test" 18080 55433 51051 16001
ct_acquire_lock
ct_setup_path

# The test stack fills the same intervals as `make up` (daily since 2017,
# so every indicator of the daily analysis is filled) but one-minute, hourly
# and 4-hour candles only as deep as the suite reads: the full depth is
# about 3,300 exchange requests and 3 million candles, minutes of database
# work that would share the two cores with the tests.
export CT_EXTRA_ENV_pricing="CANDLE_HISTORY_1M_DAYS=2 CANDLE_HISTORY_1H_DAYS=90 CANDLE_HISTORY_4H_DAYS=90 ${CT_EXTRA_ENV_pricing:-}"

# Integration tests connect as this role, which may create databases. The
# password is fixed so that Bazel can cache test results between runs; the
# server only listens on 127.0.0.1 and lives as long as this script.
readonly TEST_DB_ROLE=ct_test
readonly TEST_DB_PASSWORD=ct-test-local-only
readonly TEST_DATABASE_URL="postgresql://${TEST_DB_ROLE}:${TEST_DB_PASSWORD}@127.0.0.1:${CT_PG_PORT}/postgres"
# A throwaway server: durability only costs time here.
readonly TEST_PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"

teardown() {
  trap - EXIT INT TERM
  ct_banner "stopping the test stack"
  ct_stack_stop
}

finish() {
  local status=0 results="${CT_RUN_DIR}/e2e/results.txt"
  teardown
  ct_banner "summary"
  ct_stage_summary || status=1
  echo "  logs: ${CT_LOG_DIR}/"
  if [[ -s "${results}" ]]; then
    tail -n 1 "${results}"
  else
    echo "end-to-end suite did not run"
    echo "0 passed, 1 failed"
    status=1
  fi
  exit "${status}"
}
trap finish EXIT
trap 'exit 130' INT TERM

start_stack() {
  # Stages run in a subshell, so a failing start (ct_die) ends only this
  # stage; the processes it started are still stopped by teardown through
  # their pid files.
  set -e
  ct_stack_start "${TEST_PG_OPTIONS}"
  ct_pg_ensure_role "${TEST_DB_ROLE}" "${TEST_DB_PASSWORD}" CREATEDB
}

bazel_tests() {
  local -a flags=()
  [[ "${CI:-}" == true ]] && flags+=(--config=ci)
  # shellcheck disable=SC2086 # BAZEL_TARGETS is a list of patterns.
  # The mode the Makefile built in (fastbuild for `make test`), so nothing
  # is built twice.
  bazel test "${flags[@]}" -c "${CT_COMPILATION_MODE}" "--test_env=TEST_DATABASE_URL=${TEST_DATABASE_URL}" -- ${BAZEL_TARGETS:-//...}
  local status=$?
  if ((status == 4)); then
    # Bazel's "no test targets were found": nothing ran, which is no pass.
    ct_stage_skip "no test targets in ${BAZEL_TARGETS:-//...}"
  fi
  return "${status}"
}

gateway_tests() {
  if [[ ! -f "${CT_ROOT}/gateway/Makefile" ]]; then
    echo "gateway/Makefile does not exist yet"
    return 1
  fi
  make -C "${CT_ROOT}/gateway" test
}

# Renders every kustomization and checks it strictly against the Kubernetes
# API types, cross-references and kube-score (k8s/README.md).
k8s_tests() {
  (cd "${CT_ROOT}/k8s/validate" && go test ./...)
}

frontend_unit_tests() {
  (cd "${CT_ROOT}/frontend" && npm test)
}

# Real Chromium (Debian's) against the test stack's ingress. The stack runs
# pricing-service, so its market-data steps must run, not be skipped.
frontend_browser_tests() {
  (cd "${CT_ROOT}/frontend" &&
    CT_E2E_BASE_URL="http://127.0.0.1:${CT_HTTP_PORT}" \
      CT_E2E_OUTPUT="${CT_ROOT}/testing/output/browser" \
      CT_E2E_REQUIRE_PRICING="$([[ " ${CT_ACTIVE_SERVICES[*]} " == *" pricing "* ]] && echo 1 || echo 0)" \
      npm run e2e)
}

# Builds the user-service and gateway images with podman and runs them
# read-only as non-root against a throwaway PostgreSQL; SKIPPED (status 77)
# where podman cannot run containers (deploy/images/README.md).
image_smoke_test() {
  "${CT_ROOT}/deploy/images/smoke-test.sh"
}

e2e_tests() {
  local results="${CT_RUN_DIR}/e2e/results.txt" user_index pricing_index
  user_index="$(ct_service_index user)"
  pricing_index="$(ct_service_index pricing)"
  CT_E2E_BASE_URL="http://127.0.0.1:${CT_HTTP_PORT}" \
    CT_E2E_PRICING_GRPC_ADDR="127.0.0.1:$(ct_grpc_port "${pricing_index}")" \
    CT_E2E_EXCHANGE_SIM_URL="$(ct_exchange_sim_url)" \
    CT_E2E_RESTART_PRICING="'${CT_ROOT}/scripts/lib/restart_service.sh' pricing" \
    CT_E2E_USER_GRPC_ADDR="127.0.0.1:$(ct_grpc_port "${user_index}")" \
    CT_E2E_USER_SIDECAR_URL="http://127.0.0.1:$(ct_sidecar_port "${user_index}")" \
    CT_E2E_KEYS_DIR="${CT_KEYS_DIR}" \
    CT_E2E_WORK_DIR="${CT_RUN_DIR}/e2e" \
    CT_E2E_RESULTS_FILE="${results}" \
    CT_E2E_RUNNING_SERVICES="$(printf '%s\n' "${CT_ACTIVE_SERVICES[@]}" | cut -d' ' -f1 | tr '\n' ' ')" \
    python3 "${CT_ROOT}/testing/e2e/run_e2e.py"
}

ct_banner "preparing ${CT_RUN_DIR}"
ct_stack_reset
mkdir -p "${CT_RUN_DIR}/e2e"
rm -f "${CT_RUN_DIR}/e2e/results.txt"

# (Stages are not run as `if` conditions: that would switch off `set -e`
# inside them.)
ct_stage_run "start test stack" start_stack
stack_status=$?
stack_ok=$((stack_status == 0))
# Bazel's integration tests need only PostgreSQL, which may be up even when
# a service failed to start.
if ((stack_ok)) || ct_pg_is_running; then
  ct_stage_run "bazel test" bazel_tests
elif ((stack_status == CT_STAGE_SKIP_STATUS)); then
  ct_stage_record "bazel test" skipped "the test stack (its PostgreSQL) was not started"
else
  ct_stage_record "bazel test" failed "PostgreSQL is not running"
fi
ct_stage_run "gateway go tests" gateway_tests
ct_stage_run "kubernetes manifests" k8s_tests
ct_stage_run "frontend unit tests" frontend_unit_tests
ct_stage_run "container images" image_smoke_test
if ((stack_ok)); then
  # The stack started in a subshell: its service list is filled in here.
  ct_select_services >/dev/null 2>&1
  ct_stage_run "browser tests" frontend_browser_tests
  ct_stage_run "end-to-end suite" e2e_tests
elif ((stack_status == CT_STAGE_SKIP_STATUS)); then
  ct_stage_record "browser tests" skipped "the test stack was not started"
  ct_stage_record "end-to-end suite" skipped "the test stack was not started"
else
  ct_stage_record "browser tests" failed "the stack did not start"
  ct_stage_record "end-to-end suite" failed "the stack did not start"
fi
exit 0
