"""pricing-service end to end: NGINX -> gateway -> pricing-service ->
PostgreSQL, fed by the exchange simulator that the stack starts.

The simulator is deterministic and speaks Binance's REST API, so stored
candles are compared with the exchange's own klines value for value.
"""

import datetime
import http.client
import json
import subprocess
import time
import urllib.parse
import urllib.request
from decimal import Decimal

from support.checks import (GRPC_INVALID_ARGUMENT, GRPC_NOT_FOUND, expect, expect_error, expect_status,
                            parse_timestamp)
from support import context, indicators
from support.framework import Skip, case

API = "/pricing-service/api/v1"
SERVICE = "cryptotracker.pricing.v1.PricingService"
MINUTE_MS = 60_000


def require_pricing(ctx):
    if "pricing" not in ctx.config.running_services:
        raise Skip("pricing-service is not part of this stack")


def parse_time(text):
    """RFC 3339 with a Z as the gateway writes it -> milliseconds."""
    expect(isinstance(text, str) and text.endswith("Z"), f"not an RFC 3339 UTC timestamp: {text!r}")
    return int(parse_timestamp(text, "timestamp").timestamp() * 1000)


def rfc3339(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def decimal_string(value, what, positive=True):
    expect(isinstance(value, str) and value != "", f"{what} is not a decimal string: {value!r}")
    try:
        number = Decimal(value)
    except ArithmeticError as error:
        raise AssertionError(f"{what} is not a decimal: {value!r}") from error
    expect("e" not in value.lower(), f"{what} uses an exponent: {value!r}")
    if positive:
        expect(number > 0, f"{what} is not positive: {value!r}")
    return number


def get_json(ctx, path, status=200):
    response = ctx.http.get(path)
    expect_status(response, status)
    expect(isinstance(response.json, dict), f"not a JSON object: {response.describe()}")
    return response.json


def wait_for(what, predicate, timeout=60, interval=1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def check_price(price, symbol=None, quote="USD", omits_defaults=False):
    """A live price. `omits_defaults`: proto3 JSON from grpcurl leaves out
    false and empty fields (the gateway sends them)."""
    if symbol is not None:
        expect(price.get("symbol") == symbol, f"expected {symbol}: {price!r}")
    expect(price.get("quote") == quote, f"expected quote {quote}: {price!r}")
    last = decimal_string(price.get("lastPrice"), f"{price.get('symbol')} lastPrice")
    for field in ("open24h", "high24h", "low24h"):
        decimal_string(price.get(field), f"{price.get('symbol')} {field}")
    high = Decimal(price["high24h"])
    low = Decimal(price["low24h"])
    expect(low <= high, f"low24h above high24h: {price!r}")
    decimal_string(price.get("change24h"), "change24h", positive=False)
    expect(price.get("source") == "binance", f"source: {price!r}")
    stale = price.get("stale", False) if omits_defaults else price.get("stale")
    expect(stale is False, f"a live price is stale or has no stale flag: {price!r}")
    updated = parse_time(price.get("updateTime"))
    expect(abs(updated - time.time() * 1000) < 120_000, f"updateTime is not recent: {price!r}")
    return last


def prices(ctx, symbols=(), quote=None):
    query = [("symbols", s) for s in symbols]
    if quote:
        query.append(("quote", quote))
    path = f"{API}/prices" + ("?" + urllib.parse.urlencode(query) if query else "")
    return get_json(ctx, path)["prices"]


def wait_for_prices(ctx):
    """The feed delivers its first trades within seconds of start-up."""
    return wait_for("live prices of every asset",
                    lambda: _all_priced(ctx), timeout=60)


def _all_priced(ctx):
    response = ctx.http.get(f"{API}/prices")
    if response.status != 200:
        return None
    listed = response.json.get("prices", [])
    return listed if listed and all(p.get("lastPrice") for p in listed) else None


def candles(ctx, symbol, interval, **query):
    params = [("interval", interval)] + [(k, v) for k, v in query.items()]
    body = get_json(ctx, f"{API}/assets/{symbol}/candles?" + urllib.parse.urlencode(params))
    return body.get("candles", [])


def check_candles(rows, width_ms, what):
    expect(rows, f"no {what} candles")
    previous = None
    for row in rows:
        open_ms = parse_time(row["openTime"])
        expect(open_ms % width_ms == 0, f"{what}: unaligned openTime {row!r}")
        expect(parse_time(row["closeTime"]) == open_ms + width_ms, f"{what}: closeTime {row!r}")
        o, h, l, c = (decimal_string(row[k], f"{what} {k}") for k in ("open", "high", "low", "close"))
        expect(l <= min(o, c) and max(o, c) <= h, f"{what}: OHLC inconsistent {row!r}")
        decimal_string(row["volume"], f"{what} volume", positive=False)
        if previous is not None:
            expect(open_ms > previous, f"{what}: not strictly ascending at {row['openTime']}")
        previous = open_ms


def exchange_klines(ctx, pair, start_ms, end_ms):
    """The simulator's (Binance's) closed one-minute klines in [start, end)."""
    query = urllib.parse.urlencode({"symbol": pair, "interval": "1m", "startTime": start_ms,
                                    "endTime": end_ms - 1, "limit": 1000})
    try:
        with urllib.request.urlopen(f"{ctx.config.exchange_sim_url}/api/v3/klines?{query}", timeout=10) as answer:
            rows = json.load(answer)
    except OSError as error:
        raise Skip(f"exchange simulator not reachable at {ctx.config.exchange_sim_url}: {error}") from error
    return {row[0]: row for row in rows}


def expect_same_as_exchange(stored, klines, what):
    """Stored one-minute candles equal the exchange's klines exactly."""
    for row in stored:
        open_ms = parse_time(row["openTime"])
        kline = klines.get(open_ms)
        expect(kline is not None, f"{what}: the exchange has no kline at {row['openTime']}")
        for index, field in ((1, "open"), (2, "high"), (3, "low"), (4, "close"), (5, "volume")):
            expect(Decimal(row[field]) == Decimal(kline[index]),
                   f"{what} {row['openTime']}: {field} {row[field]} != exchange {kline[index]}")
        expect(int(row.get("tradeCount", 0)) == kline[8],
               f"{what} {row['openTime']}: tradeCount {row.get('tradeCount')} != exchange {kline[8]}")


# ---- catalogue and prices --------------------------------------------------

@case("pricing: the asset catalogue lists about twenty coins with their fields")
def pricing_assets(ctx):
    require_pricing(ctx)
    assets = get_json(ctx, f"{API}/assets")["assets"]
    expect(18 <= len(assets) <= 30, f"expected about 20 assets, got {len(assets)}")
    symbols = [a["symbol"] for a in assets]
    by_rank = [a["symbol"] for a in sorted(assets, key=lambda a: a.get("rank") or 10**9)]
    expect(symbols == by_rank, f"not ordered by rank: {symbols}")
    expect(len(set(symbols)) == len(symbols), f"duplicate symbols: {symbols}")
    ranks = [a["rank"] for a in assets if a.get("rank")]
    expect(ranks == sorted(ranks), f"ranks not ascending: {ranks}")
    for asset in assets:
        expect(asset.get("name"), f"no name: {asset!r}")
        expect(asset.get("exchange") == "binance", f"exchange: {asset!r}")
        expect(asset.get("pair") == asset["symbol"] + "USDT", f"pair: {asset!r}")
    # CoinGecko (the simulator's /coins/markets) fills market caps in at start-up.
    btc = wait_for("BTC's market cap from CoinGecko",
                   lambda: next((a for a in get_json(ctx, f"{API}/assets")["assets"]
                                 if a["symbol"] == "BTC" and a.get("marketCapUsd")), None), timeout=30)
    decimal_string(btc["marketCapUsd"], "BTC marketCapUsd")
    decimal_string(btc["circulatingSupply"], "BTC circulatingSupply")
    # priceDecimals is the exchange's price precision: no price of the asset
    # has more decimals (the simulator quotes in those ticks).
    decimals = {a["symbol"]: a.get("priceDecimals", 0) for a in assets}
    for price in wait_for_prices(ctx):
        places = -Decimal(price["lastPrice"]).as_tuple().exponent
        expect(places <= decimals[price["symbol"]],
               f"{price['symbol']} lastPrice {price['lastPrice']} has more than priceDecimals"
               f" {decimals[price['symbol']]} decimals")


@case("pricing: prices of every asset are live decimal strings with time, source and stale flag")
def pricing_all_prices(ctx):
    require_pricing(ctx)
    listed = wait_for_prices(ctx)
    assets = get_json(ctx, f"{API}/assets")["assets"]
    # (Ordered by the rank at start-up; CoinGecko may re-rank the catalogue.)
    expect(sorted(p["symbol"] for p in listed) == sorted(a["symbol"] for a in assets),
           f"prices do not cover the catalogue: {[p['symbol'] for p in listed]}")
    for price in listed:
        check_price(price)


@case("pricing: BTC and ETH in USD, EUR and BTC agree through the cross rates")
def pricing_quotes(ctx):
    require_pricing(ctx)
    wait_for_prices(ctx)
    by_quote = {}
    for quote in ("USD", "EUR", "BTC"):
        listed = prices(ctx, ["BTC", "ETH"], quote)
        expect([p["symbol"] for p in listed] == ["BTC", "ETH"], f"{quote}: {listed!r}")
        by_quote[quote] = {p["symbol"]: check_price(p, quote=quote) for p in listed}
    expect(by_quote["BTC"]["BTC"] == 1, f"BTC in BTC is {by_quote['BTC']['BTC']}")
    # ETH/BTC is ETH/USD over BTC/USD, up to rounding and a tick in between.
    implied = by_quote["USD"]["ETH"] / by_quote["USD"]["BTC"]
    expect(abs(by_quote["BTC"]["ETH"] - implied) / implied < Decimal("0.01"),
           f"ETH in BTC {by_quote['BTC']['ETH']} vs implied {implied}")
    # Both EUR prices use the same EUR/USD rate.
    rate_btc = by_quote["USD"]["BTC"] / by_quote["EUR"]["BTC"]
    rate_eth = by_quote["USD"]["ETH"] / by_quote["EUR"]["ETH"]
    expect(abs(rate_btc - rate_eth) / rate_btc < Decimal("0.01"), f"EUR rates differ: {rate_btc} {rate_eth}")


@case("pricing: prices move within a few seconds")
def pricing_prices_move(ctx):
    require_pricing(ctx)
    wait_for_prices(ctx)
    first = {p["symbol"]: p for p in prices(ctx)}
    latest = {}

    def moved():
        latest.update((p["symbol"], p) for p in prices(ctx))
        return [symbol for symbol, p in latest.items()
                if (p["lastPrice"], p["updateTime"]) != (first[symbol]["lastPrice"], first[symbol]["updateTime"])]

    # A move is a later trade: its time does not go back.
    for symbol in wait_for("a price change", moved, timeout=15, interval=0.5):
        before, after = first[symbol], latest[symbol]
        expect(parse_time(after["updateTime"]) >= parse_time(before["updateTime"]),
               f"{symbol} moved back in time: {before!r} -> {after!r}")


@case("pricing: the NDJSON stream emits several price lines within seconds")
def pricing_stream(ctx):
    require_pricing(ctx)
    wait_for_prices(ctx)
    connection = http.client.HTTPConnection(ctx.http.host, ctx.http.port, timeout=15,
                                            source_address=(ctx.client_address, 0))
    try:
        connection.request("GET", f"{API}/prices/stream?symbols=BTC&symbols=ETH&quote=USD")
        response = connection.getresponse()
        if response.status != 200:
            raise AssertionError(f"stream answered {response.status}: {response.read(300)!r}")
        lines, buffer, started = [], b"", time.monotonic()
        # Chunk boundaries need not fall on line ends: split the bytes here.
        while len(lines) < 6 and time.monotonic() - started < 12:
            data = response.read1(65536)
            if not data:
                break
            buffer += data
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                if not line.strip():
                    continue
                try:
                    lines.append(json.loads(line))
                except ValueError as error:
                    raise AssertionError(f"stream line {len(lines) + 1} is not JSON ({error}): {line[:120]!r}") from error
        elapsed = time.monotonic() - started
    finally:
        connection.close()
    expect(len(lines) >= 6, f"only {len(lines)} lines in {elapsed:.1f}s: {lines!r}")
    symbols = set()
    for line in lines:
        event = line.get("result", {})
        if "heartbeat" in event:
            continue
        price = event.get("price")
        expect(price is not None, f"neither price nor heartbeat: {line!r}")
        check_price(price, quote="USD")
        symbols.add(price["symbol"])
    expect(symbols <= {"BTC", "ETH"}, f"unrequested symbols streamed: {symbols}")
    expect(symbols, "no price line at all")


# ---- candles, analysis, summary --------------------------------------------

@case("pricing: 1m candles after the start-up backfill equal the exchange's klines")
def pricing_candles_1m(ctx):
    require_pricing(ctx)
    now = int(time.time() * 1000)
    end = now - now % MINUTE_MS - 2 * MINUTE_MS
    start = end - 120 * MINUTE_MS
    rows = wait_for("two hours of backfilled 1m candles", lambda: (
        lambda got: got if len(got) == 120 else None)(
        candles(ctx, "ETH", "INTERVAL_1M", start_time=rfc3339(start), end_time=rfc3339(end), limit=1000)),
        timeout=90, interval=2)
    check_candles(rows, MINUTE_MS, "ETH 1m")
    expect(parse_time(rows[0]["openTime"]) == start, f"first candle {rows[0]['openTime']}")
    expect(all(r.get("closed") for r in rows), "a candle of the past is not closed")
    expect_same_as_exchange(rows, exchange_klines(ctx, "ETHUSDT", start, end), "ETH 1m")


@case("pricing: 1h candles roll up the backfilled history")
def pricing_candles_1h(ctx):
    require_pricing(ctx)
    rows = wait_for("a day of hourly candles", lambda: (
        lambda got: got if len(got) >= 24 else None)(candles(ctx, "BTC", "INTERVAL_1H", limit=48)),
        timeout=90, interval=2)
    check_candles(rows, 60 * MINUTE_MS, "BTC 1h")
    closed = [r for r in rows if r.get("closed")]
    expect(len(closed) >= 24, f"only {len(closed)} closed hourly candles")
    # An hourly candle is the roll-up of its minutes.
    hour = closed[-1]
    start = parse_time(hour["openTime"])
    minutes = candles(ctx, "BTC", "INTERVAL_1M", start_time=rfc3339(start),
                      end_time=rfc3339(start + 60 * MINUTE_MS), limit=60)
    expect(len(minutes) == 60, f"{len(minutes)} minutes in {hour['openTime']}")
    expect(hour["open"] == minutes[0]["open"] and hour["close"] == minutes[-1]["close"], f"{hour!r}")
    expect(Decimal(hour["high"]) == max(Decimal(m["high"]) for m in minutes), f"high of {hour!r}")
    expect(Decimal(hour["low"]) == min(Decimal(m["low"]) for m in minutes), f"low of {hour!r}")
    expect(Decimal(hour["volume"]) == sum(Decimal(m["volume"]) for m in minutes), f"volume of {hour!r}")


def _without_volatile_fields(analysis):
    """An analysis answer without the fields that change with every call."""
    return {k: v for k, v in analysis.items() if k not in ("computeTime", "returns")}


def analysis_and_its_candles(ctx, symbol, interval):
    """An analysis answer and the candles it says it used. Asked twice
    around the candles, and again while the two answers differ: a minute
    may close in between, or the exchange's kline of a minute that has just
    closed may replace the candle built from trades."""
    path = f"{API}/assets/{symbol}/analysis?interval={interval}"
    for _ in range(5):
        first = get_json(ctx, path)
        used = first.get("candleRange", {})
        expect(used.get("startTime") and used.get("endTime"), f"{symbol} {interval} analysis: no candleRange: {first!r}")
        rows = candles(ctx, symbol, interval, start_time=used["startTime"], end_time=used["endTime"], limit=1000)
        second = get_json(ctx, path)
        if _without_volatile_fields(first) == _without_volatile_fields(second):
            return first, rows
        time.sleep(2)
    raise AssertionError(f"{symbol} {interval} analysis kept changing: {first!r} then {second!r}")


def expect_fields(actual, expected, what):
    """Every expected field is in `actual` with exactly that value; a field
    the JSON leaves out counts as its proto3 default ("" or 0)."""
    for key, want in expected.items():
        if isinstance(want, dict):
            expect_fields(actual.get(key) or {}, want, f"{what} {key}")
        elif isinstance(want, list):
            got = actual.get(key) or []
            expect(len(got) == len(want), f"{what} {key}: {got!r}, expected {want!r}")
            for index, (got_item, want_item) in enumerate(zip(got, want)):
                expect_fields(got_item, want_item, f"{what} {key}[{index}]")
        else:
            got = actual.get(key, "" if isinstance(want, str) else 0)
            expect(got == want, f"{what} {key}: {got!r}, expected {want!r} (recomputed from the candles)")


def check_analysis(ctx, asset, interval, width_ms):
    """The analysis of one asset equals the indicators recomputed from the
    candles it names, value for value."""
    symbol = asset["symbol"]
    what = f"{symbol} {interval} analysis"
    body, rows = analysis_and_its_candles(ctx, symbol, interval)
    expect(body.get("pair") == asset["pair"] and body.get("quote") == "USD", f"{what}: {body!r}")
    used = body["candleRange"]
    count = used.get("candleCount", 0)
    check_candles(rows, width_ms, what)
    expect(len(rows) == count and all(r.get("closed") for r in rows),
           f"{what}: candleCount {count}, but {len(rows)} candles ({sum(1 for r in rows if r.get('closed'))}"
           f" closed) from {used['startTime']} to {used['endTime']}")
    expect(rows[0]["openTime"] == used["startTime"] and rows[-1]["closeTime"] == used["endTime"],
           f"{what}: candleRange {used!r} vs candles {rows[0]['openTime']}..{rows[-1]['closeTime']}")
    # The 500 most recent closed candles, or all there are.
    expect(count <= 500, f"{what}: {count} candles, more than the 500 documented")
    if count < 500:
        older = candles(ctx, symbol, interval, end_time=used["startTime"], limit=10)
        expect(not older, f"{what}: used {count} candles although older ones exist: {older[-1:]!r}")
    expect(body.get("lastClose") == rows[-1]["close"], f"{what}: lastClose {body.get('lastClose')!r},"
           f" last candle closed at {rows[-1]['close']}")
    expect_fields(body, indicators.expected_analysis(rows, width_ms), what)
    # Returns look back 1 hour to 30 days from now, against the finest stored
    # candle of that time. The last day is stored before the service is
    # ready; older days arrive while the start-up history fill goes on
    # (newest first), so 7d and 30d may still be empty.
    returns = body.get("returns") or {}
    for field in ("changePercent1h", "changePercent24h"):
        decimal_string(returns.get(field), f"{what} {field}", positive=False)
    for field in ("changePercent7d", "changePercent30d"):
        if returns.get(field):
            decimal_string(returns[field], f"{what} {field}", positive=False)
    return body


@case("pricing: analysis equals the indicators recomputed from the candles it used, for every asset")
def pricing_analysis(ctx):
    require_pricing(ctx)
    assets = get_json(ctx, f"{API}/assets")["assets"]
    for asset in assets:
        wait_for(f"{asset['symbol']} hourly candles for an analysis", lambda: len(
            candles(ctx, asset["symbol"], "INTERVAL_1H", limit=40)) >= 31, timeout=60, interval=2)
        check_analysis(ctx, asset, "INTERVAL_1H", 60 * MINUTE_MS)
    # One-minute candles: 500 of them, so every indicator has a value.
    btc = next(a for a in assets if a["symbol"] == "BTC")
    body = check_analysis(ctx, btc, "INTERVAL_1M", MINUTE_MS)
    expect(body["candleRange"]["candleCount"] == 500, f"BTC 1m analysis used {body['candleRange']}")
    for average in body["sma"] + body["ema"]:
        expect(average.get("value"), f"BTC 1m analysis over 500 candles lacks {average!r}")


@case("pricing: the market summary has gainers, losers and breadth")
def pricing_market_summary(ctx):
    require_pricing(ctx)
    wait_for_prices(ctx)
    body = get_json(ctx, f"{API}/market/summary?top_count=3")
    expect(body.get("quote") == "USD", f"{body!r}")
    expect(len(body.get("topGainers", [])) == 3 and len(body.get("topLosers", [])) == 3, f"{body!r}")
    gains = [Decimal(p["changePercent24h"]) for p in body["topGainers"]]
    losses = [Decimal(p["changePercent24h"]) for p in body["topLosers"]]
    expect(gains == sorted(gains, reverse=True), f"gainers not descending: {gains}")
    expect(losses == sorted(losses), f"losers not ascending: {losses}")
    expect(gains[0] >= losses[0], f"top gainer below top loser: {gains} {losses}")
    assets = len(get_json(ctx, f"{API}/assets")["assets"])
    expect(body.get("assetCount") == assets, f"assetCount {body.get('assetCount')} != {assets}")
    breadth = body.get("breadth", {})
    counted = sum(breadth.get(k, 0) for k in ("advancingCount", "decliningCount", "unchangedCount"))
    expect(counted == assets, f"breadth does not add up: {breadth!r}")
    decimal_string(body.get("totalVolume24h"), "totalVolume24h")


# ---- bad input -------------------------------------------------------------

@case("pricing: an unknown symbol is a 404 naming it")
def pricing_unknown_symbol(ctx):
    require_pricing(ctx)
    for path in (f"{API}/prices?symbols=BTC&symbols=NOPE", f"{API}/assets/NOPE/candles?interval=INTERVAL_1H",
                 f"{API}/assets/NOPE/analysis?interval=INTERVAL_1H"):
        expect_error(ctx.http.get(path), 404, GRPC_NOT_FOUND, mentions=["NOPE"])
    # The stream refuses before it starts, with the same JSON error inside.
    response = ctx.http.get(f"{API}/prices/stream?symbols=NOPE")
    expect(response.status == 404, f"stream of an unknown symbol: {response.describe()}")
    expect(b"NOPE" in response.body, f"stream error does not name the symbol: {response.describe()}")


@case("pricing: short interval names (1h, 1d) work like the enum names")
def pricing_short_interval_names(ctx):
    require_pricing(ctx)
    short = get_json(ctx, f"{API}/assets/BTC/candles?interval=1h&limit=5")
    long = get_json(ctx, f"{API}/assets/BTC/candles?interval=INTERVAL_1H&limit=5")
    expect(short.get("candles") and len(short["candles"]) == len(long.get("candles", [])),
           f"1h and INTERVAL_1H differ: {short} vs {long}")
    check_candles(short["candles"], 3600 * 1000, "candles of interval=1h")
    get_json(ctx, f"{API}/assets/BTC/analysis?interval=1d")
    # "1M" is a month on exchanges; it must not be taken for a minute.
    expect_error(ctx.http.get(f"{API}/assets/BTC/candles?interval=1M"), 400, GRPC_INVALID_ARGUMENT,
                 mentions=["interval"])


@case("pricing: start and end work like start_time and end_time")
def pricing_start_end_names(ctx):
    require_pricing(ctx)
    start = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0) \
        - datetime.timedelta(hours=6)
    stamp = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Closed hours of the start-up backfill, the same in both answers.
    short = wait_for("three backfilled hours", lambda: (lambda body: body if len(body.get("candles", [])) == 3
                     else None)(get_json(ctx, f"{API}/assets/BTC/candles?interval=1h&start={stamp}&limit=3")))
    long = get_json(ctx, f"{API}/assets/BTC/candles?interval=1h&start_time={stamp}&limit=3")
    expect(short == long, f"start and start_time differ: {short} vs {long}")
    expect(short["candles"][0]["openTime"] >= stamp, f"a candle before start {stamp}: {short['candles'][0]}")
    base = f"{API}/assets/BTC/candles?interval=1h"
    expect_error(ctx.http.get(f"{base}&start=2025-01-02T00:00:00Z&end=2025-01-01T00:00:00Z"), 400,
                 GRPC_INVALID_ARGUMENT, mentions=["start_time"])
    expect_error(ctx.http.get(f"{base}&start=yesterday"), 400, GRPC_INVALID_ARGUMENT, mentions=["start_time"])
    expect_error(ctx.http.get(f"{base}&start={stamp}&start_time={stamp}"), 400, GRPC_INVALID_ARGUMENT,
                 mentions=["start_time"])


@case("pricing: an unknown quote or interval is a 400")
def pricing_unknown_quote_interval(ctx):
    require_pricing(ctx)
    expect_error(ctx.http.get(f"{API}/prices?quote=JPY"), 400, GRPC_INVALID_ARGUMENT, mentions=["quote"])
    expect_error(ctx.http.get(f"{API}/market/summary?quote=XYZ"), 400, GRPC_INVALID_ARGUMENT, mentions=["quote"])
    for interval in ("INTERVAL_2H", "fortnightly"):
        expect_error(ctx.http.get(f"{API}/assets/BTC/candles?interval={interval}"), 400,
                     GRPC_INVALID_ARGUMENT, mentions=["interval"])
    expect_error(ctx.http.get(f"{API}/assets/BTC/candles"), 400, GRPC_INVALID_ARGUMENT, mentions=["interval"])


@case("pricing: start after end, limits and symbol counts beyond the maximum are 400s naming them")
def pricing_bad_ranges(ctx):
    require_pricing(ctx)
    base = f"{API}/assets/BTC/candles?interval=INTERVAL_1H"
    expect_error(ctx.http.get(f"{base}&start_time=2025-01-02T00:00:00Z&end_time=2025-01-01T00:00:00Z"),
                 400, GRPC_INVALID_ARGUMENT, mentions=["start_time", "end_time"])
    message = expect_error(ctx.http.get(f"{base}&limit=1001"), 400, GRPC_INVALID_ARGUMENT, mentions=["limit"])
    expect("1000" in message, f"the limit's maximum is not named: {message}")
    expect_error(ctx.http.get(f"{base}&limit=-1"), 400, GRPC_INVALID_ARGUMENT, mentions=["limit"])
    expect_error(ctx.http.get(f"{API}/market/summary?top_count=500"), 400, GRPC_INVALID_ARGUMENT,
                 mentions=["top_count"])
    many = "&".join(f"symbols=S{i}" for i in range(101))
    message = expect_error(ctx.http.get(f"{API}/prices?{many}"), 400, GRPC_INVALID_ARGUMENT,
                           mentions=["symbols"])
    expect("100" in message, f"the maximum of 100 symbols is not named: {message}")


@case("pricing: malformed timestamps are 400s")
def pricing_bad_timestamps(ctx):
    require_pricing(ctx)
    base = f"{API}/assets/BTC/candles?interval=INTERVAL_1H"
    for value in ("yesterday", "2025-13-01T00:00:00Z", "1700000000", "2025-01-01"):
        expect_error(ctx.http.get(f"{base}&start_time={urllib.parse.quote(value)}"), 400,
                     GRPC_INVALID_ARGUMENT, mentions=["start_time"])
    expect_error(ctx.http.get(f"{base}&end_time=not-a-time"), 400, GRPC_INVALID_ARGUMENT, mentions=["end_time"])


# ---- gRPC --------------------------------------------------------------------

def grpcurl(ctx, *args, check=True):
    return context.grpcurl(ctx.config, *args, check=check)


@case("pricing: grpcurl lists and calls cryptotracker.pricing.v1")
def pricing_grpc(ctx):
    require_pricing(ctx)
    services = grpcurl(ctx, ctx.config.pricing_grpc_addr, "list").stdout.split()
    expect(SERVICE in services, f"{SERVICE} not listed: {services}")
    described = grpcurl(ctx, ctx.config.pricing_grpc_addr, "describe", SERVICE).stdout
    for method in ("ListAssets", "GetPrices", "StreamPrices", "GetCandles", "GetAnalysis", "GetMarketSummary"):
        expect(f"rpc {method} " in described, f"describe lacks {method}:\n{described}")
    wait_for_prices(ctx)
    answer = json.loads(grpcurl(ctx, "-d", '{"symbols": ["BTC", "ETH"], "quote": "EUR"}', ctx.config.pricing_grpc_addr,
                                f"{SERVICE}/GetPrices").stdout)
    expect([p["symbol"] for p in answer["prices"]] == ["BTC", "ETH"], f"{answer!r}")
    for price in answer["prices"]:
        check_price(price, quote="EUR", omits_defaults=True)
    failed = grpcurl(ctx, "-d", '{"symbols": ["NOPE"]}', ctx.config.pricing_grpc_addr, f"{SERVICE}/GetPrices", check=False)
    expect(failed.returncode != 0 and "NotFound" in failed.stderr and "NOPE" in failed.stderr,
           f"unknown symbol over gRPC: {failed.stderr}")


# ---- restart ---------------------------------------------------------------

@case("pricing: a restart neither loses nor doubles closed candles")
def pricing_restart(ctx):
    require_pricing(ctx)
    command = ctx.config.restart_pricing
    if not command:
        raise Skip("CT_E2E_RESTART_PRICING (a command that restarts pricing-service) is not set")
    wait_for_prices(ctx)

    def minutes(start, end):
        return candles(ctx, "BTC", "INTERVAL_1M", start_time=rfc3339(start), end_time=rfc3339(end), limit=1000)

    now = int(time.time() * 1000)
    start = now - now % MINUTE_MS - 15 * MINUTE_MS
    # Up to the minute before the last closed one: the exchange's kline of
    # a minute that has just closed may still be on its way.
    before = minutes(start, now - now % MINUTE_MS - MINUTE_MS)
    expect(len(before) == 14 and all(r.get("closed") for r in before),
           f"expected 14 closed minutes before the restart, got {len(before)}")

    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False, timeout=180)
    expect(result.returncode == 0, f"restart failed: {result.stdout[-800:]}{result.stderr[-800:]}")
    restarted = int(time.time() * 1000)
    wait_for_prices(ctx)

    # The minute the restart fell in closes, and its exchange kline arrives.
    settle = restarted - restarted % MINUTE_MS + MINUTE_MS
    time.sleep(max(0, (settle - time.time() * 1000) / 1000) + 8)
    after = minutes(start, settle)
    after_by_time = {r["openTime"]: r for r in after}
    for row in before:
        expect(after_by_time.get(row["openTime"]) == row,
               f"candle {row['openTime']} changed across the restart: {row!r} -> {after_by_time.get(row['openTime'])!r}")
    check_candles(after, MINUTE_MS, "BTC 1m across a restart")
    expected_count = (settle - start) // MINUTE_MS
    expect(len(after) == expected_count, f"{len(after)} minutes in [{rfc3339(start)}, {rfc3339(settle)}),"
           f" expected {expected_count}: a minute was lost")
    expect_same_as_exchange(after, exchange_klines(ctx, "BTCUSDT", start, settle), "BTC 1m across a restart")
