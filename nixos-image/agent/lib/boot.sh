# shellcheck shell=bash
# `boot`: the user-data's toplevel or program, from the start to the verdict.

on_failure=stay
nix_options=()

# fail DETAIL: report `failed` and stop. The VM stays up for the user-data's
# failed_keep_minutes for debugging (ssh, logs, console), then its deadline timer destroys it; or
# it destroys itself at once with --on-failure destroy.
fail() {
  local detail
  detail=$(one_line "$*")
  verdict_reported=true
  if [[ $can_report == true ]]; then
    [[ $on_failure == destroy ]] || keep_after_failure
    report failed "$detail"
  else
    log "failed: $detail"
  fi
  stream_end
  if [[ $on_failure == destroy && $can_report == true ]]; then
    self_destroy || true
  fi
  exit 1
}

# keep_after_failure: arms the deadline timer for now + failed_keep_minutes, never later than the
# deadline the VM had. Armed before `failed` is reported, which the API may take a while to
# acknowledge. When the timer fires, destroy-self reads the thebacknd:expires-at tag as always:
# the API brings it forward to the same time when it records `failed`, and `extend` moves it on.
keep_after_failure() {
  local until
  until=$(($(date -u +%s) + failed_keep_minutes * 60))
  if read_deadline && ((deadline_epoch < until)); then until=$deadline_epoch; fi
  log "a failed VM stays up for debugging until $(epoch_iso "$until") (failed_keep_minutes: $failed_keep_minutes)"
  deadline_timer_arm "$(epoch_iso "$until")" || log "could not arm the deadline timer; the VM goes at its deadline"
}

cmd_boot() {
  local rest
  while (($#)); do
    case $1 in
      --on-failure)
        [[ ${2:-} == stay || ${2:-} == destroy ]] || { usage >&2; exit 2; }
        on_failure=$2
        shift 2
        ;;
      --nix-option)
        (($# >= 3)) || { usage >&2; exit 2; }
        nix_options+=(--option "$2" "$3")
        shift 3
        ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  timings_start
  report_unexpected_exit=true
  # The agent's lines from here on, for `thebacknd logs` (output.sh).
  log_spool=$tmp_dir/boot.log
  : >"$log_spool"

  step="reading the user-data"
  load_identity || exit 1
  check_user_data || fail "invalid user-data: $problem"

  # Idempotent: a VM already on its toplevel (a reboot, a second run) changes nothing, and sends
  # no output: the API keeps the first boot's.
  if [[ -n $nix_toplevel ]] && on_toplevel "$nix_toplevel"; then
    verdict_reported=true
    log_spool=""
    log "already on $nix_toplevel; nothing to do"
    # Nothing fetched or switched this time: the first boot's timings stand.
    timings_measured=false
    report running "$nix_toplevel"
    return 0
  fi
  if [[ $pooled == true ]]; then
    await_claim
  else
    report booting "$name"
  fi
  run_workload
}

# run_workload: this VM's workload (the user-data's, or a pooled VM's assignment from /claim),
# from `fetching` to the verdict: a toplevel fetched and switched to, a program fetched and run,
# a flake built here and then switched to or run, a Nix shell's command run (build.sh), or the
# base image as it is.
run_workload() {
  local rest
  # A toplevel's (or the base image's, or a build's here) output is this log, sent as it grows
  # (from its start); a program's is the program's own (run_binary), and so is a Nix shell's
  # command's.
  if [[ -z $nix_binary ]] && ((${#nix_packages[@]} == 0)); then
    stream_start "$log_spool"
  fi
  if [[ -z $nix_toplevel && -z $nix_binary && -z $nix_flake ]] && ((${#nix_packages[@]} == 0)); then
    verdict_reported=true
    report running "the base image"
    stream_end
    return 0
  fi
  if [[ -n $nix_flake ]]; then
    report fetching "$nix_flake"
    run_flake
    return
  fi
  if ((${#nix_packages[@]})); then
    report fetching "${nix_packages[*]/#/nixpkgs#}"
    run_packages
    return
  fi
  report fetching "${nix_toplevel:-$nix_binary}"
  step="fetching"
  if [[ -n $nix_toplevel ]]; then
    realise "$nix_toplevel"
    switch_to "$nix_toplevel"
    stream_end
  else
    rest=${nix_binary#/nix/store/}
    realise "/nix/store/${rest%%/*}"
    run_binary "$nix_binary" "/nix/store/${rest%%/*}"
  fi
}
