# The nixpkgs revision flake.lock pins, as arguments for builtins.fetchTarball: default.nix uses
# it so that Nix without flakes builds against exactly the nixpkgs the flake does. A GitHub
# input's narHash is the NAR hash of the unpacked archive, which is what fetchTarball's sha256
# checks (flake-compat relies on the same equality).
let
  lock = builtins.fromJSON (builtins.readFile ./flake.lock);
  locked = lock.nodes.${lock.nodes.${lock.root}.inputs.nixpkgs}.locked;
in
assert locked.type == "github";
{
  inherit (locked) rev lastModified;
  url = "https://github.com/${locked.owner}/${locked.repo}/archive/${locked.rev}.tar.gz";
  sha256 = locked.narHash;
}
