# shellcheck shell=bash
# The user-data (JSON, written by `create`): who this VM is, what to run, until when.

# A program's arguments (the API's thebacknd.vm.ProgramArgs).
readonly max_program_args=64

user_data="" vm_id="" vm_killcode="" api_url="" name="" nix_toplevel="" nix_binary=""
nix_cache="" nix_trusted_key="" expires_at="" expires_epoch=""
program_args=()
# How long a failed VM stays up (the API's THEBACKND_FAILED_KEEP_MINUTES, written into the
# user-data); 15 when the user-data does not say (written by an API older than that setting).
failed_keep_minutes=15
# A warm-pool VM ("pool": true): no workload until a `create` claims it (pool.sh).
pooled=false
can_report=false

# field NAME: the string value of NAME, empty for null or absent; status 1 for any other type.
field() {
  jq -er --arg f "$1" '.[$f] | if . == null then "" elif type == "string" then . else error end' \
    <<<"$user_data" 2>/dev/null
}

# load_identity: user-data, and the three fields without which nothing can be reported.
load_identity() {
  imds_get_token || { log "the instance metadata service at $imds_url gave no IMDSv2 token"; return 1; }
  user_data=$(imds_get /latest/user-data) || { log "no user-data (was this VM launched by thebacknd?)"; return 1; }
  if ! jq -e 'type == "object"' <<<"$user_data" >/dev/null 2>&1; then
    log "the user-data is not a JSON object"
    return 1
  fi
  vm_id=$(field vm_id) || true
  vm_killcode=$(field vm_killcode) || true
  api_url=$(field api_url) || true
  api_url=${api_url%/}
  if [[ ! $vm_id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
    log "the user-data has no valid vm_id"
    return 1
  fi
  if [[ ! $vm_killcode =~ ^[0-9a-f]{64}$ ]]; then
    log "the user-data has no valid vm_killcode"
    return 1
  fi
  if [[ ! $api_url =~ ^https?://[^[:space:]]+$ ]]; then
    log "the user-data has no valid api_url"
    return 1
  fi
  can_report=true
}

# iso_epoch TIME: the seconds since the epoch of an ISO-8601 UTC time (…Z); status 1 otherwise.
iso_epoch() {
  [[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]] || return 1
  date -u -d "$1" +%s 2>/dev/null
}

# epoch_iso EPOCH: the ISO-8601 UTC time (…Z) of that many seconds since the epoch.
epoch_iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# check_user_data: reads the rest of the user-data into the globals above, as far as it can even
# when some of it is wrong (`status` and `deadline` still work then); on the first thing wrong
# with it, sets `problem` and returns 1. Not run in a subshell: it sets globals.
problem=""
check_user_data() {
  local key value type_problem=""
  problem=""
  for key in name nix_toplevel nix_binary nix_flake nix_cache nix_trusted_key expires_at; do
    if ! value=$(field "$key"); then
      value=""
      type_problem=${type_problem:-"$key must be a string"}
    fi
    printf -v "$key" '%s' "$value"
  done
  expires_epoch=$(iso_epoch "$expires_at") || expires_epoch=""
  if ! jq -e '.thebacknd == 1' <<<"$user_data" >/dev/null; then
    problem="unsupported user-data version (expected \"thebacknd\": 1)"
    return 1
  fi
  if [[ -n $type_problem ]]; then
    problem=$type_problem
    return 1
  fi
  if [[ ! $name =~ ^thebacknd-[0-9]+$ ]]; then
    problem="name must be thebacknd-N"
    return 1
  fi
  if [[ -z $expires_epoch ]]; then
    problem="expires_at must be an ISO-8601 UTC time"
    return 1
  fi
  if ! value=$(jq -er '.failed_keep_minutes // 15 | select(type == "number" and . >= 0 and . <= 100000 and . == floor)' \
      <<<"$user_data" 2>/dev/null); then
    problem="failed_keep_minutes must be a whole number of minutes"
    return 1
  fi
  failed_keep_minutes=$value
  if ! pooled=$(jq -r '.pool // false | if type == "boolean" then . else error end' <<<"$user_data" 2>/dev/null); then
    pooled=false
    problem="pool must be true or false"
    return 1
  fi
  if [[ $pooled == true ]] && ! jq -e '.nix_toplevel == null and .nix_binary == null and .nix_args == null
      and .nix_flake == null and .nix_packages == null' <<<"$user_data" >/dev/null; then
    problem="a pooled VM's user-data names no workload (it comes with the claim)"
    return 1
  fi
  # The program's argv, any bytes but NUL (which would end an argument), read NUL-separated.
  if ! jq -e --argjson max "$max_program_args" '.nix_args == null or ((.nix_args | type) == "array"
      and (.nix_args | length) <= $max and all(.nix_args[]; type == "string" and (explode | all(. != 0))))' \
      <<<"$user_data" >/dev/null 2>&1; then
    problem="nix_args must be a list of at most $max_program_args strings without NUL characters"
    return 1
  fi
  mapfile -d '' -t program_args < <(jq -j '.nix_args // [] | .[] | (., "\u0000")' <<<"$user_data")
  # nix_flake, nix_packages, the upstream caches, and at most one workload (build.sh).
  check_build_fields || return 1
  if ((${#program_args[@]})) && [[ -z $nix_binary && -z $nix_flake ]] && ((${#nix_packages[@]} == 0)); then
    problem="nix_args are a program's arguments, but there is no nix_binary, nix_flake or nix_packages"
    return 1
  fi
  if [[ -n $nix_toplevel ]]; then
    problem=$(store_path_problem "$nix_toplevel")
    [[ -z $problem ]] || { problem="nix_toplevel: $problem"; return 1; }
  fi
  if [[ -n $nix_binary ]]; then
    problem=$(binary_path_problem "$nix_binary")
    [[ -z $problem ]] || { problem="nix_binary: $problem"; return 1; }
  fi
  # A build here may go without the thebacknd cache (upstream caches only); given, it is checked.
  if [[ -n $nix_toplevel || -n $nix_binary || -n $nix_cache ]]; then
    if [[ ! $nix_cache =~ ^(s3|https?)://[^[:space:]]+$ ]]; then
      problem="nix_cache must be an s3:// or http(s):// URL"
      return 1
    fi
    # One or more name:base64 Ed25519 public keys (32 bytes: 43 characters and '=').
    if [[ ! $nix_trusted_key =~ ^[A-Za-z0-9._-]+:[A-Za-z0-9+/]{43}=( [A-Za-z0-9._-]+:[A-Za-z0-9+/]{43}=)*$ ]]; then
      problem="nix_trusted_key must be one or more name:base64 Ed25519 public keys"
      return 1
    fi
  fi
}
