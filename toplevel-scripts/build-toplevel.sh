#!/usr/bin/env bash
# build-toplevel.sh: build a Nix attribute, sign its whole closure, push it to the binary cache,
# and print its store path (the last line of stdout; all progress goes to stderr).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: build-toplevel.sh -A ATTR [FILE]

Builds ATTR of FILE (default: ./default.nix) with nix-build, signs every path of its closure
with `nix store sign -r`, copies the closure to the binary cache with `nix copy`, and prints
the store path on stdout (progress goes to stderr). `thebacknd run -A ATTR [FILE]` calls it.

Environment:
  NIX_SIGNING_KEY_FILE  secret key file, from infra/generate-signing-key.sh (required)
  NIX_CACHE             the binary cache to push to, e.g. s3://bucket?region=eu-west-1
  NIX_CACHE_PUSH_URL    push here instead of NIX_CACHE (optional): a URL with write
                        settings (s3://bucket?region=eu-west-1&compression=zstd), or a
                        file:///dir to upload yourself where Nix has no S3 support
                        (Debian's nix-bin).

Recommended: add compression=zstd to the push URL; see docs/binary-cache.md.

Exit status: 0 pushed, 1 a step failed, 2 usage or configuration error.
USAGE
}

die() { printf 'build-toplevel.sh: %s\n' "$1" >&2; exit "${2:-1}"; }
step() { printf 'build-toplevel.sh: %s\n' "$*" >&2; }

attr=""
file=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -A | --attr)
      (($# >= 2)) || die "-A needs an attribute name; see --help" 2
      attr=$2
      shift 2
      ;;
    -*) die "unknown option $1; see --help" 2 ;;
    *)
      [[ -z "$file" ]] || die "only one FILE may be given; see --help" 2
      file=$1
      shift
      ;;
  esac
done

[[ -n "$attr" ]] || die "-A ATTR is required; see --help" 2
file=${file:-./default.nix}
[[ -e "$file" ]] || die "$file does not exist" 2
key_file=${NIX_SIGNING_KEY_FILE:-}
[[ -n "$key_file" ]] || die "NIX_SIGNING_KEY_FILE is not set: point it at the secret key from infra/generate-signing-key.sh" 2
[[ -r "$key_file" ]] || die "NIX_SIGNING_KEY_FILE=$key_file is not a readable file" 2
push_url=${NIX_CACHE_PUSH_URL:-${NIX_CACHE:-}}
[[ -n "$push_url" ]] || die "NIX_CACHE (or NIX_CACHE_PUSH_URL) is not set: where should the closure go?" 2
for tool in nix nix-build; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed" 2
done

nix_cmd() { nix --extra-experimental-features nix-command "$@"; }

step "building $attr of $file"
# A temporary GC root keeps the build from being collected before it is signed and pushed.
gc_root_dir=$(mktemp -d)
trap 'rm -rf "$gc_root_dir"' EXIT
outputs=$(nix-build "$file" -A "$attr" --out-link "$gc_root_dir/result") || die "nix-build failed"
mapfile -t paths < <(printf '%s\n' "$outputs" | sed '/^$/d')
((${#paths[@]} == 1)) || die "$attr built ${#paths[@]} outputs; build an attribute with exactly one"
store_path=${paths[0]}

step "signing the closure of $store_path with $key_file"
nix_cmd store sign -r --key-file "$key_file" "$store_path" >&2 || die "nix store sign failed"

step "pushing the closure to $push_url"
nix_cmd copy --to "$push_url" "$store_path" >&2 || die "nix copy --to $push_url failed"

if [[ "$push_url" == file://* ]]; then
  pushed_dir=${push_url#file://}
  step "pushed to a directory: upload it to the cache (e.g. aws s3 sync ${pushed_dir%%\?*} s3://BUCKET/) before running it"
fi
step "done"
printf '%s\n' "$store_path"
