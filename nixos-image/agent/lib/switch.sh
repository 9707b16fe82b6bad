# shellcheck shell=bash
# Fetching a closure and switching the system to it, with the rollback when that fails.

# What systemd itself writes into a unit's journal when it starts, stops or gives up on it: said
# by the phase already, so the one-line detail keeps the service's own last words instead.
readonly systemd_stock_lines='^(Starting|Started|Stopping|Stopped|Failed to start) |(^|: )(Main process exited|Failed with result|Consumed .* CPU time|Scheduled restart job|Deactivated successfully|Start request repeated too quickly)'

profile_target() {
  if [[ -e $system_profile ]]; then readlink -f "$system_profile"; fi
}

# The running NixOS system; none outside NixOS (where only the profile can tell).
current_system() {
  if [[ -e /run/current-system ]]; then readlink -f /run/current-system; fi
}

# on_toplevel PATH: the profile is PATH and so is the running system (where there is one).
on_toplevel() {
  local running
  [[ $(profile_target) == "$1" ]] || return 1
  running=$(current_system)
  [[ -z $running || $running == "$1" ]]
}

# How wide the fetch goes (settings of the Nix manual; how they act, from Nix's sources):
#   http-connections 64       Nix's default is 25. Before fetching, nix-store --realise looks up
#                             the closure's narinfos with a thread pool of that size
#                             (Store::queryMissing), and curl keeps at most that many connections
#                             open: for a closure of hundreds of small paths the cache's latency
#                             per request, not the bandwidth, is what this bounds.
#   max-substitution-jobs 32  Nix's default is 16 (Nix 2.16 and later; before, substitutions
#                             counted against max-jobs). Each job downloads, decompresses and
#                             writes one path, mostly waiting on the network for small paths.
# The narinfos a realise reads are kept by Nix's disk cache (narinfo-cache-positive-ttl, a month
# by default), so each is read once; only a miss is never cached (negative TTL 0 below): a path
# pushed a moment after a miss is found at the next boot. These come before the module's
# nixSettings, which may change them (a later --option wins).
substitution_options() {
  local version
  substitution=(--option http-connections 64)
  version=$(nix-store --version 2>/dev/null) || version=""
  if [[ $version =~ ([0-9]+)\.([0-9]+) ]] && ((BASH_REMATCH[1] > 2 || BASH_REMATCH[2] >= 16)); then
    substitution+=(--option max-substitution-jobs 32)
  fi
}

# realise PATH: substitutes PATH's closure from the user-data's cache, trusting only the
# user-data's key(s); Nix checks every path's signature itself (require-sigs). The module's extra
# settings come before these so they can never override them. Nix's progress streams to the
# console.
realise() {
  local path=$1 output=$tmp_dir/realise.log status=0 unsigned reason names="" key started
  local -a substitution
  substitution_options
  started=$(clock_micros)
  # (Less Nix's advice to add a GC root: the profile set right after is the root.)
  nix-store --realise "$path" "${substitution[@]}" "${nix_options[@]}" \
    --option substituters "$nix_cache" \
    --option trusted-public-keys "$nix_trusted_key" \
    --option require-sigs true \
    --option narinfo-cache-negative-ttl 0 2>&1 \
    | { grep --line-buffered -v "you did not specify '--add-root'" || true; } \
    | tee "$output" | relay || status=$?
  timing_fetch_s=$(seconds_since "$started")
  count_fetched "$output"
  if ((status == 0)); then
    log "fetched $timing_fetched_paths store path(s), $timing_fetched_bytes bytes, in ${timing_fetch_s}s"
    return 0
  fi
  # Say why in one line: Nix's own last line is only "build of … failed". Nix 2.8 (the tests)
  # and the image's newer Nix word these differently; both wordings are matched.
  if unsigned=$(grep -m1 -oE "substitute for '[^']*' from '[^']*',? (is|as it's) not signed by" "$output"); then
    unsigned=$(cut -d"'" -f2 <<<"$unsigned")
    for key in $nix_trusted_key; do names+="${names:+, }${key%%:*}"; done
    fail "$unsigned in $nix_cache is not signed by a trusted key ($names)"
  fi
  if grep -qE "don't know how to build these paths|is required, but there is no substituter that can build it" "$output"; then
    fail "$path is not in $nix_cache (or the cache cannot be read)"
  fi
  reason=$(grep -E '^error:' "$output" | tail -n1 | sed 's/^error: //')
  fail "fetching $path from $nix_cache failed: ${reason:-nix-store exited with status $status}"
}

# set_profile SYSTEM: points the system profile at SYSTEM (a new generation); on failure
# profile_error says why.
profile_error=""
set_profile() {
  local output
  if output=$(nix-env --profile "$system_profile" --set "$1" 2>&1); then
    return 0
  fi
  relay <<<"$output"
  profile_error=$(tail -n1 <<<"$output")
  return 1
}

# switch_system SYSTEM: `switch-to-configuration switch` of SYSTEM, its output on the console
# and in tmp_dir/switch.log; its exit status.
switch_system() {
  local status=0
  "$1/bin/switch-to-configuration" switch 2>&1 | tee "$tmp_dir/switch.log" | relay || status=$?
  return "$status"
}

# rollback_target TOPLEVEL: the system to go back to when the switch to TOPLEVEL fails, read
# before the profile changes: the one the VM booted with. That is what the profile points at,
# unless there is no profile yet or it already names TOPLEVEL (an earlier boot stopped
# mid-switch); then /run/booted-system. Nothing when neither is a system other than TOPLEVEL.
rollback_target() {
  local toplevel=$1 candidate
  candidate=$(profile_target)
  if [[ -z $candidate || $candidate == "$toplevel" ]]; then
    candidate=""
    if [[ -e /run/booted-system ]]; then candidate=$(readlink -f /run/booted-system); fi
  fi
  if [[ -n $candidate && $candidate != "$toplevel" && -x $candidate/bin/switch-to-configuration ]]; then
    printf '%s\n' "$candidate"
  fi
}

# roll_back SYSTEM: sets the profile back to SYSTEM and switches to it, so SSH, this agent and
# the deadline timer keep working; rollback_outcome says how that went.
rollback_outcome=""
roll_back() {
  local previous=$1 status=0
  if [[ -z $previous ]]; then
    rollback_outcome="no earlier system to roll back to"
    return
  fi
  step="rolling back to $previous"
  log "the switch failed; rolling back to $previous"
  if ! set_profile "$previous"; then
    rollback_outcome="rolling back to $previous failed: nix-env --set: $profile_error"
    return
  fi
  switch_system "$previous" || status=$?
  if ((status == 0)); then
    rollback_outcome="rolled back to $previous"
  else
    rollback_outcome="rolled back to $previous, whose switch-to-configuration exited with status $status"
  fi
}

# failed_units: the units switch-to-configuration named as failed ("a.service, b.service").
failed_units() {
  sed -n 's/^warning: the following units failed: //p' "$tmp_dir/switch.log" | tail -n1
}

# journal_tail UNIT: the last 3 lines UNIT logged in this boot, on one line, systemd's own
# stock lines left out (all of them when that leaves nothing); nothing without journalctl.
journal_tail() {
  local lines own
  [[ -n $1 ]] && command -v journalctl >/dev/null || return 0
  lines=$(journalctl --boot --unit "$1" --lines 20 --output cat --no-pager --quiet 2>/dev/null) || true
  own=$(grep -Ev "$systemd_stock_lines" <<<"$lines") || true
  [[ -n $own ]] || own=$lines
  tail -n 3 <<<"$own" | paste -sd ' ' -
}

# log_failed_units "A, B": the last lines of each failed unit's journal into the log (so
# `thebacknd logs` shows them), when journalctl exists.
log_failed_units() {
  local unit
  command -v journalctl >/dev/null || return 0
  for unit in ${1//,/ }; do
    log "the last lines of $unit's journal:"
    journalctl --boot --unit "$unit" --lines 20 --output short-iso --no-pager --quiet 2>&1 | relay || true
  done
}

switch_to() {
  local toplevel=$1 previous status=0 reason units unit journal started
  step="checking $toplevel"
  if [[ ! -x $toplevel/bin/switch-to-configuration ]]; then
    fail "$toplevel is not a NixOS system: it has no bin/switch-to-configuration"
  fi
  previous=$(rollback_target "$toplevel")
  report switching "$toplevel"
  started=$(clock_micros)
  step="setting the system profile"
  set_profile "$toplevel" || { timing_switch_s=$(seconds_since "$started"); fail "nix-env --set $system_profile failed: $profile_error"; }
  step="running switch-to-configuration"
  switch_system "$toplevel" || status=$?
  timing_switch_s=$(seconds_since "$started")
  if ((status == 0)); then
    verdict_reported=true
    report running "$toplevel"
    return 0
  fi
  # Why, before the rollback's own switch replaces the log and stops the new system's units.
  reason="switch-to-configuration exited with status $status"
  units=$(failed_units)
  unit=${units%%,*}
  journal=$(journal_tail "$unit")
  log_failed_units "$units"
  [[ -z $units ]] || reason+=" (failed units: $units)"
  roll_back "$previous"
  # The unit's own words before the rollback's store path, which the 255-byte detail may cut.
  fail "$reason${journal:+; $unit: $journal}; $rollback_outcome"
}

# run_binary PATH: runs the program with the user-data's arguments as its argv (no shell), stdin
# from /dev/null, stdout and stderr through one pipe (so they interleave as written) to the
