# A throwaway PostgreSQL 15 server for one stack, and its roles and databases.
#
# The data directory and socket live under CT_PG_DIR (default CT_RUN_DIR).
# PostgreSQL refuses to run as root, so when the scripts run as root the
# server runs as the `postgres` user, which then owns those directories.
# Local (socket) connections are trusted and the socket directory is private
# (0700); TCP connections on 127.0.0.1 need a password.

# shellcheck shell=bash

CT_PG_BIN="${CT_PG_BIN:-/usr/lib/postgresql/15/bin}"
# Role that the scripts themselves connect as (over the socket).
CT_PG_SUPERUSER=postgres

# Runs a PostgreSQL server program as the user that owns the cluster.
ct_pg_as_owner() {
  if ct_is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Chooses CT_PG_DIR: the run directory when the server's user can reach it,
# else a private directory under /tmp (a clone below a 0700 home directory,
# or a path too long for a Unix socket, which may have at most 107 bytes).
ct_pg_choose_dir() {
  local dir="${CT_PG_DIR:-${CT_RUN_DIR}}"
  local socket_path="${dir}/pgsock/.s.PGSQL.${CT_PG_PORT}"
  if ((${#socket_path} > 100)) || { ct_is_root && ! runuser -u postgres -- test -x "${dir}" 2>/dev/null; }; then
    local fallback
    fallback="/tmp/cryptotracker-pg-$(printf '%s' "${CT_RUN_DIR}" | sha256sum | cut -c1-12)"
    ct_log "the postgres user cannot use ${dir} (permissions or path length); using ${fallback}"
    dir="${fallback}"
    mkdir -p "${dir}"
    chmod 0755 "${dir}"
  fi
  CT_PG_DIR="${dir}"
  CT_PG_DATA="${CT_PG_DIR}/pgdata"
  CT_PG_SOCKET_DIR="${CT_PG_DIR}/pgsock"
  export CT_PG_DIR CT_PG_DATA CT_PG_SOCKET_DIR
}

# psql as the superuser over the socket; extra arguments go to psql.
ct_pg_psql() {
  PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h "${CT_PG_SOCKET_DIR}" -p "${CT_PG_PORT}" \
    -U "${CT_PG_SUPERUSER}" -d postgres "$@"
}

ct_pg_is_running() {
  [[ -n "${CT_PG_DATA:-}" && -f "${CT_PG_DATA}/PG_VERSION" ]] &&
    ct_pg_as_owner "${CT_PG_BIN}/pg_ctl" -D "${CT_PG_DATA}" status >/dev/null 2>&1
}

# Initialises the cluster on first use and starts the server.
#   ct_pg_start [extra server options, e.g. "-c fsync=off"]
ct_pg_start() {
  local extra_options="${1:-}"
  [[ -x "${CT_PG_BIN}/pg_ctl" ]] || ct_die "PostgreSQL 15 not found in ${CT_PG_BIN}; run make deps"
  ct_pg_choose_dir
  local log="${CT_LOG_DIR}/postgres.log"
  mkdir -p "${CT_PG_DATA}" "${CT_PG_SOCKET_DIR}"
  chmod 0700 "${CT_PG_DATA}" "${CT_PG_SOCKET_DIR}"
  if ct_is_root; then
    chown postgres:postgres "${CT_PG_DATA}" "${CT_PG_SOCKET_DIR}"
  fi

  if ct_pg_is_running; then
    ct_warn "stopping a PostgreSQL server left over from an earlier run"
    ct_pg_stop
  fi

  if [[ ! -f "${CT_PG_DATA}/PG_VERSION" ]]; then
    ct_log "initialising PostgreSQL in ${CT_PG_DATA}"
    ct_pg_as_owner "${CT_PG_BIN}/initdb" -D "${CT_PG_DATA}" -U "${CT_PG_SUPERUSER}" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      >>"${log}" 2>&1 || { ct_tail_log "${log}"; ct_die "initdb failed"; }
  fi

  ct_require_free_port "${CT_PG_PORT}" "PostgreSQL, CT_PG_PORT"
  ct_log "starting PostgreSQL on 127.0.0.1:${CT_PG_PORT}"
  # pg_ctl puts the server in its own session, so Ctrl-C does not reach it;
  # ct_pg_stop shuts it down. Without -l the server logs to pg_ctl's stdout,
  # a file this shell opens, so the server's user need not reach CT_LOG_DIR.
  ct_pg_as_owner "${CT_PG_BIN}/pg_ctl" -D "${CT_PG_DATA}" -w -t "${CT_START_TIMEOUT}" \
    -o "-p ${CT_PG_PORT} -k ${CT_PG_SOCKET_DIR} -c listen_addresses=127.0.0.1 ${extra_options}" \
    start >>"${log}" 2>&1 9>&- </dev/null || { ct_tail_log "${log}"; ct_die "PostgreSQL did not start"; }
}

ct_pg_stop() {
  [[ -n "${CT_PG_DATA:-}" && -f "${CT_PG_DATA}/postmaster.pid" ]] || return 0
  if ! ct_pg_as_owner "${CT_PG_BIN}/pg_ctl" -D "${CT_PG_DATA}" -m fast -w -t 30 stop >/dev/null 2>&1 &&
    ct_pg_is_running; then
    ct_warn "PostgreSQL in ${CT_PG_DATA} did not stop"
  fi
  return 0
}

# Password of a role, generated on first use and kept (0600) with the data.
ct_pg_password() {
  local role="$1" dir="${CT_RUN_DIR}/secrets"
  mkdir -p "${dir}"
  chmod 0700 "${dir}"
  if [[ ! -s "${dir}/${role}.password" ]]; then
    (umask 077 && ct_random_secret 24 >"${dir}/${role}.password")
  fi
  cat "${dir}/${role}.password"
}

# Creates (or updates the password of) a login role.
#   ct_pg_ensure_role <role> <password> [CREATEDB]
ct_pg_ensure_role() {
  local role="$1" password="$2" options="${3:-}"
  case "${options}" in
    "" | CREATEDB) ;;
    *) ct_die "ct_pg_ensure_role: unsupported role option '${options}'" ;;
  esac
  ct_pg_psql -v role="${role}" -v password="${password}" -v options="${options}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN %s PASSWORD %L', :'role', :'options', :'password') \gexec
SQL
}

# One database owned by a role of the same name, as each service expects.
#   ct_pg_ensure_database <name> <password>
ct_pg_ensure_database() {
  local name="$1" password="$2"
  ct_pg_ensure_role "${name}" "${password}"
  ct_pg_psql -v name="${name}" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SQL
}
