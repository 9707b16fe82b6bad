# The base image as a local QEMU VM, to try the agent without EC2:
#   nix build ./nixos-image#qemu-vm && ./result/bin/run-thebacknd-vm
# It is base.nix on QEMU's virtual hardware instead of EC2's. There is no instance metadata
# service in QEMU, so the agent reads its user-data from an IMDS stub on the host
# (nixos-image/tests/imds-stub.py --port 8169), which QEMU's user networking shows the guest at
# 10.0.2.2. The user-data's api_url and nix_cache must use 10.0.2.2 too. See docs/vm-agent.md.
{ modulesPath, ... }:
{
  imports = [
    "${modulesPath}/virtualisation/qemu-vm.nix"
    ./base.nix
  ];

  networking.hostName = "thebacknd"; # qemu-vm.nix names the runner run-<hostName>-vm

  virtualisation = {
    graphics = false; # the serial console is the terminal that runs QEMU
    memorySize = 2048;
    diskSize = 4096;
    forwardPorts = [
      {
        from = "host";
        host.port = 2222;
        guest.port = 22;
      }
    ];
  };

  services.thebacknd-agent.imdsUrl = "http://10.0.2.2:8169";
}
