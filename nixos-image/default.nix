# The flake's outputs (outputs.nix) without flakes, for nix-build and for plain Nix files such as
# examples/*.nix, with nixpkgs fetched at the very revision flake.lock pins (nixpkgs-pin.nix):
#
#   (import ./nixos-image { }).lib.toplevel { modules = [ ./my-machine.nix ]; }
#   nix-build nixos-image -A amazon-image                 # the AMI's disk image, this machine's system
#   nix-build nixos-image -A qemu-vm --argstr sshKeyFile ~/.ssh/id_ed25519.pub
{
  # A public key file (absolute path) whose keys may log in as root over SSH in the QEMU try-out.
  sshKeyFile ? null,
}:
let
  pin = import ./nixpkgs-pin.nix;
  nixpkgs = builtins.fetchTarball { inherit (pin) url sha256; };

  # nixpkgs' own flake labels the system with the revision; a bare tarball has none and would
  # call itself "26.05pre-git" (nixos/modules/misc/version.nix).
  versionLabel = {
    system.nixos.revision = pin.rev;
    system.nixos.versionSuffix = ".${builtins.substring 0 7 pin.rev}";
  };

  outputs = import ./outputs.nix {
    inherit sshKeyFile;
    lib = import "${nixpkgs}/lib";
    # What nixpkgs' flake.nix does for lib.nixosSystem: system = null leaves the platform to
    # nixpkgs.hostPlatform instead of the machine running the evaluation.
    nixosSystem =
      args:
      import "${nixpkgs}/nixos/lib/eval-config.nix" (
        args
        // {
          system = null;
          modules = args.modules ++ [ versionLabel ];
        }
      );
    pkgsFor =
      system:
      import nixpkgs {
        inherit system;
        config = { };
        overlays = [ ];
      };
  };
in
outputs
// {
  # Shortcuts for the machine running nix-build (x86_64-linux or aarch64-linux).
  inherit (outputs.packages.${builtins.currentSystem}) agent amazon-image qemu-vm;
}
