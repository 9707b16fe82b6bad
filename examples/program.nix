# A program: a script that greets its first argument and exits with its second, to show that
# `thebacknd run` passes arguments and gives back the output and the exit code. The VM runs it,
# reports `finished` with its exit code, and destroys itself (docs/toplevels.md).
#
# From the repository root, once the stack is deployed:
#
#   toplevel-scripts/thebacknd run -A greet examples/program.nix --wait -- Ada 3
#
# or in two steps, building, signing and pushing first:
#
#   greet=$(toplevel-scripts/build-toplevel.sh -A greet examples/program.nix)
#   toplevel-scripts/thebacknd run "$greet" --wait -- Ada 3
#
# `--wait` prints the greeting and exits with the program's status, 3 here.
#
# The attribute is the executable itself (writeShellScript: a store path that is a file), as
# `thebacknd run` takes a whole store path that is a file for a program and a directory for a
# toplevel. A package with a bin/ directory (writeShellScriptBin, any nixpkgs package) runs as
# `thebacknd run "$(nix-build … -A PKG)/bin/NAME"` after build-toplevel.sh pushed it.
let
  thebacknd = import ../nixos-image { };

  # The script (parts/greet.nix, shared with flake.nix) as the executable itself.
  greet = pkgs: pkgs.writeShellScript "greet" (import ./parts/greet.nix pkgs);
in
{
  greet = greet thebacknd.legacyPackages.x86_64-linux;
  greet-aarch64 = greet thebacknd.legacyPackages.aarch64-linux;
}
