# What every thebacknd base image has, on EC2 (amazon.nix) or in QEMU (qemu.nix): the agent,
# no passwords, SSH by key only, the serial console, and Nix that only accepts signed paths.
{ lib, ... }:
{
  imports = [ ./module.nix ];

  services.thebacknd-agent.enable = true;

  # No root password: "!" can never match, and it is set on every activation (hashedPassword),
  # not only when root is first created. NixOS defaults root to initialHashedPassword = "!";
  # clearing that avoids the "multiple password options" warning
  # (nixos/modules/config/users-groups.nix).
  users.users.root = {
    hashedPassword = "!";
    initialHashedPassword = lib.mkForce null;
  };

  # SSH with a key only: on EC2 root's key is the launch key pair's, installed from the instance
  # metadata by nixpkgs' ec2-data.nix (imported by amazon-image.nix).
  services.openssh = {
    enable = true;
    settings = {
      PasswordAuthentication = false;
      KbdInteractiveAuthentication = false;
      PermitRootLogin = "prohibit-password";
    };
  };

  # The serial console: kernel and agent output (phases, Nix, a program's output) end up in
  # EC2's "Get system log" / serial console, or in the terminal that runs QEMU. The kernel's
  # console=ttyS0 comes from the platform: amazon-image.nix (console=ttyS0,115200n8) and
  # qemu-vm.nix (virtualisation.graphics = false).
  systemd.services."serial-getty@ttyS0".enable = true;

  nix.settings = {
    # Never admit an unsigned path; the agent adds the user-data's key as the only trusted one.
    require-sigs = true;
    experimental-features = [ "nix-command" ];
  };

  # A small image that boots fast; these VMs live for an hour.
  documentation.enable = false;

  system.stateVersion = "24.11";
}
