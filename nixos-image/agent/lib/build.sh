# shellcheck shell=bash
# Built where it runs: the user-data's nix_flake (a flake reference built on this VM, then
# switched to or run) and nix_packages (a Nix shell: nixpkgs packages on PATH for a command).
# Only when the deployment allows VM builds does `create` write either; the VM still checks
# what it is given.

nix_flake=""
nix_packages=()
# The substituters and keys of a build here: the user-data's cache and key, then the upstream
# caches the deployment names (THEBACKND_UPSTREAM_CACHES), as "URL KEY" lines.
upstream_caches=()

# The flake-reference grammar the API enforces (its flake-reference parser), checked again here:
# the schemes it allows, git+http:// only to a loopback host, at most 1 KiB, no whitespace or
# control character, an attribute after '#'.
readonly max_flake_ref_bytes=1024
readonly flake_ref_schemes='^(github:|gitlab:|sourcehut:|git\+https://|git\+ssh://|https://|git\+http://(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost)(:[0-9]+)?/)'
readonly max_packages=32
readonly ed25519_key='[A-Za-z0-9._-]+:[A-Za-z0-9+/]{43}='

# flake_ref_problem REF: what is wrong with REF as a nix_flake, nothing when it is fine.
flake_ref_problem() {
  local ref=$1
  if ((${#ref} > max_flake_ref_bytes)); then
    echo "a flake reference is at most $max_flake_ref_bytes bytes"
  elif [[ $ref =~ [[:space:][:cntrl:]] ]]; then
    echo "a flake reference has no whitespace or control characters"
  elif [[ ! $ref =~ $flake_ref_schemes ]]; then
    echo "a flake reference is github:, gitlab:, sourcehut:, git+https://, git+ssh://, https:// or git+http:// to a loopback host"
  elif [[ $ref != *'#'* || -z ${ref#*#} ]]; then
    echo "a flake reference names an attribute after '#'"
  fi
}

# check_build_fields: the user-data's nix_flake, nix_packages and nix_upstream_caches, into the
# globals above (check_user_data read nix_flake as a string already); sets `problem` and returns
# 1 on the first thing wrong.
check_build_fields() {
  local workloads=0 field_name
  if ! jq -e --argjson max "$max_packages" '.nix_packages == null or ((.nix_packages | type) == "array"
      and (.nix_packages | length) >= 1 and (.nix_packages | length) <= $max
      and all(.nix_packages[]; type == "string" and test("^[A-Za-z0-9_+-]+([.][A-Za-z0-9_+-]+)*$")))' \
      <<<"$user_data" >/dev/null 2>&1; then
    problem="nix_packages must be 1 to $max_packages nixpkgs attribute names"
    return 1
  fi
  mapfile -t nix_packages < <(jq -r '.nix_packages // [] | .[]' <<<"$user_data")
  if ! jq -e '(.nix_upstream_caches // []) | type == "array" and all(.[];
      type == "object" and (.url | type) == "string" and (.key | type) == "string")' \
      <<<"$user_data" >/dev/null 2>&1; then
    problem="nix_upstream_caches must be a list of {\"url\", \"key\"}"
    return 1
  fi
  mapfile -t upstream_caches < <(jq -r '(.nix_upstream_caches // [])[] | "\(.url) \(.key)"' <<<"$user_data")
  local cache
  for cache in "${upstream_caches[@]}"; do
    if [[ ! $cache =~ ^(s3|https?)://[^[:space:]]+\ $ed25519_key$ ]]; then
      problem="nix_upstream_caches: each is an s3:// or http(s):// URL with a name:base64 Ed25519 key"
      return 1
    fi
  done
  for field_name in nix_toplevel nix_binary nix_flake; do
    [[ -z ${!field_name} ]] || workloads=$((workloads + 1))
  done
  ((${#nix_packages[@]} == 0)) || workloads=$((workloads + 1))
  if ((workloads > 1)); then
    problem="at most one of nix_toplevel, nix_binary, nix_flake and nix_packages is set"
    return 1
  fi
  if [[ -n $nix_flake ]]; then
    problem=$(flake_ref_problem "$nix_flake")
    [[ -z $problem ]] || { problem="nix_flake: $problem"; return 1; }
  fi
  if ((${#nix_packages[@]})) && ((${#program_args[@]} == 0)); then
    problem="nix_packages needs nix_args: the command to run and its arguments"
    return 1
  fi
}

# build_options: the settings of every Nix call of a build here, in build_flags. Flakes for
# these calls only; substituters the user-data's cache and the upstream caches, trusting their
# keys alone, every substituted path signed (require-sigs); a flake's own nixConfig ignored (it
# could name other substituters). The module's extra settings come first, so these win.
build_flags=()
build_substituters=""
# How long the last nix_build took (seconds, to the tenth), for the log.
build_seconds=""
build_options() {
  local substituters=$nix_cache keys=$nix_trusted_key cache
  for cache in "${upstream_caches[@]}"; do
    substituters+="${substituters:+ }${cache%% *}"
    keys+="${keys:+ }${cache#* }"
  done
  build_substituters=$substituters
  build_flags=(--extra-experimental-features 'nix-command flakes' "${nix_options[@]}"
    --option substituters "$substituters"
    --option trusted-public-keys "$keys"
    --option require-sigs true
    --option accept-flake-config false
    --option narinfo-cache-negative-ttl 0)
}

# nix_build WHAT INSTALLABLE...: `nix build` of the installables (their build logs too, -L), its
# log on the console and in the output stream; their outputs as JSON in tmp_dir/build.json
# (`--json`: Nix 2.8 has no --print-out-paths). Fails the boot, with Nix's last error, when the
# build fails. Not to be run in a subshell (fail must end the boot).
nix_build() {
  local what=$1 log=$tmp_dir/build.log status=0 reason took started=${EPOCHREALTIME/./}
  shift
  nix "${build_flags[@]}" build --no-link --json -L "$@" 2>&1 >"$tmp_dir/build.json" \
    | tee "$log" | relay || status=$?
  took=$((${EPOCHREALTIME/./} - started))
  build_seconds=$((took / 1000000)).$((took / 100000 % 10))
  if ((status != 0)); then
    reason=$(grep -E '^error:' "$log" | tail -n1 | sed 's/^error: //') || true
    fail "building $what failed: ${reason:-nix build exited with status $status}"
  fi
}

# flake_installable REF: REF, with a nixosConfigurations.NAME attribute taken to that system's
# toplevel (what nixos-rebuild builds for it).
flake_installable() {
  local ref=$1 attr
  attr=${ref#*#}
  if [[ $attr =~ ^nixosConfigurations\.[^.]+$ ]]; then
    printf '%s.config.system.build.toplevel\n' "$ref"
  else
    printf '%s\n' "$ref"
  fi
}

# run_flake: builds nix_flake here; a result with bin/switch-to-configuration is a toplevel,
# switched to when its closure holds the agent, else refused before any switch; anything else is
# a program (meta.mainProgram, else pname, else its name without the version, as `nix run`
# picks it), run with nix_args.
run_flake() {
  local installable out program
  installable=$(flake_installable "$nix_flake")
  build_options
  step="building $nix_flake"
  log "building $installable on this VM (substituters: ${build_substituters:-none})"
  nix_build "$nix_flake" "$installable"
  out=$(jq -r '.[0].outputs | .out // first(.[])' "$tmp_dir/build.json")
  log "built $out in ${build_seconds}s"
  if [[ -e $out/bin/switch-to-configuration ]]; then
    step="checking $out"
    if ! nix-store --query --requisites "$out" | grep -qE '^/nix/store/[0-9a-z]{32}-thebacknd-agent'; then
      fail "toplevel_without_agent: $out, built from $nix_flake, holds no thebacknd-agent path in its closure (it would lose its deadline at the next reboot)"
    fi
    switch_to "$out"
    stream_end
    return 0
  fi
  step="finding the program of $nix_flake"
  program=$(nix "${build_flags[@]}" eval --raw "$installable" \
    --apply 'p: p.meta.mainProgram or p.pname or (builtins.parseDrvName p.name).name' 2> >(relay)) \
    || fail "$nix_flake is neither a NixOS system nor a package with a program (nix eval of its meta.mainProgram failed)"
  [[ $program =~ ^[A-Za-z0-9+._?=@-]+$ && $program != . && $program != .. ]] \
    || fail "$nix_flake names no usable program (meta.mainProgram or pname: $(one_line "$program"))"
  run_binary "$out/bin/$program" "$out"
}

# run_packages: realises nixpkgs#P for each of nix_packages (nixpkgs: the flake registry's entry,
# which the base module pins to the image's own nixpkgs) and runs nix_args[0] with nix_args[1..]
# and those packages' bin first on PATH, as a program. What the realisation printed is sent only
# when the command never runs, as a program's boot log is.
run_packages() {
  local -a installables=() bins=()
  local package command path_dirs
  for package in "${nix_packages[@]}"; do installables+=("nixpkgs#$package"); done
  build_options
  step="realising ${installables[*]}"
  log "realising ${installables[*]} from the flake registry's nixpkgs"
  nix_build "${installables[*]}" "${installables[@]}"
  mapfile -t bins < <(jq -r '.[] | .outputs | (.bin // .out // first(.[])) + "/bin"' "$tmp_dir/build.json")
  log "realised ${installables[*]} in ${build_seconds}s"
  path_dirs=$(IFS=:; printf '%s' "${bins[*]}")
  command=${program_args[0]}
  program_args=("${program_args[@]:1}")
  local resolved
  resolved=$(PATH="$path_dirs:$PATH" type -P -- "$command") \
    || fail "no such program $command: not on PATH with ${installables[*]}"
  # The agent only reports and goes from here on; the command finds its packages first.
  export PATH="$path_dirs:$PATH"
  run_binary "$resolved" "${installables[*]}"
}
