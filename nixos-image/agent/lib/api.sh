# shellcheck shell=bash
# The thebacknd API: reports, self-destruction, power-off.

# A call to the thebacknd API that may fail without harm: 4 tries, 1 + 2 + 3 s apart.
readonly api_attempts=4
# A call that must arrive (a terminal report): tried until the API answers, at most this many
# seconds apart (1, 2, 4 … 30), for as long as the VM lives; the deadline timer bounds that.
readonly api_max_backoff_seconds=30
# The phases whose report must arrive: each is the last word on where the VM stands, and one
# lost `running` would make a healthy VM `unresponsive`. `expiring` is the exception among the
# last words: it comes right before the VM destroys itself, and waiting longer for the API
# would keep the VM past its deadline, so it is tried as often as the destroy (api_attempts).
readonly persistent_phases=" running pooled finished failed interrupted "
# The phases whose report carries what the agent measured (timings.sh).
readonly timed_phases=" running finished failed "

# api_body [--arg NAME VALUE]...: the JSON body of a call to the API: {"vm_id", "vm_killcode"}
# and one string field per --arg. The kill code reaches jq in its environment only.
api_body() {
  killcode=$vm_killcode jq -nc --arg vm_id "$vm_id" "$@" '{vm_id: $vm_id, vm_killcode: env.killcode} + $ARGS.named'
}

# api_post [--until-acknowledged] PATH JSON: prints the response body. Retries network errors,
# 429 and 5xx: api_attempts times, or with --until-acknowledged for as long as it takes (backoff
# doubling to api_max_backoff_seconds). Status 1 when the API refused (any other 4xx) or stayed
# unreachable; api_status is then the last HTTP status (empty when none came). The body goes
# through stdin so the kill code never shows on a command line.
api_status=""
api_post() {
  local persistent=false path body attempt response code delay=1
  if [[ $1 == --until-acknowledged ]]; then persistent=true; shift; fi
  path=$1 body=$2
  for ((attempt = 1; ; attempt++)); do
    response=$(curl --silent --show-error --globoff --connect-timeout 5 --max-time 30 \
      -X POST -H 'Content-Type: application/json' --data-binary @- \
      -w '\n%{http_code}' "$api_url$path" <<<"$body") || true
    code=${response##*$'\n'}
    response=${response%$'\n'*}
    api_status=$code
    if [[ $code == 2[0-9][0-9] ]]; then
      printf '%s\n' "$response"
      return 0
    fi
    if [[ $code == 4[0-9][0-9] && $code != 429 ]]; then
      log "$path refused: HTTP $code $(jq -r '.error.message? // empty' <<<"$response" 2>/dev/null || true)"
      return 1
    fi
    if [[ $persistent == true ]]; then
      log "(attempt $attempt) $api_url$path: HTTP ${code:-none}; retrying in ${delay}s, until it is acknowledged"
      sleep "$delay"
      delay=$((delay * 2 > api_max_backoff_seconds ? api_max_backoff_seconds : delay * 2))
    elif ((attempt < api_attempts)); then
      log "(attempt $attempt/$api_attempts) $api_url$path: HTTP ${code:-none}; retrying"
      sleep "$attempt"
    else
      log "$api_url$path did not answer after $api_attempts attempts"
      return 1
    fi
  done
}

# report PHASE [DETAIL [EXIT_CODE]]: tells the API how far this VM got (and how its program
# exited), with what `boot` measured for the timed phases. The persistent phases are sent until
# acknowledged; the others are tried a few times.
# Never fails the caller: a VM whose report the API refuses carries on (and its phase simply
# stays stale in `thebacknd list`).
report() {
  local phase=$1 detail body exit_code=${3:-} timings=""
  local -a how=() fields=()
  detail=$(one_line "${2:-}")
  log "phase: $phase${detail:+ ($detail)}"
  fields=(--arg phase "$phase" --arg detail "$detail")
  if [[ -n $exit_code ]]; then fields+=(--argjson exit_code "$exit_code"); fi
  if [[ $timed_phases == *" $phase "* ]]; then timings=$(timings_json); fi
  if [[ -n $timings ]]; then fields+=(--argjson timings "$timings"); fi
  body=$(api_body "${fields[@]}")
  if [[ $persistent_phases == *" $phase "* ]]; then how=(--until-acknowledged); fi
  api_post "${how[@]}" /report "$body" >/dev/null || log "could not report phase $phase; carrying on"
}

power_off() {
  local -a command
  read -r -a command <<<"$poweroff_command"
  log "powering off with: $poweroff_command (the instance terminates on shutdown)"
  "${command[@]}"
}

# self_destroy [EXPIRING_DETAIL]: asks the API to terminate this VM, first reporting `expiring`
# with the detail when one is given; powers off when the API will not.
self_destroy() {
  local response terminated
  if (($#)); then
    report expiring "$1"
  fi
  if response=$(api_post /destroy-self "$(api_body)"); then
    terminated=$(jq -r '.terminated // [] | join(" ")' <<<"$response" 2>/dev/null || true)
    if [[ -n $terminated ]]; then
      log "the API is terminating $terminated"
      return 0
    fi
    log "the API found no live instance with vm_id $vm_id"
  fi
  power_off
}
