# Tiny stand-ins the simulated VM fetches, built offline with /bin/sh (no nixpkgs, no network):
#
#   toplevel  a NixOS-like system: bin/switch-to-configuration appends "ACTION TOPLEVEL" to
#             STATEDIR/switched instead of activating anything, so a test can tell it ran
#   motd      a file the toplevel refers to, so its closure is two paths, not one
#   hello     a program (bin/hello) for binary mode
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

  toplevel = shell "nixos-system-thebacknd-${label}" ''
    mkdir -p "$out/bin"
    cat > "$out/bin/switch-to-configuration" <<EOF
    #!/bin/sh
    # Stand-in for NixOS's switch-to-configuration: records the run instead of activating.
    echo "\$1 $out" >> "${stateDir}/switched"
    echo "switch-to-configuration \$1: \$(cat ${motd})"
    EOF
    chmod +x "$out/bin/switch-to-configuration"
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
  inherit toplevel motd hello;
}
