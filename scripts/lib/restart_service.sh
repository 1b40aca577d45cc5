#!/usr/bin/env bash
# Restarts one service's C++ server in a running stack (its sidecar stays):
#   scripts/lib/restart_service.sh <name>
# Run with the CT_* environment of the stack (the test runner exports it), so
# it finds that stack's ports, pid files and logs. Used by the end-to-end
# restart case (CT_E2E_RESTART_PRICING).
set -euo pipefail

# shellcheck source=stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

(($# == 1)) || ct_die "usage: $0 <service name>"
[[ -n "${CT_RUN_DIR:-}" && -d "${CT_RUN_DIR}" ]] || ct_die "CT_RUN_DIR is not set: run this from a stack's environment"
# Every value comes from the environment; the defaults are never used.
ct_configure "${CT_RUN_DIR}" "${CT_HTTP_PORT}" "${CT_PG_PORT}" "${CT_GRPC_PORT_BASE}" "${CT_SIDECAR_PORT_BASE}"
ct_setup_path
ct_select_services
ct_service_restart "$1"
