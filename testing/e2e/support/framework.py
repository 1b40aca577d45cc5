"""A small test runner: named cases, run in order, one line per result.

Cases register with @case("name"). Each gets a Context (configuration and
HTTP clients). A case passes when it returns, fails on any exception, and is
skipped when it raises Skip. The runner ends with "N passed, N failed"
(", N skipped" when there were skips), the line `make test` reports. A skip
is no pass: under `make test` each one is also handed to the stage runner
(CT_STAGE_SKIP_FILE, scripts/lib/stages.sh), which reports the suite as
skipped in part.
"""

import os
import time
import traceback

_CASES = []


class Skip(Exception):
    """Raised by a case that cannot run in this environment."""


def case(name):
    """Registers the decorated function as the end-to-end case `name`."""

    def register(function):
        if any(existing == name for existing, _ in _CASES):
            raise ValueError(f"duplicate case name: {name}")
        _CASES.append((name, function))
        return function

    return register


def registered_cases():
    return list(_CASES)


def _describe_failure(error):
    if isinstance(error, AssertionError) and str(error):
        return str(error)
    if isinstance(error, OSError):
        # Connection refused, timeouts: the stack is not there or hangs.
        return f"{type(error).__name__}: {error}"
    # Anything else is a bug in the case or an unexpected crash: show where.
    frames = traceback.format_exception(type(error), error, error.__traceback__)
    return "".join(frames[-3:]).rstrip()


def _report_skip(line):
    skip_file = os.environ.get("CT_STAGE_SKIP_FILE")
    if skip_file:
        with open(skip_file, "a", encoding="utf-8") as reasons:
            reasons.write(line.replace("\n", " ") + "\n")


def run_cases(cases, make_context, out):
    """Runs the cases; returns (passed, failed, skipped)."""
    passed = failed = skipped = 0
    for index, (name, function) in enumerate(cases):
        started = time.monotonic()
        try:
            function(make_context(index))
        except Skip as reason:
            skipped += 1
            print(f"SKIP  {name}: {reason}", file=out, flush=True)
            _report_skip(f"end-to-end case '{name}': {reason}")
            continue
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failed += 1
            elapsed = time.monotonic() - started
            details = _describe_failure(error).replace("\n", "\n      ")
            print(f"FAIL  {name} ({elapsed:.2f}s)\n      {details}", file=out, flush=True)
            continue
        passed += 1
        elapsed = time.monotonic() - started
        print(f"PASS  {name} ({elapsed:.2f}s)", file=out, flush=True)
    return passed, failed, skipped


def summary_line(passed, failed, skipped):
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    return line
