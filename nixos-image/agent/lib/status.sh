# shellcheck shell=bash
# `status`: what the VM is asked to be, what it is, and its deadline.

cmd_status() {
  local json=false profile running now left asked state when
  case "$#:${1:-}" in
    0:) ;;
    1:--json) json=true ;;
    *) usage >&2; exit 2 ;;
  esac
  load_identity || exit 1
  if ! check_user_data; then
    log "invalid user-data: $problem"
  fi
  if ! read_deadline && [[ -n $problem ]]; then
    exit 1 # not even a deadline to show
  fi
  profile=$(profile_target)
  running=$(current_system)
  now=$(date -u +%s)
  left=$((${deadline_epoch:-$now} - now))
  if [[ -n $problem ]]; then
    asked="(invalid user-data)"
    state="invalid user-data: $problem"
  elif [[ -n $nix_toplevel ]]; then
    asked="toplevel $nix_toplevel"
    if on_toplevel "$nix_toplevel"; then state="on the requested toplevel"; else state="not on the requested toplevel"; fi
  elif [[ -n $nix_binary ]]; then
    asked="program $nix_binary"
    state="runs a program on the base image"
  else
    asked="the base image"
    state="the base image"
  fi
  if [[ $json == true ]]; then
    jq -n --arg name "$name" --arg vm_id "$vm_id" --arg nix_toplevel "$nix_toplevel" \
      --arg nix_binary "$nix_binary" --arg nix_cache "$nix_cache" --arg api_url "$api_url" \
      --arg system_profile "$system_profile" --arg profile "$profile" --arg running "$running" \
      --arg state "$state" --arg expires_at "$expires_at" --arg deadline "$deadline" \
      --arg deadline_source "$deadline_source" --argjson seconds_left "$left" \
      'def orNull: if . == "" then null else . end;
       {name: $name, vm_id: $vm_id, nix_toplevel: ($nix_toplevel | orNull),
        nix_binary: ($nix_binary | orNull), nix_cache: ($nix_cache | orNull), api_url: $api_url,
        system_profile: $system_profile, profile_target: ($profile | orNull),
        current_system: ($running | orNull), state: $state, expires_at: ($expires_at | orNull),
        deadline: ($deadline | orNull), deadline_source: ($deadline_source | orNull),
        seconds_left: $seconds_left}'
    return
  fi
  if ((left >= 0)); then when="in $((left / 60)) min"; else when="passed $((-left / 60)) min ago"; fi
  printf '%-9s %s\n' \
    vm "$name (vm_id $vm_id)" \
    asked "$asked" \
    state "$state" \
    profile "$system_profile -> ${profile:-(none)}" \
    running "${running:-(not a NixOS system)}" \
    deadline "${deadline:-(none)} ($when, from the ${deadline_source:-nowhere})" \
    api "$api_url" \
    cache "${nix_cache:-(none)}"
}

