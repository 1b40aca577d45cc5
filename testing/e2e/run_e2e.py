#!/usr/bin/env python3
"""End-to-end tests of Crypto Tracker's REST and gRPC surface.

Runs against a live stack: NGINX ingress -> gateway sidecar -> user-service
or pricing-service -> PostgreSQL, the pricing-service fed by the exchange
simulator. `make test` starts a stack of its own and runs this with the
CT_E2E_* variables set; by default it targets the stack of `make up`:

  CT_E2E_BASE_URL          ingress (http://127.0.0.1:8080)
  CT_E2E_USER_SIDECAR_URL  user-service's sidecar (http://127.0.0.1:15001)
  CT_E2E_USER_GRPC_ADDR    user-service's gRPC port (127.0.0.1:50051)
  CT_E2E_KEYS_DIR          JWT keys of the stack (.local/keys)
  CT_E2E_RUNNING_SERVICES  services that run, space-separated (user)
  CT_E2E_RESULTS_FILE      where to write the summary line (optional)
  CT_E2E_PRICING_GRPC_ADDR pricing-service's gRPC port (127.0.0.1:50052)
  CT_E2E_EXCHANGE_SIM_URL  the exchange simulator (http://127.0.0.1:15100)
  CT_E2E_RESTART_PRICING   a shell command restarting pricing-service
                           (optional; the restart case is skipped without)

Usage: run_e2e.py [-k SUBSTRING] [--list]
Only the standard library and the openssl and grpcurl commands are used.
"""

import argparse
import os
import sys

# No __pycache__ directories in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Importing the modules registers their cases, in import order.
# isort: off
from cases import auth_flow  # noqa: E402,F401
from cases import tokens  # noqa: E402,F401
from cases import bad_input  # noqa: E402,F401
from cases import text_fields  # noqa: E402,F401
from cases import throttle  # noqa: E402,F401
from cases import ingress  # noqa: E402,F401
from cases import ingress_cache  # noqa: E402,F401
from cases import grpc_api  # noqa: E402,F401
from cases import pricing  # noqa: E402,F401
from cases import pricing_client  # noqa: E402,F401
# isort: on
from support.context import Config, Context  # noqa: E402
from support.framework import registered_cases, run_cases, summary_line  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="pattern", help="run only cases whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args()

    cases = registered_cases()
    if args.pattern:
        cases = [(name, fn) for name, fn in cases if args.pattern.lower() in name.lower()]
    if args.list:
        for name, _ in cases:
            print(name)
        return 0

    config = Config.from_environment()
    print(f"end-to-end: {len(cases)} cases against {config.base_url} (run {config.run_id})", flush=True)
    passed, failed, skipped = run_cases(cases, lambda index: Context(config, index), sys.stdout)
    line = summary_line(passed, failed, skipped)
    print(line, flush=True)
    results_file = os.environ.get("CT_E2E_RESULTS_FILE")
    if results_file:
        with open(results_file, "w", encoding="utf-8") as out:
            out.write(line + "\n")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
