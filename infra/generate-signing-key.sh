#!/usr/bin/env bash
# generate-signing-key.sh: make the Ed25519 key pair that signs what build-toplevel.sh pushes.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: generate-signing-key.sh [NAME [DIR]]

Generates a Nix binary cache signing key pair with `nix-store --generate-binary-cache-key`:
  DIR/NAME.secret  the secret key (mode 0600): NIX_SIGNING_KEY_FILE for build-toplevel.sh
  DIR/NAME.public  the public key: NIX_TRUSTED_KEY for the functions and the VMs
and prints the public key on stdout.

NAME defaults to thebacknd-cache-1 (bump the number when you rotate), DIR to
${XDG_CONFIG_HOME:-~/.config}/thebacknd. Running it again with the same NAME and DIR changes
nothing and prints the existing public key; it never overwrites a key.

Exit status: 0 key ready, 1 refused or failed, 2 usage error.
USAGE
}

die() { printf 'generate-signing-key.sh: %s\n' "$1" >&2; exit "${2:-1}"; }

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  -*) die "unknown option $1; see --help" 2 ;;
esac
(($# <= 2)) || die "too many arguments; see --help" 2

name=${1:-thebacknd-cache-1}
dir=${2:-${XDG_CONFIG_HOME:-$HOME/.config}/thebacknd}
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "NAME may only contain letters, digits and . _ - (got '$name')" 2
secret="$dir/$name.secret"
public="$dir/$name.public"

if [[ -e "$secret" && -e "$public" ]]; then
  printf 'generate-signing-key.sh: %s already exists; keeping it\n' "$secret" >&2
  cat "$public"
  echo
  exit 0
fi
if [[ -e "$secret" || -e "$public" ]]; then
  die "only one of $secret and $public exists; refusing to overwrite it (move it away first)"
fi
command -v nix-store >/dev/null 2>&1 || die "nix-store is not installed"

(
  umask 077
  mkdir -p "$dir"
  nix-store --generate-binary-cache-key "$name" "$secret" "$public"
) || die "nix-store --generate-binary-cache-key failed"
chmod 0644 "$public"
printf 'generate-signing-key.sh: wrote %s (keep it secret) and %s\n' "$secret" "$public" >&2
cat "$public"
echo
