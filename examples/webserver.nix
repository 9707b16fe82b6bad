# A web server: nginx serving one page on port 80. nginx is not in the base image; the agent's
# switch to this toplevel starts it, like any service a toplevel adds (docs/toplevels.md).
#
# From the repository root, once the stack is deployed (docs/deploy.md) with
# a security group that lets you reach port 80 (docs/toplevels.md, "Reaching the VM"):
#
#   toplevel-scripts/thebacknd run -A webserver examples/webserver.nix --wait
#   toplevel-scripts/thebacknd list                 # the VM's PUBLIC IP
#   curl http://PUBLIC-IP/
#
# On Graviton (an AMI built for aarch64-linux, an aarch64 builder for this toplevel):
#
#   toplevel-scripts/thebacknd run -A webserver-aarch64 examples/webserver.nix --type t4g.micro --wait
let
  thebacknd = import ../nixos-image { };

  # nginx and its page (parts/webserver.nix, shared with flake.nix).
  webserver = ./parts/webserver.nix;
in
{
  webserver = thebacknd.lib.toplevel { modules = [ webserver ]; };
  webserver-aarch64 = thebacknd.lib.toplevel {
    system = "aarch64-linux";
    modules = [ webserver ];
  };
}
