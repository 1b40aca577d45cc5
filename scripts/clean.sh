#!/usr/bin/env bash
# Deletes the local data of `make up` and `make test` (databases, logs,
# generated configuration), refusing while a stack is running. Keeps the
# JWT keys (.local/keys) and the installed tools (.local/bin).
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

for dir in "${CT_RUN_DIR:-${CT_ROOT}/.local/run}" "${CT_TEST_DIR:-${CT_ROOT}/.local/test}"; do
  [[ -d "${dir}" ]] || continue
  if [[ -f "${dir}/stack.lock" ]] && ! flock -n "${dir}/stack.lock" true; then
    ct_die "a stack is running in ${dir}; stop it first"
  fi
  # A data directory that fell back to /tmp (see postgres.sh).
  fallback="/tmp/cryptotracker-pg-$(printf '%s' "${dir}" | sha256sum | cut -c1-12)"
  ct_log "removing ${dir}"
  rm -rf "${dir}" "${fallback}"
done
