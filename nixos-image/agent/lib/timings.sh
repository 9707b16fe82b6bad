# shellcheck shell=bash
# What the agent measures of the time until ready, sent with `running`, `finished` and `failed`
# as the report's "timings" (the API shows it in every VM's JSON):
#   boot_s         the VM's uptime when `boot` started (/proc/uptime): power-on to the agent
#   fetch_s        realising the closure from the cache
#   fetched_paths  how many store paths Nix substituted (said it copied, and are now valid)
#   fetched_bytes  their size as the store records it (the NARs' size, unpacked)
#   switch_s       setting the system profile and switch-to-configuration (0 for a program)
# Seconds with millisecond precision; a part that did not happen (yet) is 0.

timing_boot_s=0 timing_fetch_s=0 timing_fetched_paths=0 timing_fetched_bytes=0 timing_switch_s=0
timings_measured=false

# timings_start: the VM's uptime, now (the first thing `boot` does).
timings_start() {
  local uptime=""
  read -r uptime _ </proc/uptime 2>/dev/null || true
  [[ $uptime =~ ^[0-9]+(\.[0-9]+)?$ ]] || uptime=0
  timing_boot_s=$uptime
  timings_measured=true
}

# clock_micros: a monotonic-enough wall clock in microseconds (bash's EPOCHREALTIME, read with
# LC_ALL=C so its separator is a dot).
clock_micros() { printf '%s' "${EPOCHREALTIME/./}"; }

# seconds_since MICROS: the seconds since clock_micros said MICROS, to the millisecond.
seconds_since() {
  local elapsed=$(($(clock_micros) - $1))
  ((elapsed >= 0)) || elapsed=0
  printf '%d.%03d' $((elapsed / 1000000)) $((elapsed % 1000000 / 1000))
}

# count_fetched LOG: from Nix's log of a realise, the paths it copied from the cache and their
# size. Only paths now valid count (a copy that failed half-way fetched nothing that stays).
count_fetched() {
  local path size count=0 total=0
  while IFS= read -r path; do
    if size=$(nix-store --query --size "$path" 2>/dev/null) && [[ $size =~ ^[0-9]+$ ]]; then
      count=$((count + 1))
      total=$((total + size))
    fi
  done < <(grep -oE "^copying path '/nix/store/[^']+' from " "$1" | cut -d"'" -f2 | sort -u)
  timing_fetched_paths=$count
  timing_fetched_bytes=$total
}

# timings_json: the report's "timings" object; nothing when `boot` measured nothing.
timings_json() {
  [[ $timings_measured == true ]] || return 0
  jq -nc --argjson boot_s "$timing_boot_s" --argjson fetch_s "$timing_fetch_s" \
    --argjson fetched_paths "$timing_fetched_paths" --argjson fetched_bytes "$timing_fetched_bytes" \
    --argjson switch_s "$timing_switch_s" '$ARGS.named'
}
