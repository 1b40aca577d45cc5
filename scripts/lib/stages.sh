# Stage results of a test run (scripts/test.sh): every stage ends as passed,
# FAILED or SKIPPED, with a reason when it did not pass and the time it took,
# and the summary says which. A skip is never counted as a pass: with
# CI=true a skipped stage fails the run unless testing/expected-skips.txt
# declares why that stage is expected to be skipped.
#
# A stage is a command (a function or a script) run in a subshell:
#   - exit status 0: passed;
#   - exit status CT_STAGE_SKIP_STATUS (77, the "skipped" status of the
#     Automake test harness): it could not run here; the reason is what it
#     wrote to the file named by CT_STAGE_SKIP_FILE (ct_stage_skip does both).
#     A 77 without a reason is a failure like any other status;
#   - status 0 but reasons in CT_STAGE_SKIP_FILE (ct_stage_note_skip): it ran
#     only in part, which is reported and treated as a skip too;
#   - anything else: FAILED with that status.
# Test runners in other languages take part through the same file: the
# end-to-end suite and the browser test append a line for each case or step
# they skipped when CT_STAGE_SKIP_FILE is set.
# Sourced, never executed; needs common.sh (CT_ROOT).

# shellcheck shell=bash

CT_STAGE_SKIP_STATUS=77
CT_EXPECTED_SKIPS_FILE="${CT_EXPECTED_SKIPS_FILE:-${CT_ROOT}/testing/expected-skips.txt}"
# CT_TEST_STAGES="<name>,<name>" runs only those stages (while working on
# one); the others are reported as skipped, so such a run never passes CI.
CT_TEST_STAGES="${CT_TEST_STAGES:-}"

# One entry per stage, in the order they ran.
declare -a CT_STAGE_NAMES=() CT_STAGE_OUTCOMES=() CT_STAGE_DETAILS=()

ct_banner() {
  printf '\n======== %s ========\n' "$*"
}

# Inside a stage: it cannot run here. Prints "SKIPPED: <reason>", hands the
# reason to the runner and ends the stage (or the script) with status 77.
ct_stage_skip() {
  ct_stage_note_skip "$*"
  exit "${CT_STAGE_SKIP_STATUS}"
}

# Inside a stage: part of it could not run (it goes on with the rest).
ct_stage_note_skip() {
  printf 'SKIPPED: %s\n' "$*"
  if [[ -n "${CT_STAGE_SKIP_FILE:-}" ]]; then
    printf '%s\n' "$*" >>"${CT_STAGE_SKIP_FILE}"
  fi
}

# Records the outcome of a stage and prints its line. The stages that
# ct_stage_run runs are recorded by it; this is for one that could not even
# start (e.g. because what it needs did not come up).
#   ct_stage_record <name> passed|failed|skipped <reason> [<time>]
ct_stage_record() {
  CT_STAGE_NAMES+=("$1")
  CT_STAGE_OUTCOMES+=("$2")
  CT_STAGE_DETAILS+=("$(ct_stage_describe "$2" "$3" "${4:-}")")
  printf '  %-26s %s\n' "$1" "${CT_STAGE_DETAILS[-1]}"
}

# "passed (12s)", "FAILED: status 1 (12s)", "SKIPPED: <reason> (0s)".
ct_stage_describe() {
  local outcome="$1" reason="$2" elapsed="$3" text
  case "${outcome}" in
    passed) text="passed" ;;
    failed) text="FAILED" ;;
    skipped) text="SKIPPED" ;;
    *) text="${outcome}?" ;;
  esac
  printf '%s%s%s' "${text}" "${reason:+: ${reason}}" "${elapsed:+ (${elapsed})}"
}

# Runs one stage in a subshell and records its outcome; returns the
# stage's status (0 for a pass, 77 for a skip, wholly or in part).
#   ct_stage_run <name> <command> [args...]
ct_stage_run() {
  local name="$1" started=${SECONDS} status=0 skip_file reasons elapsed
  shift
  if [[ -n "${CT_TEST_STAGES}" && ",${CT_TEST_STAGES}," != *",${name},"* ]]; then
    ct_stage_record "${name}" skipped "not selected (CT_TEST_STAGES=${CT_TEST_STAGES})"
    return "${CT_STAGE_SKIP_STATUS}"
  fi
  ct_banner "${name}"
  skip_file="$(mktemp "${TMPDIR:-/tmp}/ct-stage-skip.XXXXXX")"
  (
    export CT_STAGE_SKIP_FILE="${skip_file}"
    "$@"
  )
  status=$?
  elapsed="$((SECONDS - started))s"
  reasons="$(paste -sd ';' "${skip_file}" | sed 's/;/; /g')"
  rm -f "${skip_file}"
  if ((status == CT_STAGE_SKIP_STATUS)) && [[ -n "${reasons}" ]]; then
    ct_stage_record "${name}" skipped "${reasons}" "${elapsed}"
  elif ((status != 0)); then
    ct_stage_record "${name}" failed "status ${status}" "${elapsed}"
  elif [[ -n "${reasons}" ]]; then
    ct_stage_record "${name}" skipped "in part: ${reasons}" "${elapsed}; the rest passed"
    status="${CT_STAGE_SKIP_STATUS}"
  else
    ct_stage_record "${name}" passed "" "${elapsed}"
  fi
  return "${status}"
}

# The reason testing/expected-skips.txt gives for skipping a stage, or
# nothing. Lines are "<stage name>: <why this machine cannot run it>";
# blank lines and lines starting with # are ignored.
ct_stage_expected_skip() {
  [[ -f "${CT_EXPECTED_SKIPS_FILE}" ]] || return 0
  local line stage reason
  while IFS= read -r line || [[ -n "${line}" ]]; do
    [[ "${line}" =~ ^[[:space:]]*(#|$) ]] && continue
    stage="${line%%:*}"
    reason="${line#*:}"
    # Trims the blanks around both parts.
    stage="$(sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"${stage}")"
    reason="$(sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"${reason}")"
    if [[ "${stage}" == "$1" && "${line}" == *:* && -n "${reason}" ]]; then
      printf '%s\n' "${reason}"
      return 0
    fi
  done <"${CT_EXPECTED_SKIPS_FILE}"
}

# Prints the summary of every recorded stage and returns non-zero when a
# stage failed, or (with CI=true) was skipped without a declared reason.
ct_stage_summary() {
  local status=0 i expected
  for i in "${!CT_STAGE_NAMES[@]}"; do
    printf '  %-26s %s\n' "${CT_STAGE_NAMES[i]}" "${CT_STAGE_DETAILS[i]}"
    case "${CT_STAGE_OUTCOMES[i]}" in
      failed) status=1 ;;
      skipped)
        expected="$(ct_stage_expected_skip "${CT_STAGE_NAMES[i]}")"
        if [[ -n "${expected}" ]]; then
          printf '  %-26s (expected: %s)\n' "" "${expected}"
        else
          printf '  %-26s (not declared in %s: fails the run under CI=true)\n' "" \
            "${CT_EXPECTED_SKIPS_FILE#"${CT_ROOT}/"}"
          [[ "${CI:-}" == true ]] && status=1
        fi
        ;;
    esac
  done
  return "${status}"
}
