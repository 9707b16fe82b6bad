# shellcheck shell=bash
# The agent's messages, its temporary files, and the one EXIT trap.

# Everything the agent shows goes through these two: its own messages (log) and the output of
# the tools it runs (relay: Nix's progress, switch-to-configuration's messages). Both go to the
# console, and during `boot` also to log_spool, which is sent to `POST /output` (output.sh).
log_spool=""
log() {
  printf 'thebacknd-agent: %s\n' "$*" >&2
  if [[ -n $log_spool ]]; then printf 'thebacknd-agent: %s\n' "$*" >>"$log_spool"; fi
}
relay() {
  if [[ -n $log_spool ]]; then tee -a "$log_spool" >&2; else cat >&2; fi
}

# one_line TEXT: TEXT on one line without control characters, at most max_detail bytes.
readonly max_detail=255
one_line() {
  local text
  text=$(printf '%s' "$1" | tr '\n\r\t' '   ' | tr -d '\000-\037\177' | tr -s ' ')
  text=${text# }
  printf '%s' "${text:0:max_detail}"
}

# Every temporary file lives in tmp_dir, which the one EXIT trap removes.
tmp_dir=""
# Set by `boot` as it goes, for the one-line detail of an unexpected exit.
step="starting"
# Whether `boot` reported its verdict (running, finished or failed) already.
verdict_reported=false
report_unexpected_exit=false
# How long the sender may still take to deliver what was printed when the agent is stopped (a
# shutdown's SIGTERM; systemd's own stop timeout is 90 s).
readonly stopping_output_seconds=20

# Anything that stops `boot` without a verdict (a bug, a signal) is still reported as `failed`.
on_exit() {
  local status=$?
  if ((status != 0)) && [[ $report_unexpected_exit == true && $verdict_reported != true && $can_report == true ]]; then
    verdict_reported=true
    report failed "the agent stopped unexpectedly (exit status $status) while $step"
    keep_after_failure
  fi
  stop_program
  # What was printed before the end still reaches the API (the sender reads from tmp_dir).
  stream_end "$stopping_output_seconds" || true
  if [[ -n $tmp_dir ]]; then rm -rf "$tmp_dir"; fi
  exit "$status"
}
