# The agent as a package: the script, with exactly the tools it calls on its PATH.
# writeShellApplication also runs shellcheck on it at build time.
{
  lib,
  writeShellApplication,
  coreutils,
  curl,
  gnugrep,
  gnused,
  jq,
  nix,
  systemd,
}:
writeShellApplication {
  name = "thebacknd-agent";
  runtimeInputs = [
    coreutils # date, readlink, tr, cut, tail, tee, mktemp, rm, paste; stdbuf, dd, stat, od, truncate for the output stream
    curl
    gnugrep
    gnused
    jq
    nix # nix-store, nix-env: pass the system's Nix (config.nix.package) so it matches the daemon
    systemd # systemctl poweroff; journalctl for a failed unit's last lines
  ];
  text = builtins.readFile ./thebacknd-agent;
  meta = {
    description = "thebacknd VM agent: fetch, verify and switch to this VM's toplevel, report, self-destroy";
    mainProgram = "thebacknd-agent";
    platforms = lib.platforms.linux;
  };
}
