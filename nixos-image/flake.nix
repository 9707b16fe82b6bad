{
  description = "thebacknd base image: NixOS with the thebacknd VM agent";

  # flake.lock is not committed: it is written on the first `nix build` (which needs the
  # network to fetch nixpkgs). Commit it then to pin nixpkgs for every later build.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs =
    { self, nixpkgs }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
    in
    {
      # services.thebacknd-agent, to import into any NixOS configuration (for example a
      # toplevel that should keep the agent, and so its deadline timer, across reboots).
      nixosModules.default = ./module.nix;
      # The agent, SSH by key, no passwords, serial console, signed-only Nix.
      nixosModules.base = ./base.nix;

      nixosConfigurations = {
        # The AMI.
        amazon = nixpkgs.lib.nixosSystem {
          inherit system;
          modules = [ ./amazon.nix ];
        };
        # The same base on QEMU, for local try-outs.
        qemu = nixpkgs.lib.nixosSystem {
          inherit system;
          modules = [ ./qemu.nix ];
        };
      };

      packages.${system} = {
        agent = pkgs.callPackage ./agent/package.nix { };
        # A VHD for `aws ec2 import-snapshot`, then `register-image` (infra/import-image).
        amazon-image = self.nixosConfigurations.amazon.config.system.build.amazonImage;
        # ./result/bin/run-thebacknd-vm
        qemu-vm = self.nixosConfigurations.qemu.config.system.build.vm;
        default = self.packages.${system}.amazon-image;
      };
    };
}
