"""The C++ pricing client (services/pricing-service/client) through the real
stack, by its command-line tool pricing_watch: its StreamPrices subscription
and its GetPrices must show the same prices as the REST API does.

pricing_watch is found through CT_E2E_PRICING_WATCH, else in Bazel's output
directory (CT_BAZEL_BIN, which the stack scripts export; else `bazel info -c
<CT_COMPILATION_MODE, opt as for `make up`> bazel-bin`); `make build` builds it.
"""

import datetime
import json
import os
import subprocess
import time
from decimal import Decimal

from cases.pricing import prices, require_pricing
from support.checks import expect, parse_timestamp
from support.framework import case

WATCH_TARGET_PATH = os.path.join("services", "pricing-service", "client", "pricing_watch")
SYMBOLS = ("BTC", "ETH")
STREAM_SECONDS = 12
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
# Fields that must agree between the client's GetPrices and REST for one update.
COMPARED_FIELDS = (("last_price", "lastPrice"), ("open_24h", "open24h"), ("high_24h", "high24h"),
                   ("low_24h", "low24h"), ("change_24h", "change24h"), ("volume_24h", "volume24h"))


def pricing_watch_binary():
    explicit = os.environ.get("CT_E2E_PRICING_WATCH")
    if explicit:
        return explicit
    bazel_bin = os.environ.get("CT_BAZEL_BIN")
    if bazel_bin:
        return os.path.join(bazel_bin, WATCH_TARGET_PATH)
    # Against a `make up` stack: its compilation mode's output directory. Not
    # the workspace's bazel-bin link, which follows the last build of any
    # mode (scripts/lib/services.sh).
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    mode = os.environ.get("CT_COMPILATION_MODE", "opt")
    found = subprocess.run(["bazel", "info", "-c", mode, "bazel-bin"], cwd=root, capture_output=True, text=True,
                           check=False)
    return os.path.join(found.stdout.strip(), WATCH_TARGET_PATH)


def rest_millis(text):
    """An RFC 3339 time from the gateway -> exact Unix milliseconds."""
    return (parse_timestamp(text, "updateTime") - EPOCH) // datetime.timedelta(milliseconds=1)


def json_lines(text, what):
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError as error:
            raise AssertionError(f"{what} line {number} is not JSON ({error}): {line[:200]!r}") from error
    return lines


def client_prices(ctx, binary):
    """GetPrices through the client: symbol -> its JSON line."""
    result = subprocess.run([binary, f"--address={ctx.config.pricing_grpc_addr}", "prices", *SYMBOLS],
                            capture_output=True, text=True, timeout=30, check=False)
    expect(result.returncode == 0, f"pricing_watch prices failed ({result.returncode}): {result.stderr.strip()}")
    lines = json_lines(result.stdout, "pricing_watch prices")
    expect([line.get("symbol") for line in lines] == list(SYMBOLS), f"prices not in the order asked: {lines!r}")
    return {line["symbol"]: line for line in lines}


def price_at(stream_prices, symbol, time_ms):
    """The stream's price of `symbol` current at time_ms: the last one the
    stream sent with an update time at or before it (a statistics-only state
    in between may have been folded into the next trade, as the contract
    allows)."""
    current = None
    for line in stream_prices:
        if line["symbol"] == symbol and line["update_time_ms"] <= time_ms:
            current = line
    return current


@case("pricing client: pricing_watch's stream and GetPrices agree with the REST prices")
def pricing_client_agrees_with_rest(ctx):
    require_pricing(ctx)
    binary = pricing_watch_binary()
    expect(os.access(binary, os.X_OK), f"pricing_watch is not built (no {binary}); run make build")

    stream = subprocess.Popen([binary, f"--address={ctx.config.pricing_grpc_addr}", "stream",
                               f"--seconds={STREAM_SECONDS}", *SYMBOLS],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rest_samples = []  # (symbol, update ms, REST price)
    same_update_pairs = 0
    try:
        deadline = time.monotonic() + STREAM_SECONDS - 2
        while time.monotonic() < deadline:
            from_client = client_prices(ctx, binary)
            for price in prices(ctx, SYMBOLS):
                symbol = price["symbol"]
                rest_samples.append((symbol, rest_millis(price["updateTime"]), price))
                line = from_client[symbol]
                if line["update_time_ms"] != rest_millis(price["updateTime"]):
                    continue  # a trade came in between the two calls
                same_update_pairs += 1
                for client_field, rest_field in COMPARED_FIELDS:
                    expect(Decimal(line[client_field]) == Decimal(price[rest_field]),
                           f"{symbol} {client_field}: client {line[client_field]}, REST {price[rest_field]}")
                expect(line["stale"] == price["stale"], f"{symbol} stale: client {line!r}, REST {price!r}")
            time.sleep(0.5)
        out, err = stream.communicate(timeout=STREAM_SECONDS + 30)
    finally:
        if stream.poll() is None:
            stream.kill()
            stream.communicate()
    expect(stream.returncode == 0, f"pricing_watch stream failed ({stream.returncode}): {err.strip()}")
    expect(same_update_pairs >= 1, "the client's GetPrices and REST never showed the same update")

    lines = json_lines(out, "pricing_watch stream")
    expect(lines and lines[0].get("type") == "connected", f"the stream did not start connected: {lines[:2]!r}")
    stream_prices = [line for line in lines if line.get("type") == "price"]
    summary = lines[-1]
    expect(summary.get("type") == "summary" and summary.get("connections") == 1
           and summary.get("prices_rejected") == 0, f"stream summary: {summary!r}")
    expect({line["symbol"] for line in stream_prices} == set(SYMBOLS),
           f"streamed symbols: {sorted({line['symbol'] for line in stream_prices})}")
    for symbol in SYMBOLS:
        distinct = {line["last_price"] for line in stream_prices if line["symbol"] == symbol}
        expect(len(distinct) >= 2, f"{symbol} did not move on the stream in {STREAM_SECONDS}s: {distinct}")
    book = {line["symbol"]: line for line in lines if line.get("type") == "book"}
    expect(set(book) == set(SYMBOLS) and not any(line["stale"] for line in book.values()),
           f"the price book at the end: {book!r}")

    # Every REST price seen while the stream ran is the stream's price of
    # that moment.
    checked = 0
    for symbol, update_ms, price in rest_samples:
        first = min(line["update_time_ms"] for line in stream_prices if line["symbol"] == symbol)
        last = max(line["update_time_ms"] for line in stream_prices if line["symbol"] == symbol)
        if not first <= update_ms <= last:
            continue
        streamed = price_at(stream_prices, symbol, update_ms)
        expect(Decimal(streamed["last_price"]) == Decimal(price["lastPrice"]),
               f"{symbol} at {price['updateTime']}: REST {price['lastPrice']}, the stream"
               f" {streamed['last_price']} (sent for {streamed['update_time']})")
        checked += 1
    expect(checked >= 3, f"only {checked} REST prices fell within the stream's span")
