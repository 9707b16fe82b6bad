# The text package.nix builds the agent from (the main script with its lib/ parts put in place of
# its `source` lines), without nixpkgs: `nix-instantiate --eval --strict --json one-file.nix`.
# dev/lint runs shellcheck on it (shellcheck -x reads a sourced part for its definitions only,
# and checks nothing in it), and nixos-image/tests/run runs it beside the checkout's script.
let
  lib = {
    concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
    concatStringsSep = builtins.concatStringsSep;
    assertMsg = ok: message: ok || throw message;
    platforms.linux = [ ];
  };
  package = import ./package.nix;
  # Every other argument (the tools on its PATH) is only named in runtimeInputs.
  tools = builtins.mapAttrs (_: _: null) (builtins.functionArgs package);
in
(package (
  tools
  // {
    inherit lib;
    writeShellApplication = application: application.text;
  }
))
