#!/usr/bin/env python3
"""One line of the REST stage (testing/bench/run.sh) from a wrk --latency run.

Reads wrk's output on stdin and prints

  <label>: <req/s> req/s, p50 <ms>, p99 <ms> (<requests> in <s>) | CPU per
  request: sidecar <us>, pricing <us>, nginx <us> | <headers> | <bytes> B

The CPU figures are the processes' utime + stime (clock ticks from
/proc/<pid>/stat, read by run.sh before and after wrk) divided by the
requests wrk completed. Exits 1, after printing the line, when wrk reports
non-2xx answers or socket errors: a figure of failed requests is no figure.
"""

import argparse
import re
import sys

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _millis(text):
    """'812.00us', '3.10ms', '1.20s' -> milliseconds."""
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output):
    """The figures of one wrk --latency run, as a dict."""
    figures = {"non2xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        line = line.strip()
        if match := re.fullmatch(r"(50|99)%\s+(\S+)", line):
            figures["p" + match.group(1)] = _millis(match.group(2))
        elif match := re.match(r"(\d+) requests in ([0-9.]+)(us|ms|s|m)", line):
            figures["requests"] = int(match.group(1))
            figures["seconds"] = _millis(match.group(2) + match.group(3)) / 1000
        elif match := re.match(r"Requests/sec:\s+([0-9.]+)", line):
            figures["rate"] = float(match.group(1))
        elif match := re.match(r"Non-2xx or 3xx responses:\s+(\d+)", line):
            figures["non2xx"] = int(match.group(1))
        elif line.startswith("Socket errors:"):
            figures["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
    missing = {"p50", "p99", "requests", "rate"} - figures.keys()
    if missing:
        raise ValueError(f"wrk printed no {', '.join(sorted(missing))}:\n{output}")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--clock-ticks", type=int, required=True, help="getconf CLK_TCK")
    parser.add_argument(
        "--cpu", action="append", default=[], metavar="NAME=TICKS",
        help="CPU clock ticks a process used during the run (repeatable)")
    parser.add_argument("--headers", default="", help="the answer's caching headers")
    parser.add_argument("--bytes", default="", help="size of one answer")
    args = parser.parse_args()

    output = sys.stdin.read()
    figures = parse_wrk(output)
    requests = figures["requests"]
    cpu = []
    for item in args.cpu:
        name, ticks = item.split("=", 1)
        micros = int(ticks) * 1e6 / args.clock_ticks / requests if requests else 0.0
        cpu.append(f"{name} {micros:.1f} us")
    line = (f"{args.label}: {figures['rate']:,.0f} req/s, p50 {figures['p50']:.2f} ms, "
            f"p99 {figures['p99']:.2f} ms ({requests:,} in {figures['seconds']:.1f} s)")
    if cpu:
        line += " | CPU per request: " + ", ".join(cpu)
    line += f" | {args.headers or 'no caching headers'}"
    if args.bytes:
        line += f" | {int(args.bytes):,} B"
    if figures["non2xx"] or figures["socket_errors"]:
        line += (f" | FAILED: {figures['non2xx']} non-2xx answers, "
                 f"{figures['socket_errors']} socket errors")
    print(line)
    return 1 if figures["non2xx"] or figures["socket_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
