# The local exchange simulator (testing/exchange-sim): Binance spot REST +
# WebSocket streams and CoinGecko /coins/markets from a deterministic market
# model. pricing-service talks to it exactly as to the real exchanges; only
# its BINANCE_REST_URL, BINANCE_WS_URL and COINGECKO_URL (set in CT_SERVICES
# through the {exchange-sim} placeholder) point here.

# shellcheck shell=bash

CT_EXCHANGE_SIM_TARGET=//testing/exchange-sim:exchange_sim
# A fixed seed: every run of the stack sees the same market history.
CT_EXCHANGE_SIM_SEED="${CT_EXCHANGE_SIM_SEED:-42}"
# Trades per second per symbol (the simulator rounds to a power of two per
# minute); benchmarks raise it.
CT_EXCHANGE_SIM_TICK_RATE="${CT_EXCHANGE_SIM_TICK_RATE:-1}"

# True when a service of the stack is configured against the simulator.
ct_exchange_sim_needed() {
  local entry
  for entry in "${CT_ACTIVE_SERVICES[@]}"; do
    [[ "${entry}" == *"{exchange-sim}"* ]] && return 0
  done
  return 1
}

ct_exchange_sim_url() {
  echo "http://127.0.0.1:${CT_EXCHANGE_SIM_PORT}"
}

ct_exchange_sim_start() {
  local binary
  binary="$(ct_bazel_bin_path "${CT_EXCHANGE_SIM_TARGET}")" || exit 1
  [[ -x "${binary}" ]] || ct_die "${CT_EXCHANGE_SIM_TARGET} is not built (no ${binary}); run make build"
  ct_require_free_port "${CT_EXCHANGE_SIM_PORT}" "exchange simulator, CT_EXCHANGE_SIM_PORT"
  ct_log "starting the exchange simulator on $(ct_exchange_sim_url) (seed ${CT_EXCHANGE_SIM_SEED}, ${CT_EXCHANGE_SIM_TICK_RATE} trades/s per symbol)"
  ct_spawn exchange-sim env "LOG_LEVEL=${CT_LOG_LEVEL:-info}" "${binary}" \
    --bind=127.0.0.1 \
    "--port=${CT_EXCHANGE_SIM_PORT}" \
    "--seed=${CT_EXCHANGE_SIM_SEED}" \
    "--tick-rate=${CT_EXCHANGE_SIM_TICK_RATE}"
  ct_wait_until exchange-sim "REST ping on port ${CT_EXCHANGE_SIM_PORT}" \
    ct_http_ok "$(ct_exchange_sim_url)/api/v3/ping"
}
