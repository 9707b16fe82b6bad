# What the QEMU lab's VMs run besides nixos-image/tests/fixtures.nix, built the same way
# (offline, /bin/sh, STATEDIR baked in so each run builds fresh paths):
#
#   leaver  bin/leave: leaves a child behind and exits 7 (`(sleep 600) & exit 7`), writing the
#           child's pid and its own process group to STATEDIR/leaver.pid and leaver.pgid, so the
#           VM can watch that group
# Build with: nix-build fixtures.nix --argstr stateDir DIR -A leaver
{ stateDir }:
{
  leaver = builtins.derivation {
    name = "thebacknd-lab-leaver";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      mkdir -p "$out/bin"
      cat > "$out/bin/leave" <<'EOF'
      #!/bin/sh
      # built for ${stateDir}
      (sleep 600) &
      echo "$!" > "${stateDir}/leaver.pid"
      ps -o pgid= -p "$$" | tr -d ' ' > "${stateDir}/leaver.pgid"
      echo "leaving a child behind"
      exit 7
      EOF
      chmod +x "$out/bin/leave"
    '' ];
  };
}
