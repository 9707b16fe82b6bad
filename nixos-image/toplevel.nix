# What a NixOS configuration imports to run on a thebacknd VM (DESIGN §10, docs/toplevels.md):
# the flake's nixosModules.default, which lib.toplevel adds for you. The AMI (amazon.nix) is this
# module plus the image builder, so a toplevel and the image it boots from agree on everything
# below.
{ lib, modulesPath, ... }:
{
  imports = [
    # EC2 hardware and boot: the root file system by label (grown to the EBS volume), GRUB (UEFI
    # on aarch64: ec2.efi), ENA and NVMe drivers, console=ttyS0, SSH for root with the launch key
    # pair (ec2-data.nix), fetch-ec2-metadata; and amazon-init.nix, turned off below.
    "${modulesPath}/virtualisation/amazon-image.nix"
    # The agent (and with it the store path named thebacknd-agent that `create` looks for),
    # SSH by key only, the serial console, signed-only Nix.
    ./base.nix
  ];

  # amazon-init.nix (on by default wherever amazon-image.nix is imported) reads the user-data as a
  # NixOS configuration, copies it to /etc/nixos/configuration.nix and runs `nixos-rebuild
  # switch`. Ours is thebacknd's JSON, kill code included, read by the agent: amazon-init would
  # fail on every boot, and in a toplevel it is a new unit the agent's switch starts, so the
  # switch could fail with it. Importing amazon-image.nix again (from the same nixpkgs), before or
  # after this module, only brings the option's default, which any definition beats; mkForce
  # also beats another module that sets it, since no thebacknd VM has a use for it.
  virtualisation.amazon-init.enable = lib.mkForce false;

  # amazon-image.nix sets boot.loader.timeout = 1: GRUB waits a second at every boot for a menu
  # nobody sees on a VM `create` launched (docs/vm-agent.md, "Between power-on and the agent").
  boot.loader.timeout = lib.mkForce 0;

  # amazon-image.nix enables the SSM agent; thebacknd never uses Session Manager, and it is one
  # more root daemon reading the instance metadata (and a passwordless-sudo ssm-user). A toplevel
  # that wants it sets it with a priority below mkForce's (lib.mkOverride 40 true).
  services.amazon-ssm-agent.enable = lib.mkForce false;
}
