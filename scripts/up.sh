#!/usr/bin/env bash
# Runs the local stack in the foreground until Ctrl-C or SIGTERM, then stops
# everything it started. `make up` builds first and then runs this.
#
# Settings (environment): CT_RUN_DIR (.local/run), CT_HTTP_PORT (8080),
# CT_PG_PORT (55432), CT_GRPC_PORT_BASE (50051), CT_SIDECAR_PORT_BASE (15001),
# CT_KEYS_DIR (.local/keys), CT_LOG_LEVEL (info), CT_START_TIMEOUT (90 s),
# CT_EXCHANGE_SIM_PORT (15100), CT_EXCHANGE_SIM_SEED (42), CT_EXCHANGE_SIM_TICK_RATE (1),
# CT_COMPILATION_MODE (opt: the binaries `make up` builds, as in the images),
# CT_INGRESS_CACHE (on: the ingress micro-caches public market data).
# With --check it only tells (by its status) whether a stack already runs.
set -euo pipefail

# Optimised builds, as the images ship them (Makefile).
export CT_COMPILATION_MODE="${CT_COMPILATION_MODE:-opt}"

# shellcheck source=lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stack.sh"

ct_configure "${CT_ROOT}/.local/run" 8080 55432 50051 15001
ct_acquire_lock
if [[ "${1:-}" == --check ]]; then
  # `make up` asks this before building, to fail fast when a stack runs.
  exit 0
fi

stopping=0
sleeper=""
shutdown() {
  local status=$?
  trap - EXIT INT TERM
  ((stopping)) && return
  stopping=1
  [[ -n "${sleeper}" ]] && kill "${sleeper}" 2>/dev/null
  echo
  ct_log "stopping the stack"
  ct_stack_stop
  ct_log "stopped"
  exit "${status}"
}
trap shutdown EXIT
trap 'exit 0' INT TERM

ct_stack_start
ct_stack_print_summary
ct_log "press Ctrl-C to stop"

while true; do
  # `wait` returns as soon as a signal arrives, so shutdown starts at once.
  sleep 5 &
  sleeper=$!
  wait "${sleeper}" || true
  ct_stack_check_alive
done
