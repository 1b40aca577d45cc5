# Starting and stopping the stack's long-running processes.
#
# Each process runs in its own session and process group (setsid), so that
# stopping it also stops anything it forked, and Ctrl-C in the terminal
# reaches only the script, which then shuts everything down in order.
# For every process, CT_PID_DIR/<name>.pid holds "<pid> <start time>"; the
# start time (from /proc) is checked before any signal, so a recycled pid
# that now belongs to someone else is never hit.

# shellcheck shell=bash

# Starts a command in the background with its output in CT_LOG_DIR/<name>.log.
#   ct_spawn <name> <command> [args...]
# Environment for the command is passed by the caller with `env K=V ...`.
ct_spawn() {
  local name="$1"
  shift
  local log="${CT_LOG_DIR}/${name}.log" pid
  printf '\n==== %s: starting %s\n' "$(date '+%F %T')" "${name}" >>"${log}"
  setsid "$@" </dev/null >>"${log}" 2>&1 9>&- &
  pid=$!
  echo "${pid} $(ct_process_start_time "${pid}")" >"${CT_PID_DIR}/${name}.pid"
  echo "${name}" >>"${CT_PID_DIR}/order"
}

# Field <n> (counted from 3, the state) of /proc/<pid>/stat; the fields are
# read after the parenthesised command name, which may contain spaces.
ct_proc_stat_field() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  awk -v n="$(($2 - 2))" '{ print $n }' <<<"${stat}"
}

# Start time of a process in clock ticks since boot (field 22).
ct_process_start_time() { ct_proc_stat_field "$1" 22; }

# True while the process exists and has not exited (zombies have exited).
ct_pid_alive() {
  kill -0 "$1" 2>/dev/null && [[ "$(ct_proc_stat_field "$1" 3)" != Z ]]
}

# Pid of a process started by ct_spawn if it still runs, else nothing.
ct_running_pid() {
  local file="${CT_PID_DIR}/$1.pid" pid started
  [[ -f "${file}" ]] || return 1
  read -r pid started <"${file}" || return 1
  [[ -n "${pid}" ]] && ct_pid_alive "${pid}" || return 1
  [[ "$(ct_process_start_time "${pid}")" == "${started}" ]] || return 1
  echo "${pid}"
}

# Stops one process group: SIGTERM, then SIGKILL after a grace period.
#   ct_stop_process <name> [grace seconds]
ct_stop_process() {
  local name="$1" grace="${2:-15}" pid waited=0
  if pid="$(ct_running_pid "${name}")"; then
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
    while ct_pid_alive "${pid}" && ((waited < grace * 10)); do
      sleep 0.1
      ((waited += 1))
    done
    if ct_pid_alive "${pid}"; then
      ct_warn "${name} (pid ${pid}) ignored SIGTERM for ${grace}s; killing it"
      kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
    fi
    # Reap it when it is our own child, so no zombie is left behind.
    wait "${pid}" 2>/dev/null || true
  fi
  rm -f "${CT_PID_DIR}/${name}.pid"
}

# Stops every process ct_spawn started in this run directory, newest first.
ct_stop_all_processes() {
  local order="${CT_PID_DIR}/order" name
  [[ -f "${order}" ]] || return 0
  while read -r name; do
    [[ -n "${name}" ]] || continue
    ct_stop_process "${name}"
  done < <(tac "${order}")
  rm -f "${order}"
}

# Processes of a previous run that died without cleaning up (for example
# after `kill -9` of the script): stop them before the ports are needed.
ct_stop_leftovers() {
  local file name
  for file in "${CT_PID_DIR}"/*.pid; do
    [[ -f "${file}" ]] || continue
    name="$(basename "${file}" .pid)"
    if ct_running_pid "${name}" >/dev/null; then
      ct_warn "stopping ${name} left over from an earlier run"
    fi
    ct_stop_process "${name}" 5
  done
  rm -f "${CT_PID_DIR}/order"
  return 0
}

# Fails with the log's tail when a spawned process has exited.
ct_require_running() {
  local name="$1"
  if ! ct_running_pid "${name}" >/dev/null; then
    ct_tail_log "${CT_LOG_DIR}/${name}.log"
    ct_die "${name} exited during startup (log: ${CT_LOG_DIR}/${name}.log)"
  fi
}

# Polls a check command until it succeeds, the process dies or time runs out.
#   ct_wait_until <name of process> <description> <command> [args...]
ct_wait_until() {
  local name="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + CT_START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ct_require_running "${name}"
    if ((SECONDS >= deadline)); then
      ct_tail_log "${CT_LOG_DIR}/${name}.log"
      ct_die "${name}: ${what} not ready after ${CT_START_TIMEOUT}s (log: ${CT_LOG_DIR}/${name}.log)"
    fi
    sleep 0.2
  done
}
