# The thebacknd AMI: nixpkgs' EC2 image plus base.nix. Build it with
#   nix build ./nixos-image#amazon-image     (a VHD to import as an AMI: infra/import-image, README "Deploy")
{ modulesPath, ... }:
{
  imports = [
    # Defines system.build.amazonImage and imports virtualisation/amazon-image.nix (EC2 kernel
    # modules, grub, growpart, serial console on ttyS0, fetch-ec2-metadata, ec2-data's SSH keys).
    "${modulesPath}/../maintainers/scripts/ec2/amazon-image.nix"
    ./base.nix
  ];

  # amazon-init.nix treats the user-data as a NixOS configuration and runs `nixos-rebuild
  # switch` with it. Ours is thebacknd's JSON, read by the agent instead. The option is
  # virtualisation.amazon-init.enable (nixos/modules/virtualisation/amazon-init.nix).
  virtualisation.amazon-init.enable = false;

  # The image's size in MiB, and so the root volume's unless the AMI's block device mapping asks
  # for more (the filesystem grows to the volume at boot: boot.growPartition). "auto" would leave
  # ~512 MiB free, too little to fetch a real toplevel. Formerly amazonImage.sizeMB
  # (renamed in 24.11: nixos/maintainers/scripts/ec2/amazon-image.nix).
  virtualisation.diskSize = 8192;
}
