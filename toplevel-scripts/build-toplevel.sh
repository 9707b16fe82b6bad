#!/usr/bin/env bash
# build-toplevel.sh: build a Nix attribute, sign its whole closure, push it to the binary cache,
# and print its store path (the last line of stdout; all progress goes to stderr).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: build-toplevel.sh -A ATTR [FILE]
       build-toplevel.sh --flake FLAKEREF#ATTR

Builds ATTR of FILE (default: ./default.nix) with nix-build, signs every path of its closure
with `nix store sign -r`, copies the closure to the binary cache with `nix copy`, and prints
the store path on stdout (progress goes to stderr). `thebacknd run -A ATTR [FILE]` calls it.

With --flake, builds the flake output FLAKEREF#ATTR (.#web, github:owner/repo#web, …) with
`nix build`, flakes turned on for its own calls, then signs and pushes the same way, and prints
what to run: a NixOS system's toplevel for #nixosConfigurations.NAME (its
config.system.build.toplevel) or any output holding bin/switch-to-configuration; otherwise a
program: the output itself when it is a file, else its bin/ meta.mainProgram, else bin/ pname
(the name without its version). `thebacknd run FLAKEREF#ATTR` calls it.

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
flake=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -A | --attr)
      (($# >= 2)) || die "-A needs an attribute name; see --help" 2
      attr=$2
      shift 2
      ;;
    --flake)
      (($# >= 2)) || die "--flake needs a FLAKEREF#ATTR; see --help" 2
      flake=$2
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

if [[ -n "$flake" ]]; then
  [[ -z "$attr" && -z "$file" ]] || die "--flake takes neither -A nor a FILE; see --help" 2
  [[ "$flake" == *?#?* && "$flake" != *#*#* ]] || die "--flake needs FLAKEREF#ATTR (one #, something on each side), got $flake" 2
else
  [[ -n "$attr" ]] || die "-A ATTR is required; see --help" 2
  file=${file:-./default.nix}
  [[ -e "$file" ]] || die "$file does not exist" 2
fi
key_file=${NIX_SIGNING_KEY_FILE:-}
[[ -n "$key_file" ]] || die "NIX_SIGNING_KEY_FILE is not set: point it at the secret key from infra/generate-signing-key.sh" 2
[[ -r "$key_file" ]] || die "NIX_SIGNING_KEY_FILE=$key_file is not a readable file" 2
push_url=${NIX_CACHE_PUSH_URL:-${NIX_CACHE:-}}
[[ -n "$push_url" ]] || die "NIX_CACHE (or NIX_CACHE_PUSH_URL) is not set: where should the closure go?" 2
# NARs compressed with zstd decompress many times faster than with Nix's default xz, and the
# VM's fetch is mostly decompression (docs/binary-cache.md). A URL that names a compression keeps it.
if [[ "$push_url" != *compression=* ]]; then
  if [[ "$push_url" == *\?* ]]; then push_url+="&compression=zstd"; else push_url+="?compression=zstd"; fi
fi
for tool in nix nix-build; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed" 2
done

nix_cmd() { nix --extra-experimental-features nix-command "$@"; }
# Flakes on for this script's own calls only (Nix 2.8 has them behind the experimental features).
nix_flakes() { nix --extra-experimental-features 'nix-command flakes' "$@"; }

# A temporary GC root keeps the build from being collected before it is signed and pushed.
gc_root_dir=$(mktemp -d)
trap 'rm -rf "$gc_root_dir"' EXIT

# What a flake output runs as: its toplevel, or the program in it (printed on stdout).
flake_target() {
  local installable=$1 store_path=$2 program
  if [[ -e "$store_path/bin/switch-to-configuration" || -f "$store_path" ]]; then
    printf '%s\n' "$store_path"
    return
  fi
  program=$(nix_flakes eval --raw "$installable" \
    --apply 'd: d.meta.mainProgram or d.pname or (builtins.parseDrvName d.name).name') ||
    die "cannot read meta.mainProgram or pname of $installable"
  [[ -n "$program" && "$program" != */* ]] || die "$installable names no program (meta.mainProgram or pname: '$program')"
  [[ -f "$store_path/bin/$program" && -x "$store_path/bin/$program" ]] ||
    die "$installable built $store_path, which has no executable bin/$program (set meta.mainProgram, or build a NixOS system)"
  printf '%s\n' "$store_path/bin/$program"
}

if [[ -n "$flake" ]]; then
  flake_attr=${flake#*#}
  installable=$flake
  if [[ "$flake_attr" == nixosConfigurations.* && "${flake_attr#nixosConfigurations.}" != *.* ]]; then
    installable="$flake.config.system.build.toplevel"
  fi
  step "building $installable (nix build, flakes on)"
  hint=""
  if [[ "$flake_attr" != *.* ]]; then
    hint=" (a NixOS system is FLAKEREF#nixosConfigurations.NAME)"
  fi
  nix_flakes build --out-link "$gc_root_dir/result" "$installable" || die "nix build $installable failed$hint"
  links=("$gc_root_dir"/result*)
  ((${#links[@]} == 1)) || die "$installable built ${#links[@]} outputs; build an attribute with exactly one"
  store_path=$(readlink -f "$gc_root_dir/result")
  target=$(flake_target "$installable" "$store_path")
else
  step "building $attr of $file"
  outputs=$(nix-build "$file" -A "$attr" --out-link "$gc_root_dir/result") || die "nix-build failed"
  mapfile -t paths < <(printf '%s\n' "$outputs" | sed '/^$/d')
  ((${#paths[@]} == 1)) || die "$attr built ${#paths[@]} outputs; build an attribute with exactly one"
  store_path=${paths[0]}
  target=$store_path
fi

step "signing the closure of $store_path with $key_file"
nix_cmd store sign -r --key-file "$key_file" "$store_path" >&2 || die "nix store sign failed"

step "pushing the closure to $push_url"
nix_cmd copy --to "$push_url" "$store_path" >&2 || die "nix copy --to $push_url failed"

if [[ "$push_url" == file://* ]]; then
  pushed_dir=${push_url#file://}
  step "pushed to a directory: upload it to the cache (e.g. aws s3 sync ${pushed_dir%%\?*} s3://BUCKET/) before running it"
fi
step "done"
printf '%s\n' "$target"
