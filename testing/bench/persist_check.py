#!/usr/bin/env python3
"""Checks that every closed one-minute candle reached PostgreSQL unchanged.

Compares the `candles` rows that pricing-service stored (a CSV dump from
psql: pair, open time in ms, open, high, low, close, volume, trade count,
source) with the simulator's own one-minute klines over the same minutes,
which are the exact aggregation of the trades it sent. A candle that is
missing or differs in any amount or in its trade count is a loss.

usage: persist_check.py --sim URL --from-ms MS --to-ms MS --pairs A,B \
           --rows rows.csv
"""
import argparse
import csv
import json
import sys
import urllib.request
from decimal import Decimal

MINUTE_MS = 60_000


def sim_klines(sim, pair, from_ms, to_ms):
    url = (f"{sim}/api/v3/klines?symbol={pair}&interval=1m"
           f"&startTime={from_ms}&endTime={to_ms - 1}&limit=1000")
    with urllib.request.urlopen(url, timeout=10) as response:
        rows = json.load(response)
    # [open time, open, high, low, close, volume, close time, quote volume,
    #  trades, ...] (Binance's documented kline array).
    return {int(r[0]): (Decimal(r[1]), Decimal(r[2]), Decimal(r[3]),
                        Decimal(r[4]), Decimal(r[5]), int(r[8]))
            for r in rows}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim", required=True)
    parser.add_argument("--from-ms", type=int, required=True)
    parser.add_argument("--to-ms", type=int, required=True)
    parser.add_argument("--pairs", required=True)
    parser.add_argument("--rows", required=True)
    args = parser.parse_args()

    stored = {}
    sources = {}
    with open(args.rows, newline="") as f:
        for pair, open_ms, o, h, l, c, v, trades, source in csv.reader(f):
            stored[(pair, int(float(open_ms)))] = (
                Decimal(o), Decimal(h), Decimal(l), Decimal(c), Decimal(v),
                int(trades))
            sources[source] = sources.get(source, 0) + 1

    pairs = args.pairs.split(",")
    minutes = (args.to_ms - args.from_ms) // MINUTE_MS
    expected = missing = different = trades = 0
    problems = []
    for pair in pairs:
        klines = sim_klines(args.sim, pair, args.from_ms, args.to_ms)
        for open_ms in range(args.from_ms, args.to_ms, MINUTE_MS):
            want = klines.get(open_ms)
            if want is None:
                problems.append(f"{pair} {open_ms}: the simulator has no kline")
                continue
            expected += 1
            trades += want[5]
            got = stored.get((pair, open_ms))
            if got is None:
                missing += 1
                problems.append(f"{pair} {open_ms}: not stored")
            elif got != want:
                different += 1
                problems.append(f"{pair} {open_ms}: stored {got}, exchange {want}")

    print(f"{len(pairs)} pairs x {minutes} closed minutes: {expected} candles "
          f"({trades} trades, {trades / max(1, minutes * 60):.0f} trades/s); "
          f"missing {missing}, different {different}; stored by source: "
          f"{json.dumps(sources, sort_keys=True)}")
    for line in problems[:20]:
        print("  " + line)
    return 0 if expected > 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
