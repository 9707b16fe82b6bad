# shellcheck shell=bash
# The simulated-VM lab shared by nixos-image/tests/run and dev/demo, all on loopback:
#   moto (EC2, S3 and DynamoDB), a signed Nix binary cache in a moto bucket, `thebacknd serve` with
#   its leases table, a loopback IMDSv2 stub serving the user-data `create` launched an instance
#   with and that instance's tags as moto holds them, and the real agent
#   (nixos-image/agent/thebacknd-agent) playing it.
# The agent differs from a real VM only by THEBACKND_IMDS_URL, THEBACKND_SYSTEM_PROFILE (a profile
# in the lab) and THEBACKND_POWEROFF (`touch VMDIR/powered-off`): this machine is never powered off;
# and its journalctl, systemd-run and systemctl are the lab's stand-ins (lab_vm_commands), never
# this machine's.
# Source dev/lib/common.sh and dev/lib/moto.sh first.

: "${repo_root:?source dev/lib/common.sh first}"


readonly lab_bucket=thebacknd-cache
readonly lab_leases_table=thebacknd-leases
# Where `thebacknd serve` keeps the VMs' output, and how much per VM: 6 MiB, so the 5 MB program
# fits and a 7 MB one meets the limit (dev/bench-output sets more before sourcing this file).
readonly lab_output_bucket=thebacknd-output
readonly lab_max_output_kib=${lab_max_output_kib:-6144}
readonly lab_python="$repo_root/.venv/bin/python"
lab_dir=""
lab_server_pid=""
lab_imds_pid=""
lab_api_url=""
lab_imds_url=""
lab_cache_url=""
lab_public_key=""
lab_toplevel=""
lab_motd=""
lab_hello=""
lab_base=""
lab_broken=""
lab_agent_stub=""
lab_programs=""

# lab_init: a fresh directory for everything the lab writes; Nix's download cache goes there too.
lab_init() {
  lab_dir=$(mktemp -d "${TMPDIR:-/tmp}/thebacknd-lab.XXXXXX")
  mkdir -p "$lab_dir/imds/meta-data" "$lab_dir/vms"
  export XDG_CACHE_HOME="$lab_dir/xdg-cache"
}

lab_aws() { "$lab_python" "$repo_root/nixos-image/tests/aws.py" "$@"; }

lab_cli() { "$repo_root/toplevel-scripts/thebacknd" "$@"; }

# lab_wait_for_line FILE REGEX SECONDS PID: prints the first line of FILE matching REGEX, waiting
# at most SECONDS, and fails early when PID exits.
lab_wait_for_line() {
  local file=$1 regex=$2 seconds=$3 pid=$4 line tick
  for ((tick = 0; tick < seconds * 4; tick++)); do
    if line=$(grep -m1 -E "$regex" "$file" 2>/dev/null); then
      printf '%s\n' "$line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$file" >&2; die "process $pid exited before printing /$regex/"; }
    sleep 0.25
  done
  cat "$file" >&2
  die "no line /$regex/ in $file after ${seconds}s"
}

# lab_build LABEL: builds the fixtures offline (fixtures.nix): a toplevel, the file it refers to,
# a program, the system a VM booted with, a toplevel whose switch fails, the agent stand-in, the
# output tests' programs.
lab_build() {
  local -a built
  # The builders use the host's /bin/sh and coreutils: no sandbox (root may turn it off).
  mapfile -t built < <(nix-build "$repo_root/nixos-image/tests/fixtures.nix" --no-out-link --option sandbox false \
    --argstr stateDir "$lab_dir" --argstr label "$1" \
    -A toplevel -A motd -A hello -A base -A broken -A agent -A programs 2>"$lab_dir/nix-build.log") \
    || true
  ((${#built[@]} == 7)) || { cat "$lab_dir/nix-build.log" >&2; die "building the fixtures failed"; }
  lab_toplevel=${built[0]}
  lab_motd=${built[1]}
  lab_hello=${built[2]}
  lab_base=${built[3]}
  lab_broken=${built[4]}
  lab_agent_stub=${built[5]}
  lab_programs=${built[6]}
}

# lab_push PATH...: a fresh signing key, signs the closures, `nix copy`s them into a file:// cache
# (NARs compressed with zstd, as build-toplevel.sh pushes: it decompresses several times faster
# than Nix's default xz) and uploads that to a moto bucket the agent then substitutes from over
# HTTP, path-style.
lab_push() {
  nix-store --generate-binary-cache-key thebacknd-lab-1 "$lab_dir/signing.sec" "$lab_dir/signing.pub"
  lab_public_key=$(<"$lab_dir/signing.pub")
  nix store sign --recursive --key-file "$lab_dir/signing.sec" "$@" >>"$lab_dir/nix-copy.log" 2>&1 \
    || { cat "$lab_dir/nix-copy.log" >&2; die "nix store sign failed"; }
  nix copy --to "file://$lab_dir/cache?compression=zstd" "$@" 2>>"$lab_dir/nix-copy.log" \
    || { cat "$lab_dir/nix-copy.log" >&2; die "nix copy failed"; }
  lab_aws upload-cache "$lab_dir/cache" "$lab_bucket" >/dev/null
  lab_cache_url="$AWS_ENDPOINT_URL/$lab_bucket"
}

# lab_forget PATH...: deletes paths from the local store, so the agent must substitute them back.
lab_forget() {
  if ! nix-store --delete "$@" >>"$lab_dir/nix-delete.log" 2>&1; then
    cat "$lab_dir/nix-delete.log" >&2
    die "could not delete $* from the local store"
  fi
  local path
  for path in "$@"; do
    if nix-store --check-validity "$path" 2>/dev/null; then
      die "$path is still in the local store (something roots it)"
    fi
  done
}

# lab_leases_table: the DynamoDB table of name leases (DESIGN §9) in moto, made as template.yaml
# makes it, with the AWS CLI of .venv; create and the destroys need it.
lab_leases_table() {
  "$repo_root/.venv/bin/aws" dynamodb create-table --endpoint-url "$AWS_ENDPOINT_URL" \
    --table-name "$lab_leases_table" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=name,AttributeType=S \
    --key-schema AttributeName=name,KeyType=HASH >"$lab_dir/leases-table.json" \
    || die "creating the leases table $lab_leases_table in moto failed"
}

# lab_serve: `thebacknd serve` (the real jar) on a free loopback port, configured for the lab,
# with its leases table; exports THEBACKND_API_URL so `lab_cli` talks to it. The API's URL (in
# every user-data) names lab_api_host, 127.0.0.1 unless the QEMU lab sets the address its VM
# reaches the API at.
lab_serve() {
  local jar="$repo_root/functions/target/thebacknd-functions.jar"
  # The launcher builds a missing jar; one older than the sources would test yesterday's code.
  if [[ -f $jar && -n $(find "$repo_root/functions/src/main" "$repo_root/functions/pom.xml" -newer "$jar" -print -quit) ]]; then
    log "the functions changed since $jar was built; rebuilding it"
    mvn -B -q -ntp -f "$repo_root/pom.xml" -pl functions -DskipTests package >&2 || die "building $jar failed"
  fi
  if [[ ! -f $jar ]]; then
    lab_cli --help >/dev/null # the launcher builds the jar on first use
  fi
  # One secret for the lab's life: a server started again (lab_serve_again) knows its VMs.
  head -c 24 /dev/urandom | base64 >"$lab_dir/secret"
  lab_leases_table
  lab_aws create-bucket "$lab_output_bucket"
  lab_serve_start
}

# lab_serve_start [NAME=VALUE]...: starts the server on a fresh port, with these settings on top
# of the lab's (THEBACKND_POOL=t3.micro=2 …).
lab_serve_start() {
  local port image
  port=$(free_port)
  image=$(lab_aws image-id)
  lab_api_url="http://${lab_api_host:-127.0.0.1}:$port"
  env THEBACKND_SECRET="$(<"$lab_dir/secret")" THEBACKND_IMAGE_ID="$image" THEBACKND_API_URL="$lab_api_url" \
    THEBACKND_LEASES_TABLE=$lab_leases_table \
    NIX_CACHE="$lab_cache_url" NIX_TRUSTED_KEY="$lab_public_key" \
    THEBACKND_VERIFY_CACHE=true \
    THEBACKND_OUTPUT_BUCKET=$lab_output_bucket THEBACKND_MAX_OUTPUT_KIB="$lab_max_output_kib" \
    "$@" "$repo_root/toplevel-scripts/thebacknd" serve --port "$port" >>"$lab_dir/serve.log" 2>&1 &
  lab_server_pid=$!
  lab_wait_for_server "$port"
  export THEBACKND_API_URL=$lab_api_url
}

# lab_wait_for_server PORT: waits (at most 60 s) for the server's line saying it serves on PORT.
lab_wait_for_server() {
  lab_wait_for_line "$lab_dir/serve.log" "^thebacknd: serving on .*:$1([^0-9]|\$)" 60 "$lab_server_pid" >/dev/null
}

# lab_serve_again [NAME=VALUE]...: the server stopped and started again with these settings (the
# same secret, table and buckets: the VMs it launched carry on); a new port, a new
# THEBACKND_API_URL.
lab_serve_again() {
  if [[ -n $lab_server_pid ]] && kill -0 "$lab_server_pid" 2>/dev/null; then
    kill "$lab_server_pid" 2>/dev/null || true
    wait "$lab_server_pid" 2>/dev/null || true
  fi
  lab_server_pid=""
  lab_serve_start "$@"
}

# lab_imds_start: the loopback IMDSv2 stub, serving $lab_dir/imds, and instance tags from moto.
lab_imds_start() {
  local line
  "$lab_python" "$repo_root/nixos-image/tests/imds-stub.py" --root "$lab_dir/imds" \
    --ec2-endpoint "$AWS_ENDPOINT_URL" >"$lab_dir/imds.log" 2>&1 &
  lab_imds_pid=$!
  line=$(lab_wait_for_line "$lab_dir/imds.log" '^imds-stub: serving on ' 20 "$lab_imds_pid")
  lab_imds_url=${line#imds-stub: serving on }
}

# lab_play INSTANCE_ID [JQ_FILTER]: the stub now serves what EC2 would to that instance: the
# user-data `create` launched it with (optionally rewritten by JQ_FILTER, to play a tampered VM),
# its tags (read from moto by the stub), on-demand, no spot notice, no forced errors.
lab_play() {
  local user_data
  user_data=$(lab_aws user-data "$1")
  jq -c "${2:-.}" <<<"$user_data" >"$lab_dir/imds/user-data"
  printf '%s' "$1" >"$lab_dir/imds/meta-data/instance-id"
  printf 'on-demand' >"$lab_dir/imds/meta-data/instance-life-cycle"
  rm -rf "$lab_dir/imds/meta-data/spot" "$lab_dir/imds/status"
}

# lab_vm_commands VMDIR: VMDIR/bin, first on the agent's PATH, holds what a NixOS VM has and this
# machine must not answer for it. journalctl stands in for the VM's journal: VMDIR/journal/UNIT,
# the unit's messages a line each. It records each command line in VMDIR/journalctl.log, answers
# only the agent's own calls (--boot --unit UNIT --lines N --output cat|short-iso --no-pager
# --quiet) and fails loudly on anything else.
lab_vm_commands() {
  mkdir -p "$1/bin"
  [[ ! -x $1/bin/journalctl ]] || return 0
  cat >"$1/bin/journalctl" <<'JOURNALCTL'
#!/usr/bin/env bash
# The lab's stand-in for a VM's journalctl (nixos-image/tests/lib.sh, lab_vm_commands).
set -euo pipefail
vm=${0%/bin/journalctl}
printf 'journalctl %s\n' "$*" >>"$vm/journalctl.log"
if [[ $# != 9 || $1 != --boot || $2 != --unit || $3 == */* || $4 != --lines || ! $5 =~ ^[0-9]+$ ||
  $6 != --output || ! $7 =~ ^(cat|short-iso)$ || $8 != --no-pager || $9 != --quiet ]]; then
  echo "journalctl (the lab's stand-in) does not answer: journalctl $*" >&2
  exit 64
fi
[[ -f $vm/journal/$3 ]] || exit 0 # no entries; --quiet says nothing
tail -n "$5" "$vm/journal/$3" | while IFS= read -r message; do
  if [[ $7 == cat ]]; then
    printf '%s\n' "$message"
  else
    printf '2026-01-01T00:00:00+0000 thebacknd %s[42]: %s\n' "${3%.*}" "$message"
  fi
done
JOURNALCTL
  chmod +x "$1/bin/journalctl"
  # systemd-run and systemctl stand in for the VM's systemd, for the deadline timer: a timer is
  # VMDIR/timers/UNIT.timer, holding systemd-run's arguments (NUL-separated) until lab_fire_timer
  # runs its command; systemctl answers whether one waits, and stops them. Only the agent's own
  # calls are answered; anything else fails loudly.
  cat >"$1/bin/systemd-run" <<'SYSTEMDRUN'
#!/usr/bin/env bash
# The lab's stand-in for a VM's systemd-run (nixos-image/tests/lib.sh, lab_vm_commands).
set -euo pipefail
vm=${0%/bin/systemd-run}
printf 'systemd-run %s\n' "$*" >>"$vm/systemd-run.log"
unit="" args=("$@")
while (($#)); do
  case $1 in
    --unit) unit=$2; shift 2 ;;
    --description | --timer-property | --on-calendar | --on-active | --property | --setenv) shift 2 ;;
    --collect) shift ;;
    --*) echo "systemd-run (the lab's stand-in) does not answer: $1" >&2; exit 64 ;;
    *) break ;;
  esac
done
[[ $unit =~ ^thebacknd-expire-[0-9]+$ && $# -ge 1 ]] || { echo "systemd-run (the lab's stand-in): no --unit thebacknd-expire-EPOCH or no command" >&2; exit 64; }
mkdir -p "$vm/timers"
printf '%s\0' "${args[@]}" >"$vm/timers/$unit.timer"
echo "Running timer as unit: $unit.timer"
SYSTEMDRUN
  cat >"$1/bin/systemctl" <<'SYSTEMCTL'
#!/usr/bin/env bash
# The lab's stand-in for a VM's systemctl (nixos-image/tests/lib.sh, lab_vm_commands).
set -euo pipefail
vm=${0%/bin/systemctl}
printf 'systemctl %s\n' "$*" >>"$vm/systemctl.log"
if [[ $# == 5 && $1 == show && $2 == --property && $3 == SubState && $4 == --value && $5 == *.timer ]]; then
  if [[ -f $vm/timers/$5 ]]; then echo waiting; else echo dead; fi
elif [[ $# == 2 && $1 == stop && $2 == 'thebacknd-expire-*.timer' ]]; then
  rm -f "$vm"/timers/thebacknd-expire-*.timer
else
  echo "systemctl (the lab's stand-in) does not answer: systemctl $*" >&2
  exit 64
fi
SYSTEMCTL
  chmod +x "$1/bin/systemd-run" "$1/bin/systemctl"
}

# lab_timers VMDIR: the deadline timers waiting on that VM, one unit name a line.
lab_timers() {
  local timer
  for timer in "$1"/timers/*.timer; do
    [[ -e $timer ]] && basename "$timer" .timer
  done
  return 0
}

# lab_timer_arg VMDIR UNIT OPTION: the value systemd-run was given for OPTION (--on-calendar…).
lab_timer_arg() {
  local -a args
  local i
  mapfile -d '' -t args <"$1/timers/$2.timer"
  for ((i = 0; i < ${#args[@]} - 1; i++)); do
    if [[ ${args[i]} == "$3" ]]; then printf '%s\n' "${args[i + 1]}"; return 0; fi
  done
  return 1
}

# lab_fire_timer VMDIR UNIT: the timer fires: it is gone (--collect), and its command runs as
# systemd would run it (with its --setenv settings and the VM's commands first on PATH); its
# output goes to VMDIR/agent.log. Prints the command's exit status.
lab_fire_timer() {
  local vm=$1 unit=$2 i status=0
  local -a args command=() env=()
  mapfile -d '' -t args <"$vm/timers/$unit.timer"
  rm -f "$vm/timers/$unit.timer"
  for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
      --setenv) env+=("${args[i + 1]}"); i=$((i + 1)) ;;
      --unit | --description | --timer-property | --on-calendar | --on-active | --property) i=$((i + 1)) ;;
      --collect) ;;
      *) command=("${args[@]:i}"); break ;;
    esac
  done
  env PATH="$vm/bin:$PATH" "${env[@]}" "${command[@]}" >>"$vm/agent.log" 2>&1 || status=$?
  echo "$status"
}

# lab_agent VMDIR ARGS...: the real agent against the lab. Its system profile lives in VMDIR, its
# power-off only touches VMDIR/powered-off, and VMDIR/bin (lab_vm_commands) comes first on its PATH.
# Its metadata service is VMDIR/imds-url's when there is one (lab_pool_vm), else the lab's stub.
# Its uptime (/proc/uptime, the timings' boot_s) counts from the VM's first agent run, its
# "power-on": it runs in a time namespace whose boot clock is set back by the host's uptime
# then (where the kernel and this user allow one; else it sees the host's uptime).
lab_agent() {
  local vm=$1 imds=$lab_imds_url uptime
  local -a clock=()
  shift
  mkdir -p "$vm/profiles"
  lab_vm_commands "$vm"
  [[ ! -f $vm/imds-url ]] || imds=$(<"$vm/imds-url")
  if [[ ! -f $vm/powered-on ]]; then
    read -r uptime _ </proc/uptime
    echo "${uptime%.*}" >"$vm/powered-on"
  fi
  if unshare --time --boottime 0 true 2>/dev/null; then
    clock=(unshare --time --boottime "-$(<"$vm/powered-on")")
  fi
  PATH="$vm/bin:$PATH" \
    THEBACKND_IMDS_URL=$imds \
    THEBACKND_SYSTEM_PROFILE="$vm/profiles/system" \
    THEBACKND_POWEROFF="touch $vm/powered-off" \
    "${clock[@]}" "$repo_root/nixos-image/agent/thebacknd-agent" "$@"
}

# lab_pool_vm INSTANCE_ID VMDIR [JQ_FILTER]: plays a pooled VM as EC2 would boot it: its own IMDS
# stub (VMDIR/imds, so the lab's stub stays free for other VMs) serving the user-data the pool
# launched it with (optionally rewritten by JQ_FILTER) and its tags from moto, and the agent's
# `boot` in the background (its own process group, as its systemd unit; output in
# VMDIR/agent.log). Sets lab_pool_pid and lab_pool_imds_pid: not to be called in a subshell.
# lab_pool_vm_stop ends both.
lab_pool_pid="" lab_pool_imds_pid=""
lab_pool_vm() {
  local id=$1 vm=$2 line
  mkdir -p "$vm/imds/meta-data"
  lab_aws user-data "$id" | jq -c "${3:-.}" >"$vm/imds/user-data"
  printf '%s' "$id" >"$vm/imds/meta-data/instance-id"
  printf 'on-demand' >"$vm/imds/meta-data/instance-life-cycle"
  "$lab_python" "$repo_root/nixos-image/tests/imds-stub.py" --root "$vm/imds" \
    --ec2-endpoint "$AWS_ENDPOINT_URL" >"$vm/imds.log" 2>&1 &
  lab_pool_imds_pid=$!
  line=$(lab_wait_for_line "$vm/imds.log" '^imds-stub: serving on ' 20 "$lab_pool_imds_pid")
  echo "${line#imds-stub: serving on }" >"$vm/imds-url"
  set -m
  lab_agent "$vm" boot >>"$vm/agent.log" 2>&1 &
  lab_pool_pid=$!
  set +m
}

# lab_pool_vm_stop: stops the pooled VM's agent (SIGTERM to its group, as a shutdown would) and
# its IMDS stub; safe to call twice.
lab_pool_vm_stop() {
  if [[ -n $lab_pool_pid ]] && kill -0 "$lab_pool_pid" 2>/dev/null; then
    kill -TERM -- "-$lab_pool_pid" 2>/dev/null || true
  fi
  if [[ -n $lab_pool_pid ]]; then wait "$lab_pool_pid" 2>/dev/null || true; fi
  if [[ -n $lab_pool_imds_pid ]] && kill -0 "$lab_pool_imds_pid" 2>/dev/null; then
    kill "$lab_pool_imds_pid" 2>/dev/null || true
    wait "$lab_pool_imds_pid" 2>/dev/null || true
  fi
  lab_pool_pid="" lab_pool_imds_pid=""
}

# lab_stop: stops what the lab started and forgets what it built; safe to call twice.
lab_stop() {
  local pid
  lab_pool_vm_stop
  for pid in "$lab_server_pid" "$lab_imds_pid"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  lab_server_pid=""
  lab_imds_pid=""
  moto_stop
  if [[ -n $lab_dir && -d $lab_dir ]]; then
    # The lab's profiles are the only GC roots of what it fetched; the VMs' logs stay for a look.
    rm -rf "$lab_dir"/vms/*/profiles
    local -a paths=()
    local path
    for path in "$lab_toplevel" "$lab_motd" "$lab_hello" "$lab_base" "$lab_broken" "$lab_agent_stub" "$lab_programs"; do
      [[ -n $path ]] || continue
      paths+=("$path")
      # ... and the derivations that built them, so a run leaves nothing in the store.
      path=$(nix-store --query --deriver "$path" 2>/dev/null) || continue
      if [[ $path == /nix/store/*.drv ]] && nix-store --check-validity "$path" 2>/dev/null; then
        paths+=("$path")
      fi
    done
    if ((${#paths[@]})); then
      nix-store --delete "${paths[@]}" >/dev/null 2>&1 || true
    fi
  fi
}
