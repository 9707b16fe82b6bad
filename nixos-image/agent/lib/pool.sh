# shellcheck shell=bash
# A warm-pool VM (user-data "pool": true): booted ahead of time with no workload, it reports
# `pooled` and asks `POST /claim` about once a second until a `create` claims it; then it
# carries on exactly as a fresh VM from `fetching`, with the assignment's workload, name and
# deadline. The cache and the trusted key only ever come from the user-data, never from /claim.

readonly claim_poll_seconds=1
# What a pooled VM takes from an assignment; everything else (cache, keys, api_url, kill code)
# stays the user-data's.
readonly assignment_fields='{name, nix_toplevel, nix_binary, nix_args, expires_at, nix_flake, nix_packages}'

# await_claim: reports `pooled` (until acknowledged), then polls /claim until an assignment
# comes, which take_assignment makes this VM's workload. Bounded by the idle deadline: once it
# has passed (and was not moved by a claim or an extend), the VM destroys itself and `boot`
# ends. 410 (the API released this VM's lease) powers off; any other refusal is a failure.
await_claim() {
  local body assignment
  step="waiting in the warm pool"
  report pooled "in the warm pool until $expires_at"
  log "asking $api_url/claim every ${claim_poll_seconds}s until claimed, at most until $expires_at"
  body=$(api_body)
  while true; do
    if (($(date -u +%s) >= expires_epoch)); then
      log "not claimed by the idle deadline $expires_at"
      verdict_reported=true
      destroy_unless_extended
      [[ -n $extended_until ]] || exit 0
      # Claimed (or extended) at the last moment: the tag holds the later deadline; ask again.
      expires_epoch=$deadline_epoch
      verdict_reported=false
    fi
    if api_post /claim "$body" >"$tmp_dir/claim.json"; then
      if assignment=$(jq -ec '.assignment | select(type == "object")' "$tmp_dir/claim.json" 2>/dev/null); then
        take_assignment "$assignment"
        return 0
      fi
    elif [[ $api_status == 410 ]]; then
      verdict_reported=true
      log "the API released this VM (HTTP 410 from /claim): it is gone"
      power_off
      exit 0
    elif [[ $api_status == 4[0-9][0-9] && $api_status != 429 ]]; then
      fail "POST /claim refused this VM (HTTP $api_status)"
    fi
    sleep "$claim_poll_seconds"
  done
}

# take_assignment JSON: the assignment becomes the user-data's workload, checked exactly as the
# user-data is; the deadline timer is armed again for the assignment's expires_at.
take_assignment() {
  user_data=$(jq -c --argjson a "$1" ". + (\$a | $assignment_fields) | .pool = false" <<<"$user_data")
  check_user_data || fail "invalid assignment from /claim: $problem"
  log "claimed as $name, until $expires_at"
  deadline_timer_arm "$expires_at" || log "could not arm the deadline timer for $expires_at; the VM goes at its deadline tag"
}
