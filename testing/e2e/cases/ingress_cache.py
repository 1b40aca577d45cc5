"""The ingress's micro-cache of public market data (deploy/local/public-read-*.conf.template).

Public pricing reads may be answered from a cache at most 250 ms old (the
pricing contract says so); streams, errors and anything sent with
credentials never are. Runs when the stack's ingress caches, which is its
default (CT_INGRESS_CACHE=on); with CT_INGRESS_CACHE=off it is skipped.
"""

import http.client
import os
import time

from cases.pricing import API, require_pricing, wait_for_prices
from support.checks import expect, expect_status
from support.context import USER_API
from support.framework import Skip, case

# The cache's bound (a quarter second) and a margin past it.
CACHE_WINDOW_SECONDS = 0.25
PAST_WINDOW_SECONDS = CACHE_WINDOW_SECONDS + 0.1
# Two requests in a row may straddle the edge of a window; this many pairs
# make a pair within one window all but certain.
ATTEMPTS = 8
FRESH_STATUSES = ("MISS", "EXPIRED", "UPDATING")


def require_cache(ctx):
    require_pricing(ctx)
    if os.environ.get("CT_INGRESS_CACHE", "on") == "off":
        raise Skip("the ingress runs without its micro-cache (CT_INGRESS_CACHE=off)")
    wait_for_prices(ctx)


def cache_status(response):
    return response.header("x-cache-status")


def hit_after_fill(ctx, path):
    """Two quick GETs until the second is a HIT; returns (first, second)."""
    for _ in range(ATTEMPTS):
        first = ctx.http.get(path)
        second = ctx.http.get(path)
        expect_status(first, 200)
        expect_status(second, 200)
        if cache_status(second) == "HIT":
            return first, second
        time.sleep(0.05)
    raise AssertionError(f"no HIT for a repeated GET {path} in {ATTEMPTS} tries; "
                         f"last X-Cache-Status {cache_status(first)!r}, {cache_status(second)!r}")


@case("ingress cache: a repeated public read is a HIT, equal, and fresh again after 250 ms")
def repeated_read_is_cached(ctx):
    require_cache(ctx)
    for path in (f"{API}/prices?symbols=BTC&symbols=ETH",
                 f"{API}/assets/BTC/candles?interval=INTERVAL_1M&limit=5",
                 f"{API}/market/summary"):
        first, second = hit_after_fill(ctx, path)
        expect(first.body == second.body, f"the HIT of {path} differs from the answer it repeats")
        for response in (first, second):
            control = response.header("cache-control") or ""
            expect("max-age=0" in control and "public" in control,
                   f"{path}: Cache-Control {control!r} lets a browser keep it longer than the ingress")
        expect(first.header("x-request-id") != second.header("x-request-id"),
               f"{path}: the HIT carries the request id of the request that filled it")
        time.sleep(PAST_WINDOW_SECONDS)
        later = ctx.http.get(path)
        expect_status(later, 200)
        expect(cache_status(later) in FRESH_STATUSES,
               f"{path} {PAST_WINDOW_SECONDS * 1000:.0f} ms later: X-Cache-Status {cache_status(later)!r}")


@case("ingress cache: the key is the whole URI with its query")
def query_is_part_of_the_key(ctx):
    require_cache(ctx)
    first, _ = hit_after_fill(ctx, f"{API}/prices?symbols=BTC")
    other = ctx.http.get(f"{API}/prices?symbols=ETH")
    expect_status(other, 200)
    expect(cache_status(other) != "HIT" or other.body != first.body,
           f"?symbols=ETH got the answer of ?symbols=BTC: {other.describe()}")
    symbols = [price.get("symbol") for price in other.json.get("prices", [])]
    expect(symbols == ["ETH"], f"?symbols=ETH answered prices of {symbols}")


@case("ingress cache: an error is never replayed, for itself or another query")
def errors_are_not_cached(ctx):
    require_cache(ctx)
    bad = f"{API}/prices?symbols=NOT-A-SYMBOL!"
    for _ in range(2):
        response = ctx.http.get(bad)
        expect(response.status == 400, f"malformed symbol: {response.describe()}")
        expect(cache_status(response) != "HIT", f"an error answer came from the cache: {response.describe()}")
    good = ctx.http.get(f"{API}/prices?symbols=BTC&quote=USD")
    expect_status(good, 200)
    symbols = [price.get("symbol") for price in good.json.get("prices", [])]
    expect(symbols == ["BTC"], f"the good query after a bad one: {good.describe()}")


@case("ingress cache: requests with credentials are never answered from it nor stored")
def credentials_bypass_the_cache(ctx):
    require_cache(ctx)
    account = ctx.new_account("cache")
    for _ in range(2):
        me = ctx.http.get(f"{USER_API}/users/me", token=account.access_token)
        expect_status(me, 200)
        expect(cache_status(me) is None, f"a user route went through the cache: {cache_status(me)!r}")
    path = f"{API}/prices?symbols=BTC&quote=EUR"
    hit_after_fill(ctx, path)
    # A public route, a fresh entry in the cache, and still not for these.
    for headers in ({"Authorization": f"Bearer {account.access_token}"}, {"Cookie": "session=e2e"}):
        response = ctx.http.get(path, headers=headers)
        expect_status(response, 200)
        expect(cache_status(response) == "BYPASS",
               f"{sorted(headers)} on {path}: X-Cache-Status {cache_status(response)!r}")
    # What such a request got is not stored for the next anonymous one.
    time.sleep(PAST_WINDOW_SECONDS)
    for _ in range(ATTEMPTS):
        private = ctx.http.get(path, token=account.access_token)
        public = ctx.http.get(path)
        expect(cache_status(private) == "BYPASS", f"with a token: X-Cache-Status {cache_status(private)!r}")
        if cache_status(public) != "HIT":
            return
        # A HIT here may only come from an anonymous request of the window
        # before the token's: wait for the next window and try again.
        time.sleep(PAST_WINDOW_SECONDS)
    raise AssertionError(f"an anonymous GET right after an authorised one was a HIT {ATTEMPTS} times")


@case("ingress cache: the price stream is neither cached nor buffered")
def stream_is_not_cached(ctx):
    require_cache(ctx)
    connection = http.client.HTTPConnection(ctx.http.host, ctx.http.port, timeout=15,
                                            source_address=(ctx.client_address, 0))
    try:
        connection.request("GET", f"{API}/prices/stream?symbols=BTC")
        response = connection.getresponse()
        expect(response.status == 200, f"stream answered {response.status}: {response.read(300)!r}")
        expect(response.getheader("X-Cache-Status") is None,
               f"the stream went through the cache: X-Cache-Status {response.getheader('X-Cache-Status')!r}")
        # The first line (the current price) comes at once and the next with
        # the next trade: with any buffering they would arrive together.
        started = time.monotonic()
        arrivals, buffer = [], b""
        while len(arrivals) < 3 and time.monotonic() - started < 12:
            data = response.read1(65536)
            if not data:
                break
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    arrivals.append(time.monotonic() - started)
    finally:
        connection.close()
    expect(len(arrivals) >= 3, f"only {len(arrivals)} stream lines in 12 s")
    expect(arrivals[-1] - arrivals[0] > 0.2, f"the stream's lines arrived together (at {arrivals}): buffered")
