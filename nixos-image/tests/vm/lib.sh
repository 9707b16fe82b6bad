# shellcheck shell=bash
# The QEMU lab: a Debian VM booted under TCG with a real kernel and systemd, the real agent and
# its units (rendered from nixos-image/agent/units.nix), on a tap device in a network namespace
# the test made. Sourced by nixos-image/tests/vm/run, inside that namespace, after
# nixos-image/tests/lib.sh (the simulated-VM lab, whose moto, serve and IMDS stand-in it reuses).
#
# The namespace's addresses, on the host side of the tap:
#   the instance metadata address (the one the agent dials): port 80 relayed to the IMDS
#                    stand-in
#   169.254.0.1      the API (`thebacknd serve`) and moto (EC2, S3: the binary cache), relayed
#                    port for port to the namespace's loopback, where they listen
# The guest is 169.254.0.2/16, with no route beyond the link.

: "${lab_dir:?source nixos-image/tests/lib.sh and call lab_init first}"
: "${repo_root:?source dev/lib/common.sh first}"

readonly vm_tap=tap0
readonly vm_host_address=169.254.0.1
# Built from its octets: dev/lint keeps the address itself inside nixos-image/agent/, so that no
# test or script on this machine dials it; here it is only ever an address of this namespace.
vm_imds_address=$(printf '%d.%d.%d.%d' 169 254 169 254)
readonly vm_imds_address
vm_image=""
vm_qemu_pid=""
# When the current VM was booted ($SECONDS), for the scenarios' timings.
# shellcheck disable=SC2034
vm_booted_at=0
vm_dir=""

# vm_network_up: the namespace's loopback and the tap with the two host addresses.
vm_network_up() {
  ip link set lo up
  ip tuntap add "$vm_tap" mode tap
  ip addr add "$vm_imds_address/16" dev "$vm_tap"
  ip addr add "$vm_host_address/16" dev "$vm_tap"
  ip link set "$vm_tap" up
}

# vm_relay_start NAME LISTEN_ADDR:PORT=TARGET_ADDR:PORT...: a relay (relay.py) for those routes,
# e.g. the instance metadata address, port 80, to the IMDS stand-in on loopback;
# vm_relay_stop NAME cuts them again (the API unreachable for the VM).
declare -A vm_relay_pids=()
vm_relay_start() {
  local name=$1
  shift
  python3 "$repo_root/nixos-image/tests/vm/relay.py" "$@" >"$lab_dir/relay-$name.log" 2>&1 &
  vm_relay_pids[$name]=$!
  lab_wait_for_line "$lab_dir/relay-$name.log" '^relay: ready' 10 "${vm_relay_pids[$name]}" >/dev/null
}
vm_relay_stop() {
  local pid=${vm_relay_pids[$1]:-}
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  unset "vm_relay_pids[$1]"
}

# vm_prepare NAME: a fresh VM directory ($vm_dir) whose share/ the guest mounts at /lab: the
# setup script, the agent as it is in this checkout, its units rendered from units.nix. The
# scenario adds share/scenario, share/before-units, share/metadata-guard.nft as it needs.
vm_prepare() {
  vm_dir="$lab_dir/vm/$1"
  mkdir -p "$vm_dir/share"
  cp "$repo_root/nixos-image/tests/vm/guest-setup" "$vm_dir/share/setup"
  cp -r "$repo_root/nixos-image/agent" "$vm_dir/share/agent"
  printf 'LAB_STATE_DIR=%q\n' "$lab_dir" >"$vm_dir/share/env"
  "$repo_root/nixos-image/tests/vm/render-units" "${vm_units_nix:?}" /lab/agent/thebacknd-agent "$vm_dir/share/units" \
    || die "rendering $vm_units_nix failed"
}

# vm_boot: boots the VM of vm_prepare in the background (vm_qemu_pid); its serial console goes
# to $vm_dir/console.log. TCG, explicitly: this machine's /dev/kvm runs no stock kernel. The
# disk is the one image, snapshot=on: nothing a VM writes outlives it.
vm_boot() {
  : >"$vm_dir/console.log"
  qemu-system-x86_64 -accel tcg -smp 2 -m 1024 -no-reboot -display none -monitor none \
    -serial "file:$vm_dir/console.log" \
    -kernel "$vm_image/vmlinuz" -initrd "$vm_image/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rw panic=-1 quiet systemd.mask=serial-getty@ttyS0.service" \
    -drive "file=$vm_image/rootfs.img,format=raw,if=virtio,snapshot=on" \
    -netdev "tap,id=net0,ifname=$vm_tap,script=no,downscript=no" -device virtio-net-pci,netdev=net0 \
    -virtfs "local,path=$vm_dir/share,mount_tag=lab,security_model=none,readonly=on" \
    -virtfs "local,path=$lab_dir,mount_tag=state,security_model=none" \
    >"$vm_dir/qemu.log" 2>&1 &
  vm_qemu_pid=$!
  # shellcheck disable=SC2034
  vm_booted_at=$SECONDS
}

# vm_console REGEX SECONDS: waits for a console line matching REGEX and prints it; fails (1)
# after SECONDS or when QEMU exits first.
vm_console() {
  local regex=$1 seconds=$2 tick line
  for ((tick = 0; tick < seconds * 4; tick++)); do
    if line=$(tr -d '\r' <"$vm_dir/console.log" | grep -a -m1 -E "$regex"); then
      printf '%s\n' "$line"
      return 0
    fi
    kill -0 "$vm_qemu_pid" 2>/dev/null || { sleep 0.5; tr -d '\r' <"$vm_dir/console.log" | grep -a -m1 -E "$regex" && return 0; return 1; }
    sleep 0.25
  done
  return 1
}

# vm_wait_poweroff SECONDS: waits for QEMU to exit (the guest powered off: -no-reboot); 1 when
# it still runs after SECONDS (it is then killed).
vm_wait_poweroff() {
  local seconds=$1 tick
  for ((tick = 0; tick < seconds * 4; tick++)); do
    if ! kill -0 "$vm_qemu_pid" 2>/dev/null; then
      wait "$vm_qemu_pid" 2>/dev/null || true
      vm_qemu_pid=""
      return 0
    fi
    sleep 0.25
  done
  vm_kill
  return 1
}

# vm_wait_terminated INSTANCE_ID SECONDS: plays EC2's part once the API terminated the instance
# (moto says shutting-down or terminated): the lab stops QEMU, as EC2 stops a terminated VM. 1
# when that did not happen within SECONDS, or QEMU exited by itself first.
vm_wait_terminated() {
  local id=$1 until=$(($(date +%s) + $2)) state
  while (($(date +%s) < until)); do
    state=$(lab_aws instance "$id" | jq -r .state)
    if [[ $state == shutting-down || $state == terminated ]]; then
      kill -0 "$vm_qemu_pid" 2>/dev/null || return 1
      vm_kill
      return 0
    fi
    kill -0 "$vm_qemu_pid" 2>/dev/null || return 1
    sleep 2
  done
  return 1
}

# vm_kill: stops QEMU by its PID; safe to call twice.
vm_kill() {
  if [[ -n $vm_qemu_pid ]] && kill -0 "$vm_qemu_pid" 2>/dev/null; then
    kill "$vm_qemu_pid" 2>/dev/null || true
    wait "$vm_qemu_pid" 2>/dev/null || true
  fi
  vm_qemu_pid=""
}

vm_stop() {
  local name
  vm_kill
  for name in "${!vm_relay_pids[@]}"; do vm_relay_stop "$name"; done
}
