# shellcheck shell=bash
# The deadline: when this VM is to go, `destroy-self`, and the systemd timer that calls it.

# The instance tag `POST /extend` moves; readable from the instance metadata because `create`
# enables instance metadata tags.
readonly deadline_tag=thebacknd:expires-at

deadline="" deadline_epoch="" deadline_source=""

# read_deadline: sets deadline, deadline_epoch and deadline_source. The thebacknd:expires-at tag
# wins: `POST /extend` moves it, later or earlier. When the tag is absent (instance metadata tags
# off), malformed, or the metadata service does not answer after imds_get's retries, the
# user-data's expires_at counts: a metadata service that stays unreadable must neither keep a VM
# alive for ever nor end it before the last deadline it knew (the timer only fires at that one).
# Status 1 when neither is a time. Needs load_identity and check_user_data first.
read_deadline() {
  local tag status=0 epoch
  tag=$(imds_get "/latest/meta-data/tags/instance/$deadline_tag") || status=$?
  if ((status == 0)) && epoch=$(iso_epoch "$tag"); then
    deadline=$tag deadline_epoch=$epoch deadline_source="$deadline_tag tag"
    return 0
  fi
  case $status in
    0) log "the $deadline_tag tag is not an ISO-8601 UTC time ($(one_line "$tag")); using the user-data's expires_at" ;;
    1) log "no $deadline_tag tag in the instance metadata; using the user-data's expires_at" ;;
    *) log "could not read the $deadline_tag tag; using the user-data's expires_at" ;;
  esac
  deadline=$expires_at deadline_epoch=$expires_epoch deadline_source="user-data"
  [[ -n $deadline_epoch ]]
}

# destroy_unless_extended: destroys this VM (reporting `expiring`) once its deadline has passed,
# or when it has none at all: nothing may keep it alive then. When the deadline is still ahead
# (it was extended), destroys nothing and sets extended_until to it. Needs load_identity.
extended_until=""
destroy_unless_extended() {
  extended_until=""
  check_user_data || true # only the deadline matters here
  if read_deadline && ((deadline_epoch > $(date -u +%s))); then
    log "the deadline is $deadline (from the $deadline_source), still ahead: destroying nothing"
    extended_until=$deadline
    return 0
  fi
  self_destroy "deadline ${deadline:-unknown}"
}

cmd_destroy_self() {
  local now=false
  case "$#:${1:-}" in
    0:) ;;
    1:--now) now=true ;;
    *) usage >&2; exit 2 ;;
  esac
  if ! load_identity; then
    # Past its deadline a VM must go, even when it cannot say who it is.
    log "cannot ask the API to destroy this VM"
    power_off
    return
  fi
  if [[ $now == true ]]; then
    check_user_data || true
    self_destroy "destroy-self --now"
    return
  fi
  destroy_unless_extended
  if [[ -n $extended_until ]]; then printf '%s\n' "$extended_until"; fi
}

cmd_deadline() {
  (($# == 0)) || { usage >&2; exit 2; }
  load_identity || exit 1
  check_user_data || log "invalid user-data: $problem (its deadline still counts)"
  if ! read_deadline; then
    log "this VM has no deadline: neither its $deadline_tag tag nor the user-data's expires_at is a time"
    exit 1
  fi
  printf '%s\n' "$deadline"
}

# ------------------------------------------------------------------ the deadline timer
# The decision (which deadline, whether it has passed) is destroy_unless_extended's; this only
# turns it into a systemd timer. Two modes, run by the module's units:
#   schedule  at boot (thebacknd-deadline.service): arm the timer for the deadline; no deadline
#             at all: power off at once (failing closed, on purpose)
#   expire    the timer's own service: destroy-self; when the deadline was extended instead, arm
#             the timer again for the new one
# The settings a test changes go along to the timer's service, which systemd starts afresh.
readonly timer_settings="THEBACKND_IMDS_URL THEBACKND_SYSTEM_PROFILE THEBACKND_POWEROFF"
# Where `schedule` roots the agent's store path, so a switch to a toplevel that does not refer
# to it (and a garbage collection then) cannot take the program the timer runs.
readonly timer_gc_root=/nix/var/nix/gcroots/thebacknd-deadline

# deadline_timer_arm DEADLINE: one transient timer, thebacknd-expire-EPOCH, running
# "AGENT deadline-timer expire" then. Status 1 when DEADLINE is no time or systemd-run failed.
deadline_timer_arm() {
  local deadline=$1 epoch now unit self setting
  local -a when setenv=()
  epoch=$(iso_epoch "$deadline") || { log "cannot arm a timer for '$(one_line "$deadline")': not an ISO-8601 UTC time"; return 1; }
  now=$(date -u +%s)
  unit=thebacknd-expire-$epoch
  self=$(readlink -f "$0")
  # Armed and waiting already (armed twice): leave it. A different deadline replaces the old
  # timer. The name changes with the deadline, so arming from inside the service of the timer
  # that just fired never collides with that still-running service.
  if [[ $(systemctl show --property SubState --value "$unit.timer" 2>/dev/null) == waiting ]]; then
    log "this VM's deadline is $deadline; its timer is already set"
    return 0
  fi
  systemctl stop 'thebacknd-expire-*.timer' 2>/dev/null || true
  if ((epoch > now + 2)); then
    when=(--on-calendar "$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S UTC')")
  else
    # Passed already (a late boot), or too close to give as a calendar time, which systemd never
    # fires once it lies in the past: just after it, counted from now. Never before it, or
    # destroy-self would find it still ahead and this timer's name taken.
    when=(--on-active "$(((epoch > now ? epoch - now : 0) + 1))s")
  fi
  for setting in $timer_settings; do
    if [[ -n ${!setting:-} ]]; then setenv+=(--setenv "$setting=${!setting}"); fi
  done
  # A transient unit (/run/systemd/transient), not one in /etc/systemd/system:
  # switch-to-configuration only stops units whose file is in the old /etc/systemd/system and
  # missing from the new one, so this timer outlives a switch to any toplevel. --collect:
  # unloaded once done, even after a failure, so no stale unit keeps a name. AccuracySec: the
  # default (a minute) would let the VM run on that long.
  if ! systemd-run --unit "$unit" --collect --description "thebacknd: destroy this VM at its deadline" \
    --timer-property AccuracySec=1s "${when[@]}" \
    --property StandardOutput=journal+console --property StandardError=journal+console \
    "${setenv[@]}" "$self" deadline-timer expire >/dev/null; then
    log "systemd-run could not arm the timer $unit for $deadline"
    return 1
  fi
  log "this VM destroys itself at $deadline (timer $unit)"
}

# power_off_without_deadline WHY: a VM that cannot tell when it is to go must not run on.
power_off_without_deadline() {
  log "no deadline can be read ($1): powering off now, on purpose (a VM without a deadline must not run on)"
  power_off
}

cmd_deadline_timer() {
  (($# == 1)) || { usage >&2; exit 2; }
  case $1 in
    schedule)
      if ! load_identity; then
        power_off_without_deadline "no user-data"
        return
      fi
      check_user_data || log "invalid user-data: $problem (its deadline still counts)"
      if ! read_deadline; then
        power_off_without_deadline "neither the $deadline_tag tag nor the user-data's expires_at is a time"
        return
      fi
      if [[ $(readlink -f "$0") == /nix/store/* && -d ${timer_gc_root%/*} ]]; then
        ln -sfn "$(readlink -f "$0")" "$timer_gc_root"
      fi
      deadline_timer_arm "$deadline" || exit 1
      ;;
    expire)
      if ! load_identity; then
        log "cannot ask the API to destroy this VM"
        power_off
        return
      fi
      destroy_unless_extended
      if [[ -n $extended_until ]]; then deadline_timer_arm "$extended_until" || exit 1; fi
      ;;
    *) usage >&2; exit 2 ;;
  esac
}
