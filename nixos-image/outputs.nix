# Everything the thebacknd flake exports (docs/toplevels.md), written once for flake.nix and for
# default.nix (the same without flakes). Each passes in the nixpkgs that flake.lock pins:
#   lib          nixpkgs' lib
#   nixosSystem  nixpkgs' lib.nixosSystem, or the same through nixos/lib/eval-config.nix
#   pkgsFor      system -> nixpkgs' packages for that system
#   sshKeyFile   a public key file root accepts over SSH in the QEMU try-out (default.nix only)
{
  lib,
  nixosSystem,
  pkgsFor,
  sshKeyFile ? null,
}:
let
  # x86_64 EC2 (t3, m7i, …) and aarch64 EC2 (Graviton: t4g, m7g, …).
  systems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  forSystems = lib.genAttrs systems;

  # The user's modules on top of toplevel.nix (the agent, EC2 hardware and boot, amazon-init off).
  thebackndSystem =
    {
      modules,
      system ? "x86_64-linux",
      specialArgs ? { },
    }:
    nixosSystem {
      inherit specialArgs;
      modules = [
        ./toplevel.nix
        { nixpkgs.hostPlatform = lib.mkDefault system; }
      ]
      ++ modules;
    };

  # The AMI and the QEMU try-out, for each system.
  images = forSystems (system: {
    amazon = nixosSystem {
      modules = [
        ./amazon.nix
        { nixpkgs.hostPlatform = system; }
      ];
    };
    qemu = nixosSystem {
      modules = [
        ./qemu.nix
        { nixpkgs.hostPlatform = system; }
      ]
      ++ lib.optional (sshKeyFile != null) {
        # Read when the configuration is evaluated: the path given to nix-build --argstr.
        users.users.root.openssh.authorizedKeys.keys = [ (builtins.readFile sshKeyFile) ];
      };
    };
  });
in
{
  nixosModules = {
    # What a toplevel imports to run on a thebacknd VM.
    default = ./toplevel.nix;
    # services.thebacknd-agent alone (the option, not enabled).
    agent = ./module.nix;
    # Every base image, EC2 or QEMU: the agent on, SSH by key, serial console, signed-only Nix.
    base = ./base.nix;
  };

  lib = {
    # lib.nixosSystem { modules = [ ./my.nix ]; system ? "x86_64-linux"; specialArgs ? { }; }
    nixosSystem = thebackndSystem;
    # The same, as the toplevel store path `thebacknd run` takes.
    toplevel = args: (thebackndSystem args).config.system.build.toplevel;
  };

  nixosConfigurations = {
    amazon = images.x86_64-linux.amazon;
    amazon-aarch64 = images.aarch64-linux.amazon;
    qemu = images.x86_64-linux.qemu;
    qemu-aarch64 = images.aarch64-linux.qemu;
  };

  packages = forSystems (
    system:
    let
      amazon-image = images.${system}.amazon.config.system.build.amazonImage;
    in
    {
      agent = (pkgsFor system).callPackage ./agent/package.nix { };
      # A VHD and nix-support/image-info.json, for infra/import-image.
      inherit amazon-image;
      # ./result/bin/run-thebacknd-vm
      qemu-vm = images.${system}.qemu.config.system.build.vm;
      default = amazon-image;
    }
  );

  # nixpkgs' packages at the pinned revision, for Nix files that need a package (examples/).
  legacyPackages = forSystems pkgsFor;
}
