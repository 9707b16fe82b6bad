# The base image as a local QEMU VM, to try the agent without EC2 (docs/toplevels.md, "Trying
# the base image in QEMU"):
#   nix-build nixos-image -A qemu-vm --argstr sshKeyFile ~/.ssh/id_ed25519.pub
#   ./result/bin/run-thebacknd-vm
# It is base.nix on QEMU's virtual hardware instead of EC2's. There is no instance metadata
# service in QEMU, so the agent reads its user-data from an IMDS stub on the host
# (nixos-image/tests/imds-stub.py --port 8169), which QEMU's user networking shows the guest at
# 10.0.2.2. The user-data's api_url and nix_cache must use 10.0.2.2 too.
#
# Logging in:
# - the serial console, which is the terminal running QEMU (graphics = false): root is logged in
#   without a password. Acceptable for a VM on your own machine only; nothing on EC2 has it.
# - SSH: `ssh -p 2222 root@127.0.0.1` with the key whose public half was given to nix-build as
#   sshKeyFile (outputs.nix adds it to root's authorized keys). Keys only, as on EC2.
{ modulesPath, ... }:
{
  imports = [
    "${modulesPath}/virtualisation/qemu-vm.nix"
    ./base.nix
  ];

  networking.hostName = "thebacknd"; # qemu-vm.nix names the runner run-<system.name>-vm

  virtualisation = {
    graphics = false; # the serial console is the terminal that runs QEMU
    memorySize = 2048;
    diskSize = 4096;
    forwardPorts = [
      {
        from = "host";
        # Loopback only: QEMU would otherwise listen on every address of the host.
        host.address = "127.0.0.1";
        host.port = 2222;
        guest.port = 22;
      }
    ];
  };

  # Every getty logs root in, the serial one included (nixos/modules/services/ttys/getty.nix).
  services.getty.autologinUser = "root";

  services.thebacknd-agent.imdsUrl = "http://10.0.2.2:8169";
}
