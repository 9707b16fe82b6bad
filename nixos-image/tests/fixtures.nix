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
#   programs  programs for the output tests (DESIGN §9), in one store path: bin/talk (its
#             arguments back, stdout and stderr interleaved, the exit status it is given),
#             bin/big (N bytes of lines), bin/garbage (invalid UTF-8), bin/silent (nothing),
#             bin/slow (a line a second), bin/forever (a line, then never ends), bin/leaver
#             (leaves a child behind and exits 7), bin/greet
#             (examples/program.nix's greet, for dev/demo); for dev/bench,
#             bin/ticker (lines stamped with the time they were printed) and bin/burst (a
#             stamped line, then N bytes)
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
  programs = shell "thebacknd-${label}-programs" ''
    mkdir -p "$out/bin"
    cd "$out/bin"
    cat > talk <<'EOF'
    #!/bin/sh
    # built for ${stateDir}
    # talk STATUS ARGS...: the arguments back, each in brackets; stderr between stdout lines;
    # a last line without a newline; exits with STATUS.
    status=$1
    shift
    echo "argc=$#"
    echo "to stderr, between two stdout lines" >&2
    for arg in "$@"; do printf '[%s]\n' "$arg"; done
    printf 'the end, no newline'
    exit "$status"
    EOF
    cat > big <<'EOF'
    #!/bin/sh
    # big BYTES: that many bytes of numbered lines.
    seq -f 'line %07.0f of a program that prints a lot' 1 $(($1 / 40 + 1)) | head -c "$1"
    EOF
    cat > garbage <<'EOF'
    #!/bin/sh
    printf 'valid, then invalid: \377\376 and a cut character: \303\n'
    printf 'caf\303\251 \342\234\223\n'
    EOF
    cat > silent <<'EOF'
    #!/bin/sh
    exit 0
    EOF
    cat > slow <<'EOF'
    #!/bin/sh
    for i in 1 2 3 4; do echo "slow line $i"; sleep 1; done
    EOF
    cat > forever <<'EOF'
    #!/bin/sh
    echo "started; never ends"
    exec sleep 100000
    EOF
    cat > leaver <<'EOF'
    #!/bin/sh
    # leaver: leaves a child behind and exits 7 (`cmd & exit 7`), saying its session, its own
    # pid and its child's.
    (sleep 600) &
    echo "session $(cut -d' ' -f6 /proc/$$/stat) pid $$ child $!"
    exit 7
    EOF
    cat > ticker <<'EOF'
    #!/bin/sh
    # ticker COUNT SECONDS: COUNT lines "tick NANOSECONDS", SECONDS apart.
    i=0
    while [ "$i" -lt "$1" ]; do echo "tick $(date +%s%N)"; sleep "$2"; i=$((i + 1)); done
    EOF
    cat > burst <<'EOF'
    #!/bin/sh
    # burst BYTES: "start NANOSECONDS", then BYTES of lines as fast as it can.
    echo "start $(date +%s%N)"
    exec "$(dirname "$0")/big" "$1"
    EOF
    cat > greet <<'EOF'
    #!/bin/sh
    # greet NAME [EXIT-STATUS]: examples/program.nix's program, on the host's /bin/sh.
    if [ "$#" -lt 1 ]; then
      echo "usage: greet NAME [EXIT-STATUS]" >&2
      exit 2
    fi
    echo "Hello, $1, from $(uname -n) ($(uname -m))."
    echo "This line goes to stderr: both streams come back, in order." >&2
    exit "''${2:-0}"
    EOF
    chmod +x talk big garbage silent slow forever leaver ticker burst greet
  '';
in
{
  inherit toplevel motd hello base broken agent programs;
}
