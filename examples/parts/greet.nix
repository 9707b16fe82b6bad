# The greeting program's script: greets its first argument and exits with its second.
# program.nix makes it the executable itself (writeShellScript), flake.nix a package with
# bin/greet (writeShellScriptBin, whose meta.mainProgram is "greet").
pkgs: ''
  if (( $# < 1 )); then
    echo "usage: greet NAME [EXIT-STATUS]" >&2
    exit 2
  fi
  echo "Hello, $1, from $(${pkgs.coreutils}/bin/uname -n) ($(${pkgs.coreutils}/bin/uname -m))."
  echo "This line goes to stderr: both streams come back, in order." >&2
  exit "''${2:-0}"
''
