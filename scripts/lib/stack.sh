# The whole local stack: PostgreSQL, the services with their sidecars and the
# NGINX ingress. `make up` and `make test` both start it through here, with
# different CT_* settings (see ct_configure in common.sh).

# shellcheck shell=bash

CT_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "${CT_LIB_DIR}/common.sh"
# shellcheck source=process.sh
source "${CT_LIB_DIR}/process.sh"
# shellcheck source=postgres.sh
source "${CT_LIB_DIR}/postgres.sh"
# shellcheck source=services.sh
source "${CT_LIB_DIR}/services.sh"
# shellcheck source=nginx.sh
source "${CT_LIB_DIR}/nginx.sh"
# shellcheck source=exchange_sim.sh
source "${CT_LIB_DIR}/exchange_sim.sh"

# Starts everything and returns once every part is healthy; dies (leaving
# the cleanup to the caller's EXIT trap) when something does not come up.
#   ct_stack_start [extra PostgreSQL server options]
ct_stack_start() {
  local pg_options="${1:-}" entry
  ct_setup_path
  command -v grpcurl >/dev/null 2>&1 ||
    ct_warn "grpcurl not found (run make deps); health is checked through the sidecars only"
  ct_select_services
  ct_stop_leftovers
  ct_pg_start "${pg_options}"
  ct_ensure_all_databases
  for entry in "${CT_ACTIVE_SERVICES[@]}"; do
    if [[ "${entry}" == "user "* ]]; then
      ct_ensure_jwt_keys
    fi
  done
  # Before the services: pricing-service connects to it at start-up.
  if ct_exchange_sim_needed; then
    ct_exchange_sim_start
  fi
  for entry in "${CT_ACTIVE_SERVICES[@]}"; do
    ct_service_start "${entry}"
  done
  for entry in "${CT_ACTIVE_SERVICES[@]}"; do
    ct_service_wait_healthy "${entry}"
  done
  ct_nginx_start
}

# Stops whatever this run directory has running; safe to call repeatedly.
ct_stack_stop() {
  ct_stop_all_processes
  ct_stop_leftovers
  ct_pg_stop
}

# Warns once for each process of the stack that has died since startup.
ct_stack_check_alive() {
  local name
  [[ -f "${CT_PID_DIR}/order" ]] || return 0
  while read -r name; do
    [[ -n "${name}" && -f "${CT_PID_DIR}/${name}.pid" ]] || continue
    if ! ct_running_pid "${name}" >/dev/null; then
      ct_warn "${name} has exited; see ${CT_LOG_DIR}/${name}.log"
      ct_tail_log "${CT_LOG_DIR}/${name}.log"
      rm -f "${CT_PID_DIR}/${name}.pid"
    fi
  done <"${CT_PID_DIR}/order"
}

ct_stack_print_summary() {
  local entry name index
  echo
  echo "Crypto Tracker is running:"
  echo "  web app and REST API   http://localhost:${CT_HTTP_PORT}/"
  for entry in "${CT_ACTIVE_SERVICES[@]}"; do
    read -r name index _ <<<"${entry}"
    printf '  %-22s http://localhost:%s/%s-service/api/   gRPC localhost:%s   sidecar http://localhost:%s\n' \
      "${name}-service" "${CT_HTTP_PORT}" "${name}" "$(ct_grpc_port "${index}")" "$(ct_sidecar_port "${index}")"
  done
  if [[ " ${CT_ACTIVE_SERVICES[*]} " == *" pricing "* ]]; then
    echo "  live prices            http://localhost:${CT_HTTP_PORT}/pricing-service/api/v1/prices"
    echo "  price stream (NDJSON)  http://localhost:${CT_HTTP_PORT}/pricing-service/api/v1/prices/stream?symbols=BTC&symbols=ETH"
    echo "  candles, analysis      http://localhost:${CT_HTTP_PORT}/pricing-service/api/v1/assets/BTC/candles?interval=INTERVAL_1H&limit=24"
    echo "                         http://localhost:${CT_HTTP_PORT}/pricing-service/api/v1/assets/BTC/analysis?interval=INTERVAL_1H"
    echo "  market summary         http://localhost:${CT_HTTP_PORT}/pricing-service/api/v1/market/summary"
  fi
  if ct_exchange_sim_needed; then
    echo "  exchange simulator     $(ct_exchange_sim_url)  (Binance REST/WS, CoinGecko at /api/v3; seed ${CT_EXCHANGE_SIM_SEED})"
  fi
  local databases
  databases="$(printf '%s\n' "${CT_SERVICES[@]}" | awk '{ print $3 }' | paste -sd, - | sed 's/,/, /g')"
  echo "  PostgreSQL             127.0.0.1:${CT_PG_PORT}, databases ${databases}"
  echo "                         (each with a login role of the same name; passwords in ${CT_RUN_DIR}/secrets/)"
  echo "  logs                   ${CT_LOG_DIR}/"
  echo
}

# Stops anything left running in the run directory and deletes its data
# (database, logs, secrets), keeping the lock file the caller holds.
ct_stack_reset() {
  ct_pg_choose_dir
  ct_stack_stop
  rm -rf "${CT_PG_DATA}" "${CT_PG_SOCKET_DIR}" "${CT_LOG_DIR}" "${CT_PID_DIR}" \
    "${CT_RUN_DIR}/nginx" "${CT_RUN_DIR}/secrets" "${CT_RUN_DIR}/e2e"
  mkdir -p "${CT_LOG_DIR}" "${CT_PID_DIR}"
}
