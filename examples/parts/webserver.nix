# The web server as a NixOS module: nginx serving one page on port 80. webserver.nix (plain Nix)
# and flake.nix (a flake) both build their toplevel from it.
{ pkgs, ... }:
let
  page = pkgs.writeTextDir "index.html" ''
    <!doctype html>
    <title>thebacknd</title>
    <h1>Hello from a thebacknd VM</h1>
    <p>nginx is not in the base image: the switch to this toplevel started it.</p>
  '';
in
{
  # Names the toplevel: /nix/store/…-nixos-system-webserver-…; the host keeps EC2's name.
  system.name = "webserver";

  services.nginx = {
    enable = true;
    virtualHosts.default = {
      default = true;
      root = "${page}";
    };
  };

  networking.firewall.allowedTCPPorts = [ 80 ];
}
