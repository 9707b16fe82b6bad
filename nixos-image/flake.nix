{
  description = "thebacknd: the NixOS module a toplevel imports, the VM agent, the AMI and a QEMU try-out";

  # NixOS 26.05, pinned to one commit in flake.lock (committed). `nix flake update` moves the pin
  # to the branch's newest commit; docs/toplevels.md says how to move to the next release.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  # The outputs are written once in outputs.nix; default.nix gives the same without flakes.
  outputs =
    { nixpkgs, ... }:
    import ./outputs.nix {
      inherit (nixpkgs) lib;
      inherit (nixpkgs.lib) nixosSystem;
      pkgsFor = system: nixpkgs.legacyPackages.${system};
    };
}
