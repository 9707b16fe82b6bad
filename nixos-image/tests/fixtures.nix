# Tiny stand-ins the simulated VM fetches, built offline with /bin/sh (no nixpkgs, no network):
#
#   toplevel  a NixOS-like system: bin/switch-to-configuration appends "ACTION TOPLEVEL" to
#             STATEDIR/switched instead of activating anything, so a test can tell it ran
#   motd      a file the toplevel refers to, so its closure is two paths, not one
#   hello     a program (bin/hello) for binary mode
#   base      the system a VM booted with (the base image): its switch records itself too, so a
#             test can tell a rollback switched back to it
#   broken    a system whose switch fails like NixOS's when a unit does not start: it records
#             itself, names the failed unit and exits with status 4
#   agent     a stand-in named like the agent's package, which every thebacknd toplevel holds
#             (DESIGN §10); the toplevels refer to it
#
# STATEDIR is baked into every path, so each run builds paths no earlier run pushed, cached or
# left rooted (an interrupted run's profile links still point at its own paths).
# Build with: nix-build fixtures.nix --argstr stateDir DIR [--argstr label NAME]
{ stateDir, label ? "test" }:
let
  shell = name: script: builtins.derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    PATH = "/usr/bin:/bin";
  };

  motd = shell "thebacknd-${label}-motd" ''
    # built for ${stateDir}
    echo "hello from the thebacknd ${label} system" > "$out"
  '';

  agent = shell "thebacknd-agent-${label}" ''
    # built for ${stateDir}
    echo "stands in for the agent's package in a toplevel's closure" > "$out"
  '';

  # system NAME AFTER: a toplevel whose switch-to-configuration records its run, then runs AFTER
  # (shell lines). Only `toplevel` refers to motd: the lab deletes motd from the store, which Nix
  # refuses while another valid path still refers to it.
  system = name: after: shell "nixos-system-thebacknd-${label}${name}" ''
    mkdir -p "$out/bin"
    ln -s ${agent} "$out/agent"
    cat > "$out/bin/switch-to-configuration" <<EOF
    #!/bin/sh
    # Stand-in for NixOS's switch-to-configuration: records the run instead of activating.
    echo "\$1 $out" >> "${stateDir}/switched"
    ${after}
    EOF
    chmod +x "$out/bin/switch-to-configuration"
  '';

  toplevel = system "" ''
    echo "switch-to-configuration \$1: \$(cat ${motd})"
  '';

  base = system "-base" ''
    echo "switch-to-configuration \$1: back on the system this VM booted with"
  '';

  # switch-to-configuration's own words and status when a unit fails to start.
  broken = system "-broken" ''
    echo "warning: the following units failed: thebacknd-broken.service, other-broken.service" >&2
    exit 4
  '';

  hello = shell "thebacknd-${label}-hello" ''
    mkdir -p "$out/bin"
    cat > "$out/bin/hello" <<EOF
    #!/bin/sh
    # built for ${stateDir}
    echo "hello from a thebacknd ${label} program"
    EOF
    chmod +x "$out/bin/hello"
  '';
in
{
  inherit toplevel motd hello base broken agent;
}
