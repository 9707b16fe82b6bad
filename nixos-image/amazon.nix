# The thebacknd AMI: toplevel.nix (what every thebacknd toplevel imports) plus nixpkgs' EC2 image
# builder. Build it with
#   nix build ./nixos-image#amazon-image                          this machine's system
#   nix build ./nixos-image#packages.aarch64-linux.amazon-image   Graviton (t4g, m7g, …)
# and import it as an AMI with infra/import-image (docs/deploy.md).
{ modulesPath, ... }:
{
  imports = [
    # system.build.amazonImage: a VHD (amazonImage.format "vpc") and nix-support/image-info.json
    # (label, system, boot_mode: legacy-bios on x86_64, uefi on aarch64 through ec2.efi). It
    # imports virtualisation/amazon-image.nix, which toplevel.nix imports too: the module system
    # takes a file once.
    "${modulesPath}/../maintainers/scripts/ec2/amazon-image.nix"
    ./toplevel.nix
  ];

  # The image's size in MiB, and so the root volume's unless the AMI's block device mapping asks
  # for more (the file system grows to the volume at boot: boot.growPartition). The builder's
  # own default (4 GiB, set just below mkOptionDefault) leaves too little room to fetch a real
  # toplevel. Formerly amazonImage.sizeMB (renamed in 24.11: maintainers/scripts/ec2/amazon-image.nix).
  virtualisation.diskSize = 8192;
}
