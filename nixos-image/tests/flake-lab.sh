# shellcheck shell=bash
# The lab's Git server for builds on the VM, shared by nixos-image/tests/builds and dev/demo: the
# flake lab-flake.nix committed to a Git repository in the lab directory, its bare twin served
# over loopback HTTP with Git's dumb protocol (`git update-server-info` and a static server), so
# the agent's Nix fetches it as it would any git+https:// flake.
# Source nixos-image/tests/lib.sh first and call lab_init.

: "${repo_root:?source dev/lib/common.sh first}"

# shellcheck disable=SC2034 # read by the scripts that source this file
flake_lab_src=""
flake_lab_url=""
flake_lab_http_pid=""

# flake_lab_start: commits the flake (the lab directory baked in), serves its bare clone on a free
# loopback port; sets flake_lab_src (the working repository) and flake_lab_url (git+http://…).
flake_lab_start() {
  local port tick
  flake_lab_src="$lab_dir/flake"
  mkdir -p "$flake_lab_src" "$lab_dir/git"
  sed "s|@LAB_DIR@|$lab_dir|g" "$repo_root/nixos-image/tests/lab-flake.nix" >"$flake_lab_src/flake.nix"
  git -C "$flake_lab_src" init -q
  git -C "$flake_lab_src" add flake.nix
  git -C "$flake_lab_src" -c user.name=lab -c user.email=lab@localhost commit -qm "the lab's flake"
  git clone -q --bare "$flake_lab_src" "$lab_dir/git/flake.git"
  git -C "$lab_dir/git/flake.git" update-server-info
  port=$(free_port)
  python3 -m http.server --bind 127.0.0.1 --directory "$lab_dir/git" "$port" >"$lab_dir/http.log" 2>&1 &
  flake_lab_http_pid=$!
  # shellcheck disable=SC2034 # read by the scripts that source this file
  flake_lab_url="git+http://127.0.0.1:$port/flake.git"
  for ((tick = 0; tick < 40; tick++)); do
    curl -fsS "http://127.0.0.1:$port/flake.git/info/refs" >/dev/null 2>&1 && return 0
    kill -0 "$flake_lab_http_pid" 2>/dev/null || { cat "$lab_dir/http.log" >&2; die "the lab's Git server exited"; }
    sleep 0.25
  done
  die "the lab's Git server did not answer within 10 s"
}

# flake_lab_stop: stops the Git server; safe to call twice.
flake_lab_stop() {
  if [[ -n $flake_lab_http_pid ]] && kill -0 "$flake_lab_http_pid" 2>/dev/null; then
    kill "$flake_lab_http_pid" 2>/dev/null || true
    wait "$flake_lab_http_pid" 2>/dev/null || true
  fi
  flake_lab_http_pid=""
}

# flake_lab_forget: deletes from the store what the VMs built (every derivation their Nix named
# in "building '….drv'", its outputs with it; only the VMs' profiles, removed here, rooted them).
flake_lab_forget() {
  local -a drvs=() paths=()
  local drv
  [[ -n $lab_dir && -d $lab_dir ]] || return 0
  rm -rf "$lab_dir"/vms/*/profiles
  mapfile -t drvs < <(grep -rhoE "building '/nix/store/[0-9a-z]{32}-[^']+\.drv'" "$lab_dir"/vms/*/agent.log 2>/dev/null \
    | cut -d"'" -f2 | sort -u)
  for drv in "${drvs[@]}"; do
    mapfile -t -O "${#paths[@]}" paths < <(nix-store --query --outputs "$drv" 2>/dev/null)
    paths+=("$drv")
  done
  ((${#paths[@]})) || return 0
  nix-store --delete "${paths[@]}" >/dev/null 2>&1 || true
}
