#!/usr/bin/env bash
# The pricing-service benchmarks (testing/bench/README.md), on a stack of
# their own so they run beside `make up` and `make test`:
#   1. GetPrices for 20 symbols over gRPC, with prices_load (C++, gRPC's
#      generic async API: the least client CPU per call, so the most left
#      for the server on the shared cores; sampled answers read by the
#      pricing client), loadclient (Go) and ghz;
#   2. streaming: N gRPC subscribers, then N of the NDJSON price stream,
#      tick-to-client latency and the server's memory; beside the gRPC ones
#      one pricing-client subscriber (pricing_watch stream) that decodes
#      every price into its price book;
#   3. candles: 1,000 hourly candles through the ingress (NGINX -> gateway ->
#      pricing-service -> PostgreSQL), after a backfill and roll-up;
#   4. rest: the REST reads the SPA makes (prices, 1,000 hourly and 1,000
#      one-minute candles) with wrk, straight to the sidecar and through the
#      ingress with its micro-cache off and on, with the CPU per request of
#      the sidecar, the service and NGINX;
#   5. ingest: the Google Benchmark of the candle aggregator (-c opt);
#   6. persist: the simulator restarted at BENCH_PERSIST_TICK_RATE trades/s
#      per symbol (17: 1,024 a minute, 16x `make up`'s rate) for
#      BENCH_PERSIST_MINUTES; then every closed one-minute candle in
#      PostgreSQL must equal the simulator's kline (persist_check.py).
# `make bench` builds first and then runs this. Results go to stdout and
# to CT_RUN_DIR/results.txt.
#
# Settings (environment): BENCH_ONLY (space-separated subset of
# "prices stream candles rest ingest persist"), BENCH_SECONDS (20, per load
# test), BENCH_INGRESS_CACHE (the ingress micro-cache settings the rest stage
# measures, "off on"; the other stages run with it off),
# BENCH_REST_THREADS (wrk -t, 2),
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
# Every binary of the stack from the opt build (scripts/lib/services.sh).
export CT_COMPILATION_MODE=opt
ct_acquire_lock
ct_setup_path

readonly GHZ_VERSION=v0.120.0
readonly ONLY="${BENCH_ONLY:-prices stream candles rest ingest persist}"
readonly PERSIST_TICK_RATE="${BENCH_PERSIST_TICK_RATE:-17}"
readonly PERSIST_MINUTES="${BENCH_PERSIST_MINUTES:-5}"
readonly SECONDS_PER_TEST="${BENCH_SECONDS:-20}"
readonly STREAM_SUBSCRIBERS="${BENCH_STREAM_SUBSCRIBERS:-1000}"
readonly STREAM_SECONDS="${BENCH_STREAM_SECONDS:-60}"
readonly NDJSON_SECONDS="${BENCH_NDJSON_SECONDS:-${STREAM_SECONDS}}"
readonly GHZ_CONCURRENCY="${BENCH_GHZ_CONCURRENCY:-32}"
readonly PRICES_CONCURRENCY="${BENCH_PRICES_CONCURRENCY:-16}"
readonly PRICES_CONNECTIONS="${BENCH_PRICES_CONNECTIONS:-2}"
readonly INGRESS_CACHE_MODES="${BENCH_INGRESS_CACHE:-off on}"
readonly REST_THREADS="${BENCH_REST_THREADS:-2}"
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

# The whole stack is an optimised build (-c opt), as it would ship and as
# `make up` runs it, and so is the C++ load generator, which shares the cores
# with it. `make bench` has built the stack in opt already (Makefile); this
# covers a run of this script on its own.
build_optimised() {
  local -a stack_targets=() candidates=()
  local entry target
  for entry in "${CT_SERVICES[@]}"; do
    read -r _ target _ <<<"${entry}"
    candidates+=("${target}")
  done
  # Only the services that exist yet, as the stack starts them.
  mapfile -t stack_targets < <(ct_existing_bazel_targets "${candidates[@]}")
  (cd "${CT_ROOT}" && bazel build -c opt "${stack_targets[@]}" "${CT_EXCHANGE_SIM_TARGET}" \
    //services/common:jwt_keygen //testing/bench/grpc_load:prices_load \
    //services/pricing-service/client:pricing_watch)
  local bin
  bin="$(ct_bazel_bin_dir)"
  PRICES_LOAD="${bin}/testing/bench/grpc_load/prices_load"
  PRICING_WATCH="${bin}/services/pricing-service/client/pricing_watch"
}
# No start-up history fill: the candle benchmark fills BTC's history (the
# depth `make up` has) with the backfill job, and the other measurements
# should not share the CPU with a fill of every pair.
export CT_EXTRA_ENV_pricing="CANDLE_HISTORY_STARTUP_FILL=false ${CT_EXTRA_ENV_pricing:-}"
# The ingress micro-cache stays off but where the rest stage switches it on,
# so that the other stages' figures through the ingress stay comparable.
export CT_INGRESS_CACHE=off

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

# The pricing client's CLI against the service under test
# (services/pricing-service/client/pricing_watch.cc).
pricing_watch() { "${PRICING_WATCH}" "--address=${pricing_grpc}" "$@"; }

# Ready when the pricing client reads a fresh price of every tracked asset:
# GetPrices of named symbols is UNAVAILABLE until each has one, and the
# client refuses an answer whose decimals do not parse exactly.
wait_for_prices() {
  local -a symbols
  read -r -a symbols <<<"$(curl -fsS "${ingress}/pricing-service/api/v1/assets?page_size=500" |
    python3 -c 'import json,sys; print(" ".join(a["symbol"] for a in json.load(sys.stdin)["assets"]))')"
  ((${#symbols[@]} > 0)) || ct_die "the pricing-service lists no assets"
  local deadline=$((SECONDS + 60)) answer
  until answer="$(pricing_watch prices "${symbols[@]}" 2>&1)" &&
    python3 -c 'import json,sys
lines = [json.loads(l) for l in sys.stdin if l.strip()]
sys.exit(0 if len(lines) == int(sys.argv[1]) and not any(l["stale"] for l in lines) else 1)' \
      "${#symbols[@]}" <<<"${answer}"; do
    ((SECONDS < deadline)) || ct_die "no live prices of all ${#symbols[@]} assets after 60 s: ${answer}"
    sleep 1
  done
  ct_log "live prices of all ${#symbols[@]} assets (pricing_watch prices)"
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

# The summary line of `pricing_watch stream --quiet=1` as one line of the
# results; fails unless the subscription stayed on one stream and read
# every price.
report_pricing_watch_stream() {
  python3 - "$1" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    summary = json.loads(f.read().strip().splitlines()[-1])
latency = summary["latency_ms"]
moves = "none"
if latency["count"]:
    moves = ", ".join(f"{q} {latency[q]} ms" for q in ("p50", "p90", "p99", "max"))
print(f"pricing client (pricing_watch stream, decoded into its price book): "
      f"connections {summary['connections']}, prices {summary['prices_received']} received, "
      f"{summary['prices_rejected']} rejected; latency of {latency['count']} price moves: {moves}")
if summary["connections"] != 1 or summary["prices_rejected"] > 0:
    sys.exit("the pricing client's subscription reconnected or rejected prices "
             f"(last error: {summary['last_error']!r})")
PY
}

bench_stream() {
  local pid watch_pid watch_status=0 watch_out="${CT_RUN_DIR}/pricing-watch-stream.json"
  pid="$(ct_running_pid pricing-service)"
  banner "StreamPrices: ${STREAM_SUBSCRIBERS} gRPC streams of all symbols, plus one pricing client (${STREAM_SECONDS}s)"
  # Started first: the 1,000 streams then connect and run beside it.
  pricing_watch stream "--seconds=${STREAM_SECONDS}" --quiet=1 >"${watch_out}" \
    2>"${CT_LOG_DIR}/pricing-watch-stream.log" &
  watch_pid=$!
  "${CT_RUN_DIR}/loadclient" grpcstream -addr "${pricing_grpc}" \
    -subscribers "${STREAM_SUBSCRIBERS}" -duration "${STREAM_SECONDS}s" -pid "${pid}" | tee -a "${RESULTS}"
  wait "${watch_pid}" || watch_status=$?
  ((watch_status == 0)) || {
    ct_tail_log "${CT_LOG_DIR}/pricing-watch-stream.log"
    ct_die "pricing_watch stream failed (status ${watch_status})"
  }
  report_pricing_watch_stream "${watch_out}" | tee -a "${RESULTS}"
  banner "StreamPrices: ${STREAM_SUBSCRIBERS} NDJSON subscribers through the gateway sidecar (${NDJSON_SECONDS}s)"
  "${CT_RUN_DIR}/loadclient" stream -url "${pricing_sidecar}/api/v1/prices/stream" \
    -subscribers "${STREAM_SUBSCRIBERS}" -duration "${NDJSON_SECONDS}s" -pid "${pid}" | tee -a "${RESULTS}"
}

# Once per run, for the candles and rest stages: BTC's history at the depth
# `make up` fills (one-minute candles for 90 days, hourly for two years,
# daily since 2017, rolled up as they are written) and a repair roll-up of
# the last CANDLE_HISTORY_DAYS, checked as the pricing client reads
# them (1,000 hourly candles, every decimal exact, oldest first).
candle_history_ready=""
prepare_candle_history() {
  [[ -z "${candle_history_ready}" ]] || return 0
  ct_log "filling BTC's candle history and rolling up the last ${CANDLE_HISTORY_DAYS} days"
  job=backfill run_pricing_job SYMBOLS=BTC
  job=rollup run_pricing_job "CANDLE_ROLLUP_LOOKBACK_HOURS=$((CANDLE_HISTORY_DAYS * 24))"
  pricing_watch candles --interval=1h --limit=1000 BTC | python3 -c 'import json,sys
candles = [json.loads(l) for l in sys.stdin if l.strip()]
opens = [c["open_time_ms"] for c in candles]
if len(candles) != 1000 or opens != sorted(set(opens)) or not all(c["closed"] for c in candles[:-1]):
    sys.exit(f"expected 1000 ascending hourly candles of BTC, closed but the newest; got {len(candles)}")
print("roll-up: 1000 hourly BTC candles from " + candles[0]["open_time"] + " (pricing_watch candles)")' |
    tee -a "${RESULTS}"
  candle_history_ready=1
}

bench_candles() {
  banner "GetCandles, 1,000 hourly candles, through the ingress (${SECONDS_PER_TEST}s)"
  prepare_candle_history
  local url="${ingress}/pricing-service/api/v1/assets/BTC/candles?interval=INTERVAL_1H&limit=1000"
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

# Clock ticks of CPU (utime + stime, /proc/<pid>/stat fields 14 and 15)
# that a process and its children (NGINX's worker) have used so far.
process_tree_ticks() {
  local total=0 pid stat
  local -a fields
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    stat="$(cat "/proc/${pid}/stat" 2>/dev/null)" || continue
    # After the parenthesised name (which may hold spaces): field 3 first.
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "${total}"
}

# The ingress with its micro-cache on or off: NGINX restarted on a
# configuration rendered with CT_INGRESS_CACHE (scripts/lib/nginx.sh).
set_ingress_cache() {
  export CT_INGRESS_CACHE="$1"
  ct_stop_process nginx
  ct_nginx_start
}

# True when the ingress's templates have a micro-cache to switch on.
ingress_has_cache() {
  grep -Eqrs '^[[:space:]]*proxy_cache_path[[:space:]]' "${CT_ROOT}/deploy/local/"
}

# One wrk run of a URL, as one line of the results (wrk_report.py): rate,
# p50, p99, CPU per request of the sidecar, the service and (through the
# ingress) NGINX, and the caching headers of the answer.
#   rest_measure <label> <url> <connections> sidecar|ingress
rest_measure() {
  local label="$1" url="$2" connections="$3" via="$4"
  # A first request warms the path (and fills the cache when it is on); the
  # second shows the headers users get.
  curl -fsS -o /dev/null "${url}" || ct_die "GET ${url} failed"
  local headers bytes
  headers="$(curl -fsS -D - -o /dev/null "${url}" | tr -d '\r' |
    grep -iE '^(cache-control|x-cache-status|age):' | paste -sd ';' | sed 's/;/; /g')" || true
  bytes="$(curl -fsS "${url}" | wc -c)"
  local -a names=(sidecar pricing) processes=(pricing-gateway pricing-service)
  local -a pids=() before=() cpu=()
  if [[ "${via}" == ingress ]]; then
    names+=(nginx)
    processes+=(nginx)
  fi
  local name index pid
  for name in "${processes[@]}"; do
    pid="$(ct_running_pid "${name}")" || ct_die "${name} is not running"
    pids+=("${pid}")
  done
  for index in "${!pids[@]}"; do before+=("$(process_tree_ticks "${pids[index]}")"); done
  local out="${CT_RUN_DIR}/wrk.out"
  wrk "-t${REST_THREADS}" "-c${connections}" "-d${SECONDS_PER_TEST}s" --latency "${url}" >"${out}"
  for index in "${!pids[@]}"; do
    cpu+=(--cpu "${names[index]}=$(($(process_tree_ticks "${pids[index]}") - before[index]))")
  done
  python3 "${CT_ROOT}/testing/bench/wrk_report.py" --label "${label}" \
    --clock-ticks "$(getconf CLK_TCK)" "${cpu[@]}" --headers "${headers}" --bytes "${bytes}" \
    <"${out}" | tee -a "${RESULTS}"
}

# The REST reads of the SPA: "<name>|<path under the service>|<connections>".
readonly REST_READS=(
  "prices, 20 assets|/api/v1/prices|32"
  "candles, 1,000 hourly|/api/v1/assets/BTC/candles?interval=INTERVAL_1H&limit=1000|16"
  "candles, 1,000 one-minute|/api/v1/assets/BTC/candles?interval=INTERVAL_1M&limit=1000|16"
)

# Whole answers before any load: every asset priced, 1,000 candles each.
check_rest_answers() {
  local assets
  assets="$(curl -fsS "${pricing_sidecar}/api/v1/assets?page_size=500" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["assets"]))')"
  curl -fsS "${pricing_sidecar}/api/v1/prices" | python3 -c 'import json,sys
n = len(json.load(sys.stdin)["prices"])
sys.exit(0 if n == int(sys.argv[1]) else f"GET /prices: {n} prices for {sys.argv[1]} assets")' "${assets}"
  local interval
  for interval in INTERVAL_1H INTERVAL_1M; do
    curl -fsS "${pricing_sidecar}/api/v1/assets/BTC/candles?interval=${interval}&limit=1000" |
      python3 -c 'import json,sys
n = len(json.load(sys.stdin)["candles"])
sys.exit(0 if n == 1000 else f"GET {sys.argv[1]} candles: {n}, want 1000")' "${interval}"
  done
}

bench_rest() {
  banner "REST as users read it: wrk -t${REST_THREADS} --latency, ${SECONDS_PER_TEST}s each; sidecar direct, then the ingress with its micro-cache ${INGRESS_CACHE_MODES// / and }"
  prepare_candle_history
  check_rest_answers
  local entry name path connections mode where
  for entry in "${REST_READS[@]}"; do
    IFS='|' read -r name path connections <<<"${entry}"
    rest_measure "${name}, ${connections} connections, sidecar direct" \
      "${pricing_sidecar}${path}" "${connections}" sidecar
  done
  for mode in ${INGRESS_CACHE_MODES}; do
    where="ingress, cache ${mode}"
    if ! ingress_has_cache; then
      # Nothing to switch: one measurement, named for what it is.
      if [[ "${mode}" == on ]]; then
        echo "ingress, cache on: not measured, deploy/local has no micro-cache" | tee -a "${RESULTS}"
        continue
      fi
      where="ingress, no micro-cache in deploy/local"
    fi
    set_ingress_cache "${mode}"
    for entry in "${REST_READS[@]}"; do
      IFS='|' read -r name path connections <<<"${entry}"
      rest_measure "${name}, ${connections} connections, ${where}" \
        "${ingress}/pricing-service${path}" "${connections}" ingress
    done
  done
  # The other stages measure the ingress without its cache.
  [[ "${CT_INGRESS_CACHE}" == off ]] || set_ingress_cache off
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
if wanted rest; then bench_rest; fi
if wanted ingest; then bench_ingest; fi
# Last: it restarts the simulator at a higher rate.
if wanted persist; then bench_persist; fi
banner "done: ${RESULTS}"
