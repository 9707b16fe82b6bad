# What every thebacknd base image has, on EC2 (toplevel.nix, amazon.nix) or in QEMU (qemu.nix):
# the agent, no passwords, SSH by key only, the serial console, and Nix that only accepts signed
# paths.
{ lib, ... }:
{
  imports = [ ./module.nix ];

  services.thebacknd-agent.enable = true;

  # No root password: "!" matches none. NixOS writes it to /etc/shadow when it creates root, at
  # the image's first activation. users.mutableUsers stays true (NixOS's default), so later
  # activations, a switch to a toplevel included, do not set it again: with mutable users NixOS
  # applies a password option only when it creates the user (users-groups.nix). That is also why
  # a toplevel cannot give root a password; users it adds get theirs when the switch creates
  # them. initialHashedPassword, NixOS's own "!" for root, is cleared so that only one password
  # option is set (users-groups.nix warns otherwise).
  users.users.root = {
    hashedPassword = "!";
    initialHashedPassword = lib.mkForce null;
  };

  # SSH with a key only: on EC2 root's key is the launch key pair's, installed from the instance
  # metadata by nixpkgs' ec2-data.nix (imported by amazon-image.nix); in QEMU, the key given to
  # nix-build (docs/toplevels.md).
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
  # console=ttyS0 comes from the platform: amazon-image.nix (console=ttyS0,115200n8, on x86_64
  # and Graviton alike) and qemu-vm.nix (virtualisation.graphics = false).
  systemd.services."serial-getty@ttyS0".enable = true;

  nix.settings = {
    # Never admit an unsigned path; the agent adds the user-data's key as the only trusted one.
    require-sigs = true;
    experimental-features = [ "nix-command" ];
  };

  # A small image that boots fast; these VMs live for an hour.
  documentation.enable = false;

  # The release the image was first built with (nixos-26.05, flake.lock). A toplevel may set its
  # own; state on a thebacknd VM lives no longer than the VM.
  system.stateVersion = lib.mkDefault "26.05";
}
