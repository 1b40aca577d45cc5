#!/usr/bin/env bash
# The pricing-service benchmarks (testing/bench/README.md), on a stack of
# their own so they run beside `make up` and `make test`:
#   1. GetPrices for 20 symbols over gRPC, with prices_load (C++, gRPC's
#      generic async API: the least client CPU per call, so the most left
#      for the server on the shared cores), loadclient (Go) and ghz;
#   2. streaming: N subscribers of the NDJSON price stream, tick-to-client
#      latency and the server's memory;
#   3. candles: 1,000 hourly candles through the ingress (NGINX -> gateway ->
#      pricing-service -> PostgreSQL), after a backfill and roll-up;
#   4. ingest: the Google Benchmark of the candle aggregator (-c opt);
#   5. persist: the simulator restarted at BENCH_PERSIST_TICK_RATE trades/s
#      per symbol (17: 1,024 a minute, 16x `make up`'s rate) for
#      BENCH_PERSIST_MINUTES; then every closed one-minute candle in
#      PostgreSQL must equal the simulator's kline (persist_check.py).
# `make bench` builds first and then runs this. Results go to stdout and
# to CT_RUN_DIR/results.txt.
#
# Settings (environment): BENCH_ONLY (space-separated subset of
# "prices stream candles ingest persist"), BENCH_SECONDS (20, per load test),
# BENCH_STREAM_SUBSCRIBERS (1000), BENCH_STREAM_SECONDS (60),
# BENCH_NDJSON_SECONDS (the NDJSON run; BENCH_STREAM_SECONDS),
# BENCH_GHZ_CONCURRENCY (32), BENCH_PRICES_CONCURRENCY (16),
# BENCH_PRICES_CONNECTIONS (2); the stack uses CT_RUN_DIR (.local/bench),
# CT_HTTP_PORT (28080), CT_PG_PORT (55436), CT_GRPC_PORT_BASE (52051),
# CT_SIDECAR_PORT_BASE (17001; the simulator gets 17100).
set -euo pipefail

# shellcheck source=../../scripts/lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/stack.sh"

ct_configure "${CT_ROOT}/.local/bench" 28080 55436 52051 17001
ct_acquire_lock
ct_setup_path

readonly GHZ_VERSION=v0.120.0
readonly ONLY="${BENCH_ONLY:-prices stream candles ingest persist}"
readonly PERSIST_TICK_RATE="${BENCH_PERSIST_TICK_RATE:-17}"
readonly PERSIST_MINUTES="${BENCH_PERSIST_MINUTES:-5}"
readonly SECONDS_PER_TEST="${BENCH_SECONDS:-20}"
readonly STREAM_SUBSCRIBERS="${BENCH_STREAM_SUBSCRIBERS:-1000}"
readonly STREAM_SECONDS="${BENCH_STREAM_SECONDS:-60}"
readonly NDJSON_SECONDS="${BENCH_NDJSON_SECONDS:-${STREAM_SECONDS}}"
readonly GHZ_CONCURRENCY="${BENCH_GHZ_CONCURRENCY:-32}"
readonly PRICES_CONCURRENCY="${BENCH_PRICES_CONCURRENCY:-16}"
readonly PRICES_CONNECTIONS="${BENCH_PRICES_CONNECTIONS:-2}"
readonly RESULTS="${CT_RUN_DIR}/results.txt"
# Enough hourly candles for the 1,000-candle query, and some to spare.
readonly CANDLE_HISTORY_DAYS=44

wanted() { [[ " ${ONLY} " == *" $1 "* ]]; }

banner() { printf '\n======== %s ========\n' "$*" | tee -a "${RESULTS}"; }

cleanup() {
  trap - EXIT INT TERM
  banner "stopping the benchmark stack"
  ct_stack_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ghz, pinned, into .local/bin (like grpcurl in scripts/deps.sh).
ensure_ghz() {
  ct_go_install_pinned github.com/bojand/ghz github.com/bojand/ghz/cmd/ghz "${GHZ_VERSION}"
}

build_load_client() {
  (cd "${CT_ROOT}/testing/bench/loadclient" && go build -o "${CT_RUN_DIR}/loadclient" .)
}

# The service under test is an optimised build (-c opt), as it would ship,
# and so is the C++ load generator, which shares the cores with it; the
# other processes of the stack are the usual builds.
build_optimised() {
  (cd "${CT_ROOT}" && bazel build -c opt //services/pricing-service:pricing_service \
    //testing/bench/grpc_load:prices_load)
  local bin
  bin="$(cd "${CT_ROOT}" && bazel info -c opt bazel-bin 2>/dev/null)"
  CT_BINARY_pricing="${bin}/services/pricing-service/pricing_service"
  export CT_BINARY_pricing
  PRICES_LOAD="${bin}/testing/bench/grpc_load/prices_load"
}
# No start-up backfill: the candle benchmark backfills what it needs, and
# the other measurements should not share the CPU with it.
export CT_EXTRA_ENV_pricing="CANDLE_STARTUP_BACKFILL_DAYS=0 ${CT_EXTRA_ENV_pricing:-}"

pricing_index="$(ct_service_index pricing)"
pricing_grpc="127.0.0.1:$(ct_grpc_port "${pricing_index}")"
pricing_sidecar="http://127.0.0.1:$(ct_sidecar_port "${pricing_index}")"
ingress="http://127.0.0.1:${CT_HTTP_PORT}"

# The pricing binary with the stack's database settings, for its jobs.
run_pricing_job() {
  local password binary
  password="$(ct_pg_password pricingservice)"
  binary="${CT_BINARY_pricing:-$(ct_bazel_bin_path //services/pricing-service:pricing_service)}"
  env "LOG_LEVEL=warn" "DB_HOST=127.0.0.1" "DB_PORT=${CT_PG_PORT}" "DB_NAME=pricingservice" \
    "DB_USER=pricingservice" "DB_PASSWORD=${password}" \
    "BINANCE_REST_URL=$(ct_exchange_sim_url)" "$@" "${binary}" "${job}"
}

wait_for_prices() {
  local deadline=$((SECONDS + 60))
  until curl -fsS "${ingress}/pricing-service/api/v1/prices" 2>/dev/null | grep -q '"lastPrice"'; do
    ((SECONDS < deadline)) || ct_die "no live prices after 60 s"
    sleep 1
  done
}

bench_prices() {
  local symbols
  symbols="$(curl -fsS "${ingress}/pricing-service/api/v1/assets" |
    python3 -c 'import json,sys; print(",".join([a["symbol"] for a in json.load(sys.stdin)["assets"]][:20]))')"
  banner "GetPrices, 20 symbols, gRPC (prices_load, ${PRICES_CONCURRENCY} concurrent on ${PRICES_CONNECTIONS} connections, ${SECONDS_PER_TEST}s)"
  "${PRICES_LOAD}" -addr "${pricing_grpc}" -symbols "${symbols}" \
    -concurrency "${PRICES_CONCURRENCY}" -connections "${PRICES_CONNECTIONS}" \
    -duration "${SECONDS_PER_TEST}s" | tee -a "${RESULTS}"
  banner "GetPrices, 20 symbols, gRPC (loadclient, ${PRICES_CONCURRENCY} concurrent on ${PRICES_CONNECTIONS} connections, ${SECONDS_PER_TEST}s)"
  "${CT_RUN_DIR}/loadclient" grpcprices -addr "${pricing_grpc}" -symbols "${symbols}" \
    -concurrency "${PRICES_CONCURRENCY}" -connections "${PRICES_CONNECTIONS}" \
    -duration "${SECONDS_PER_TEST}s" | tee -a "${RESULTS}"
  banner "GetPrices, 20 symbols, gRPC (ghz, ${GHZ_CONCURRENCY} concurrent, ${SECONDS_PER_TEST}s)"
  ensure_ghz
  symbols="$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1].split(",")))' "${symbols}")"
  "${CT_ROOT}/.local/bin/ghz" --insecure \
    --call cryptotracker.pricing.v1.PricingService/GetPrices \
    -d "{\"symbols\": ${symbols}, \"quote\": \"USD\"}" \
    --connections 4 -c "${GHZ_CONCURRENCY}" -z "${SECONDS_PER_TEST}s" \
    "${pricing_grpc}" | tee -a "${RESULTS}"
}

bench_stream() {
  local pid
  pid="$(ct_running_pid pricing-service)"
  banner "StreamPrices: ${STREAM_SUBSCRIBERS} gRPC streams of all symbols (${STREAM_SECONDS}s)"
  "${CT_RUN_DIR}/loadclient" grpcstream -addr "${pricing_grpc}" \
    -subscribers "${STREAM_SUBSCRIBERS}" -duration "${STREAM_SECONDS}s" -pid "${pid}" | tee -a "${RESULTS}"
  banner "StreamPrices: ${STREAM_SUBSCRIBERS} NDJSON subscribers through the gateway sidecar (${NDJSON_SECONDS}s)"
  "${CT_RUN_DIR}/loadclient" stream -url "${pricing_sidecar}/api/v1/prices/stream" \
    -subscribers "${STREAM_SUBSCRIBERS}" -duration "${NDJSON_SECONDS}s" -pid "${pid}" | tee -a "${RESULTS}"
}

bench_candles() {
  banner "GetCandles, 1,000 hourly candles, through the ingress (${SECONDS_PER_TEST}s)"
  ct_log "backfilling ${CANDLE_HISTORY_DAYS} days of BTC one-minute candles and rolling them up"
  job=backfill run_pricing_job SYMBOLS=BTC "CANDLE_BACKFILL_DAYS=${CANDLE_HISTORY_DAYS}"
  job=rollup run_pricing_job "CANDLE_ROLLUP_LOOKBACK_HOURS=$((CANDLE_HISTORY_DAYS * 24))"
  local url="${ingress}/pricing-service/api/v1/assets/BTC/candles?interval=INTERVAL_1H&limit=1000"
  local count
  count="$(curl -fsS "${url}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["candles"]))')"
  [[ "${count}" == 1000 ]] || ct_die "expected 1000 hourly candles, got ${count}"
  for concurrency in 1 4; do
    echo "through the ingress, concurrency ${concurrency}:" | tee -a "${RESULTS}"
    "${CT_RUN_DIR}/loadclient" http -url "${url}" -concurrency "${concurrency}" \
      -duration "${SECONDS_PER_TEST}s" | tee -a "${RESULTS}"
  done
  # Where the time goes: the sidecar without NGINX, and gRPC alone.
  echo "sidecar directly, concurrency 1:" | tee -a "${RESULTS}"
  "${CT_RUN_DIR}/loadclient" http -url "${pricing_sidecar}/api/v1/assets/BTC/candles?interval=INTERVAL_1H&limit=1000" \
    -concurrency 1 -duration "${SECONDS_PER_TEST}s" | tee -a "${RESULTS}"
  echo "gRPC GetCandles (ghz), concurrency 1:" | tee -a "${RESULTS}"
  ensure_ghz
  "${CT_ROOT}/.local/bin/ghz" --insecure --call cryptotracker.pricing.v1.PricingService/GetCandles \
    -d '{"symbol": "BTC", "interval": "INTERVAL_1H", "limit": 1000}' -c 1 -z "${SECONDS_PER_TEST}s" \
    "${pricing_grpc}" | grep -E "Requests/sec|Average|Slowest| (50|90|99) % in" | tee -a "${RESULTS}"
}

bench_ingest() {
  banner "Ingest: ticks into one-minute candles, in process (Google Benchmark, -c opt)"
  (cd "${CT_ROOT}" && bazel run -c opt //services/pricing-service/benchmark:candles_benchmark 2>/dev/null) |
    tee -a "${RESULTS}"
}

now_ms() { date +%s%3N; }

bench_persist() {
  banner "Persistence at ${PERSIST_TICK_RATE} trades/s per symbol (${PERSIST_MINUTES} min)"
  ct_stop_process exchange-sim
  CT_EXCHANGE_SIM_TICK_RATE="${PERSIST_TICK_RATE}" ct_exchange_sim_start
  # pricing-service reconnects by itself; measure from the first whole
  # minute after its prices move again.
  local restarted
  restarted="$(now_ms)"
  local deadline=$((SECONDS + 120))
  until curl -fsS "${ingress}/pricing-service/api/v1/prices?symbols=BTC" 2>/dev/null |
    python3 -c 'import sys,json,datetime
p = json.load(sys.stdin)["prices"][0]
t = datetime.datetime.fromisoformat(p["updateTime"].replace("Z", "+00:00")).timestamp() * 1000
sys.exit(0 if t > int(sys.argv[1]) else 1)' "${restarted}"; do
    ((SECONDS < deadline)) || ct_die "pricing-service did not reconnect to the simulator"
    sleep 1
  done
  local from_ms=$((($(now_ms) / 60000 + 1) * 60000))
  local to_ms=$((from_ms + PERSIST_MINUTES * 60000))
  # The last minute closes at to_ms; the recorder flushes every
  # CANDLE_FLUSH_SECONDS (5 s by default).
  local wait_s=$(((to_ms - $(now_ms)) / 1000 + 20))
  ct_log "recording $(date -u -d "@$((from_ms / 1000))" +%T)..$(date -u -d "@$((to_ms / 1000))" +%T) UTC; waiting ${wait_s} s"
  sleep "${wait_s}"
  local pairs rows="${CT_RUN_DIR}/persisted-candles.csv"
  pairs="$(curl -fsS "${ingress}/pricing-service/api/v1/assets?page_size=500" |
    python3 -c 'import json,sys; print(",".join([a["pair"] for a in json.load(sys.stdin)["assets"]] + ["EURUSDT"]))')"
  ct_pg_psql -d pricingservice -At -F, -v from_ms="${from_ms}" -v to_ms="${to_ms}" >"${rows}" <<'SQL'
SELECT pair, (extract(epoch FROM open_time) * 1000)::bigint, open, high, low,
       close, volume, trade_count, source
FROM candles
WHERE interval_name = '1m'
  AND open_time >= to_timestamp(:from_ms / 1000.0)
  AND open_time < to_timestamp(:to_ms / 1000.0)
SQL
  python3 "${CT_ROOT}/testing/bench/persist_check.py" --sim "$(ct_exchange_sim_url)" \
    --from-ms "${from_ms}" --to-ms "${to_ms}" --pairs "${pairs}" --rows "${rows}" |
    tee -a "${RESULTS}"
  # The service's own counters (its last status line): nothing rejected,
  # no failed flush, nothing left buffered.
  grep '"ingest status"' "${CT_LOG_DIR}/pricing-service.log" | tail -1 |
    python3 -c 'import json,sys
s = json.loads(sys.stdin.read())
print("service counters: " + ", ".join(f"{k} {s[k]}" for k in (
    "ticks_applied", "stream_rejected", "invalid", "candles_written",
    "candle_flush_failures", "candles_buffered")))' | tee -a "${RESULTS}"
}

banner "preparing ${CT_RUN_DIR}"
ct_stack_reset
: >"${RESULTS}"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
} | tee -a "${RESULTS}"
build_load_client
build_optimised
ct_stack_start
wait_for_prices

if wanted prices; then bench_prices; fi
if wanted stream; then bench_stream; fi
if wanted candles; then bench_candles; fi
if wanted ingest; then bench_ingest; fi
# Last: it restarts the simulator at a higher rate.
if wanted persist; then bench_persist; fi
banner "done: ${RESULTS}"
