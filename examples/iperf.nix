# A toplevel that uses a package from nixpkgs: an iperf3 server, to measure the network between
# your machine and an EC2 region. The service runs nixpkgs' iperf3 directly (nixpkgs also has a
# services.iperf3 module; any package works this way), and the package is on the PATH for SSH.
#
# From the repository root, once the stack is deployed with a security group that lets you
# reach TCP port 5201 (docs/toplevels.md, "Reaching the VM"):
#
#   toplevel-scripts/thebacknd run -A iperf examples/iperf.nix --wait
#   toplevel-scripts/thebacknd list                 # the VM's PUBLIC IP
#   iperf3 -c PUBLIC-IP                             # from your machine
#
# Graviton: -A iperf-aarch64 --type t4g.micro (an AMI built for aarch64-linux).
let
  thebacknd = import ../nixos-image { };

  iperf =
    { pkgs, ... }:
    {
      system.name = "iperf";

      environment.systemPackages = [ pkgs.iperf3 ];

      systemd.services.iperf3-server = {
        description = "iperf3 server on port 5201";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" ];
        serviceConfig = {
          ExecStart = "${pkgs.iperf3}/bin/iperf3 --server --port 5201";
          DynamicUser = true;
          Restart = "on-failure";
        };
      };

      networking.firewall.allowedTCPPorts = [ 5201 ];
    };
in
{
  iperf = thebacknd.lib.toplevel { modules = [ iperf ]; };
  iperf-aarch64 = thebacknd.lib.toplevel {
    system = "aarch64-linux";
    modules = [ iperf ];
  };
}
