# The examples as a flake: the web server toplevel and the greeting program, for the two ways a
# flake runs on thebacknd (docs/toplevels.md, "Three ways to name what runs"):
#
#   cd examples
#   thebacknd run .#nixosConfigurations.webserver --wait     # built here, signed, pushed, launched
#   thebacknd run .#greet --wait -- Ada 3                    # a program: prints, exits 3
#   thebacknd run --on-vm 'github:OWNER/REPO?dir=examples#greet' --wait -- Ada 3
#                                                            # built on the VM (no local Nix)
#
# `run .#…` needs a local Nix with flakes (the CLI turns them on for its own calls) and, for the
# toplevel, a Linux builder for x86_64-linux; `run --on-vm` needs neither, only a deployment
# with THEBACKND_ALLOW_VM_BUILDS=true, and a flake reference the VM can fetch (github:, git+https:…).
# There is no flake.lock here yet: the first `nix build`/`nix flake lock` writes it, taking
# nixpkgs from ../nixos-image/flake.lock (the thebacknd flake's own input, whose packages and
# lib.nixosSystem are used below), so this flake builds against the nixpkgs the AMI has.
{
  description = "thebacknd examples: a web server toplevel and a program";

  # The thebacknd flake beside this one: its module (lib.nixosSystem adds it), and the nixpkgs its
  # flake.lock pins. A flake elsewhere names it by URL, e.g.
  # "github:OWNER/REPO?dir=nixos-image".
  inputs.thebacknd.url = "path:../nixos-image";

  outputs =
    { self, thebacknd }:
    let
      webserver =
        system:
        thebacknd.lib.nixosSystem {
          inherit system;
          modules = [ ./parts/webserver.nix ];
        };
      # A package with bin/greet; writeShellScriptBin sets meta.mainProgram = "greet", which is
      # how `run .#greet` and the VM find the program in it.
      greet =
        system:
        let
          pkgs = thebacknd.legacyPackages.${system};
        in
        pkgs.writeShellScriptBin "greet" (import ./parts/greet.nix pkgs);
    in
    {
      nixosConfigurations = {
        webserver = webserver "x86_64-linux";
        webserver-aarch64 = webserver "aarch64-linux";
      };
      packages = {
        x86_64-linux.greet = greet "x86_64-linux";
        aarch64-linux.greet = greet "aarch64-linux";
      };
    };
}
