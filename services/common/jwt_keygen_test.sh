#!/bin/bash
# Checks //services/common:jwt_keygen: writes a matching ES256 key pair with a
# private file only its owner can read, and never overwrites existing keys.
set -euo pipefail

keygen="$1"
dir="${TEST_TMPDIR}/keys"

"${keygen}" "${dir}" >"${TEST_TMPDIR}/out.txt"
grep -q '^kid [A-Za-z0-9_-]\{43\}$' "${TEST_TMPDIR}/out.txt"
grep -q -- '-----BEGIN PRIVATE KEY-----' "${dir}/private.pem"
grep -q -- '-----BEGIN PUBLIC KEY-----' "${dir}/public.pem"
[[ "$(stat -c %a "${dir}/private.pem")" == "600" ]]

# The public key belongs to the private key, and the curve is P-256.
if command -v openssl >/dev/null; then
  diff <(openssl pkey -in "${dir}/private.pem" -pubout) "${dir}/public.pem"
  openssl pkey -in "${dir}/private.pem" -noout -text | grep -q 'prime256v1'
fi

# A second run must refuse to overwrite the keys.
before="$(sha256sum "${dir}/private.pem")"
if "${keygen}" "${dir}" 2>"${TEST_TMPDIR}/err.txt"; then
  echo "expected jwt_keygen to refuse overwriting" >&2
  exit 1
fi
grep -q 'already exists' "${TEST_TMPDIR}/err.txt"
[[ "$(sha256sum "${dir}/private.pem")" == "${before}" ]]

# Usage errors exit 2.
set +e
"${keygen}" >/dev/null 2>&1
[[ $? -eq 2 ]] || { echo "expected usage error" >&2; exit 1; }
echo "jwt_keygen_test: 1 passed, 0 failed"
