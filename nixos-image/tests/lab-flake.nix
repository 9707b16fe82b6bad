# The lab's flake (nixos-image/tests/flake-lab.sh serves it): no nixpkgs, only
# builtins.derivation, /bin/sh and the host's coreutils (the lab builds without a sandbox), for
# x86_64-linux. @LAB_DIR@ is replaced by the lab's directory, so each run builds new paths.
#   packages.x86_64-linux.greet   bin/say-hello, named by meta.mainProgram: greets $1, exits $2
#   packages.x86_64-linux.shout   bin/shout, no meta.mainProgram (found as bin/<pname>)
#   packages.x86_64-linux.broken  a build that fails
#   nixosConfigurations.good      a NixOS-like toplevel holding a path named thebacknd-agent-…
#   nixosConfigurations.bare      the same without it
{
  description = "thebacknd lab: a flake built on the simulated VM";
  outputs = { self }:
    let
      system = "x86_64-linux";
      shell = name: script: derivation {
        inherit name system;
        builder = "/bin/sh";
        args = [ "-c" script ];
        PATH = "/usr/bin:/bin";
        lab = "@LAB_DIR@";
      };
      agent = shell "thebacknd-agent-flake" ''
        echo "stands in for the agent's package" > "$out"
      '';
      # A NixOS-like system: its switch records itself in the lab directory.
      nixosSystem = name: withAgent: shell "nixos-system-${name}" ''
        mkdir -p "$out/bin"
        ${if withAgent then "ln -s ${agent} \"$out/agent\"" else ""}
        cat > "$out/bin/switch-to-configuration" <<EOF
        #!/bin/sh
        echo "\$1 $out" >> @LAB_DIR@/flake-switched
        echo "switch-to-configuration \$1: the flake toplevel ${name}"
        EOF
        chmod +x "$out/bin/switch-to-configuration"
      '';
    in
    {
      packages.${system} = {
        # meta.mainProgram names the program (not the package's name).
        greet = shell "greet-1.0" ''
          echo "building greet on the VM"
          mkdir -p "$out/bin"
          cat > "$out/bin/say-hello" <<'EOF'
          #!/bin/sh
          echo "Hello, $1, from a flake built on the VM."
          echo "to stderr, in order" >&2
          exit "''${2:-0}"
          EOF
          chmod +x "$out/bin/say-hello"
        '' // { meta.mainProgram = "say-hello"; };
        # No meta.mainProgram: bin/<pname>.
        shout = shell "shout-2.1" ''
          mkdir -p "$out/bin"
          cat > "$out/bin/shout" <<'EOF'
          #!/bin/sh
          echo "SHOUT: $*"
          EOF
          chmod +x "$out/bin/shout"
        '' // { pname = "shout"; };
        broken = shell "broken-1.0" ''
          echo "this build fails on purpose" >&2
          exit 3
        '';
      };
      nixosConfigurations = {
        good.config.system.build.toplevel = nixosSystem "good" true;
        bare.config.system.build.toplevel = nixosSystem "bare" false;
      };
    };
}
