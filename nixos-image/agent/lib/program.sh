# shellcheck shell=bash
# A program (the user-data's nix_binary): run with its arguments, its output to the console and
# the output stream, its exit code reported, then the VM goes.

# Once the program itself has exited, what the rest of its process group still prints counts
# for this long; then the group gets SIGTERM, and SIGKILL this long after that.
readonly program_drain_seconds=2
readonly program_term_seconds=5
# The program's process group (and session): its pid while it runs or its group lives.
program_group=""
# The console's copy of its output: tail, and the process whose end tells tail to finish.
console_pid="" console_watch_pid=""

# group_alive GROUP: whether any process of process group GROUP is left.
group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# wait_group_gone GROUP SECONDS: waits at most SECONDS for GROUP to be empty; status 1 if not.
wait_group_gone() {
  local group=$1 tick
  for ((tick = 0; tick < $2 * 10; tick++)); do
    group_alive "$group" || return 0
    sleep 0.1
  done
  ! group_alive "$group"
}

# end_program_group: what the program left behind (`cmd & exit 7`) neither keeps the VM alive
# nor holds back its result: a short drain, then SIGTERM, then SIGKILL.
end_program_group() {
  local group=$program_group
  [[ -n $group ]] || return 0
  if ! wait_group_gone "$group" "$program_drain_seconds"; then
    log "the program exited, but processes it started still run; stopping them (SIGTERM, then SIGKILL after ${program_term_seconds}s)"
    kill -TERM -- "-$group" 2>/dev/null || true
    if ! wait_group_gone "$group" "$program_term_seconds"; then
      kill -KILL -- "-$group" 2>/dev/null || true
    fi
  fi
  program_group=""
}

# console_copy_start FILE: what FILE gains from now on, on the console: tail follows it until the watch
# process (a stand-in for "not done yet") is gone, then prints the rest and exits.
console_copy_start() {
  local from
  # Where FILE ends now, read here: in the background command it would race the program's writes.
  from=$(($(stat -c %s "$1") + 1))
  sleep 2147483647 &
  console_watch_pid=$!
  tail -c "+$from" --follow=descriptor --sleep-interval=0.2 --pid="$console_watch_pid" "$1" >&2 &
  console_pid=$!
}

console_copy_end() {
  [[ -n $console_watch_pid ]] || return 0
  kill "$console_watch_pid" 2>/dev/null || true
  wait "$console_pid" 2>/dev/null || true
  wait "$console_watch_pid" 2>/dev/null || true
  console_watch_pid="" console_pid=""
}

# stop_program: the agent itself is stopped (a shutdown) while the program runs: the program's
# group gets SIGTERM too (systemd would send it to the whole unit anyway).
stop_program() {
  if [[ -n $program_group ]]; then kill -TERM -- "-$program_group" 2>/dev/null || true; fi
  console_copy_end
}

# run_binary PATH STORE_PATH: runs the program with the user-data's arguments as its argv (no
# shell), in its own session and process group, stdin from /dev/null, stdout and stderr into one
# file (so they interleave as written) that the output stream sends and the console shows; its
# exit code is final the moment it exits. Then `finished` with that code, and the VM goes.
run_binary() {
  local binary=$1 store=$2 status=0 output=$tmp_dir/program.out
  # Before anything else: a path that is not a program in the closure never gets `running`.
  step="checking $binary"
  if [[ ! -f $binary || ! -x $binary ]]; then
    fail "no such program $binary: not an executable file in its fetched closure $store"
  fi
  report running "running $binary"
  step="running $binary"
  log "running $binary with ${#program_args[@]} argument(s); its output follows"
  # From here on the stream is the program's alone; after a build here it already sends the
  # build's log, and the program's output follows that in the same file.
  if [[ -n $sender_pid && -n $log_spool ]]; then output=$log_spool; fi
  log_spool=""
  : >>"$output"
  stream_start "$output"
  console_copy_start "$output"
  # setsid: its own session and process group (a background child of this shell is no group
  # leader, so setsid makes it one itself, with the same pid). stdbuf: a C program writing to a
  # file would hold its lines in a 4 KiB buffer; line-buffered, they arrive as it prints them (a
  # program that sets its own buffering keeps it). Appending (>>): whatever it starts writes to
  # the same end.
  setsid stdbuf -oL -eL "$binary" "${program_args[@]}" </dev/null >>"$output" 2>&1 &
  program_group=$!
  wait "$program_group" || status=$?
  end_program_group
  console_copy_end
  stream_end
  verdict_reported=true
  # A program's exit status is its result, not the VM's failure: `finished` either way.
  report finished "$binary exited with status $status" "$status"
  # `finished` stays the last phase: no `expiring` report before going away.
  self_destroy
}
