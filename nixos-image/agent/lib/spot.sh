# shellcheck shell=bash
# Spot interruptions: `watch-spot`.

# How often a spot instance looks for an interruption notice (AWS gives two minutes' warning).
readonly spot_poll_seconds=5

# notice_detail NOTICE: {"action", "time"} (EC2's instance-action document) as a one-line detail.
notice_detail() {
  local text
  text=$(jq -r '"\(.action // "an action") at \(.time // "an unknown time")"' <<<"$1" 2>/dev/null) \
    || text=$(one_line "$1")
  printf 'spot interruption notice: %s' "$text"
}

# Polls until a notice arrives, then reports `interrupted` once and exits. Bounded by the VM's
# life: it stops once the deadline (re-read then, it may have been extended) has passed.
cmd_watch_spot() {
  local life notice status
  (($# == 0)) || { usage >&2; exit 2; }
  load_identity || exit 1
  check_user_data || true # only the deadline matters here
  life=$(imds_get /latest/meta-data/instance-life-cycle) || life=""
  if [[ $life != spot ]]; then
    log "not a spot instance (instance-life-cycle: ${life:-unknown}); nothing to watch"
    return 0
  fi
  if ! read_deadline; then
    log "this VM has no deadline to bound the watch; not watching"
    exit 1
  fi
  log "a spot instance: watching for an interruption notice every ${spot_poll_seconds}s until $deadline"
  while true; do
    if ((deadline_epoch <= $(date -u +%s))); then
      read_deadline || true
      if ((${deadline_epoch:-0} <= $(date -u +%s))); then
        log "the deadline $deadline has passed; no longer watching"
        return 0
      fi
    fi
    status=0
    notice=$(imds_get /latest/meta-data/spot/instance-action) || status=$?
    if ((status == 0)); then
      report interrupted "$(notice_detail "$notice")"
      return 0
    fi
    sleep "$spot_poll_seconds"
  done
}
