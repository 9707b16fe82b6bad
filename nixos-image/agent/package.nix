# The agent as a package: one script, with exactly the tools it calls on its PATH. The checkout's
# thebacknd-agent sources its parts from lib/; here each `source` line is replaced by that part's
# text, so the package is one file in one store path, and writeShellApplication runs shellcheck
# on all of it at build time.
{
  lib,
  writeShellApplication,
  coreutils,
  curl,
  git,
  gnugrep,
  gnused,
  jq,
  nix,
  systemd,
  util-linux,
}:
let
  main = builtins.readFile ./thebacknd-agent;
  # The parts, in the order thebacknd-agent sources them (checked below).
  parts = [
    "log"
    "imds"
    "paths"
    "userdata"
    "api"
    "output"
    "deadline"
    "switch"
    "program"
    "timings"
    "pool"
    "build"
    "boot"
    "spot"
    "status"
  ];
  sourceLine = part: "# shellcheck source=lib/${part}.sh\nsource \"$agent_lib/${part}.sh\"\n";
  partText = part: "# ---- lib/${part}.sh\n" + builtins.readFile (./lib + "/${part}.sh") + "\n";
  sourceBlock = lib.concatMapStrings sourceLine parts;
  libLines = "agent_lib=$(dirname \"$(readlink -f \"\${BASH_SOURCE[0]}\")\")/lib\n";
  text = builtins.replaceStrings [ (libLines + sourceBlock) ] [ (lib.concatMapStrings partText parts) ] main;
in
assert lib.assertMsg (text != main)
  "agent/package.nix: thebacknd-agent no longer sources exactly lib/{${lib.concatStringsSep "," parts}}.sh in this order; update the list";
writeShellApplication {
  name = "thebacknd-agent";
  runtimeInputs = [
    coreutils # date, readlink, tr, cut, tail, tee, mktemp, rm, paste, sleep; stdbuf, dd, stat, od, truncate for the output stream
    curl
    git # Nix fetches git+https:// and github: flakes (a build on the VM) with it
    gnugrep
    gnused
    jq
    nix # nix-store, nix-env: pass the system's Nix (config.nix.package) so it matches the daemon
    systemd # systemctl, systemd-run for the deadline timer; journalctl for a failed unit's last lines
    util-linux # setsid: a program in its own session and process group
  ];
  inherit text;
  meta = {
    description = "thebacknd VM agent: fetch, verify and switch to this VM's toplevel, report, self-destroy";
    mainProgram = "thebacknd-agent";
    platforms = lib.platforms.linux;
  };
}
