# shellcheck shell=bash
# Store paths and program paths: the same rules as the API's thebacknd.cache.StorePath and
# BinaryPath; testdata/store-paths.tsv holds the cases both are tested with (`check-path`).

# Checked byte by byte (LC_ALL=C): a non-ASCII character is allowed nowhere, so the verdict is
# the API's on every path; for such a path the first problem named may differ from the API's,
# which counts UTF-16 units.
readonly nix_base32=0123456789abcdfghijklmnpqrsvwxyz

# store_path_problem PATH: prints what is wrong with PATH as a store path, nothing if it is valid.
store_path_problem() {
  local path=$1 base name
  if [[ $path != /nix/store/* ]]; then
    echo "a store path must start with /nix/store/"
    return
  fi
  base=${path#/nix/store/}
  if ((${#base} < 34)) || [[ ${base:32:1} != - ]]; then
    echo "a store path is /nix/store/ + 32 base32 characters + '-' + a name"
  elif [[ ! ${base:0:32} =~ ^[$nix_base32]{32}$ ]]; then
    echo "the hash part of a store path is 32 characters of Nix base32 (0-9, a-z without e, o, u, t)"
  else
    name=${base:33}
    if ((${#name} > 211)); then
      echo "a store path name is at most 211 characters"
    elif [[ $name == .* ]]; then
      echo "a store path name must not start with '.'"
    elif [[ ! $name =~ ^[A-Za-z0-9+._?=-]+$ ]]; then
      echo "a store path name may only contain letters, digits and + - . _ ? ="
    fi
  fi
}

# binary_path_problem PATH: the same for a program: a store path, then a normalised path inside
# it, at most 255 characters in all. Checked in BinaryPath's order, so the first problem found
# (and its message) is the same.
binary_path_problem() {
  local path=$1 rest inside remaining component problem
  if [[ $path != /nix/store/* ]]; then
    echo "a binary path must start with /nix/store/"
    return
  fi
  rest=${path#/nix/store/}
  if [[ $rest != */* ]]; then
    store_path_problem "$path"
    return
  fi
  inside=${rest#*/}
  if [[ -z $inside ]]; then
    echo "a binary path must not end with '/'"
    return
  fi
  problem=$(store_path_problem "/nix/store/${rest%%/*}")
  if [[ -n $problem ]]; then
    echo "$problem"
    return
  fi
  remaining=$inside
  while true; do
    component=${remaining%%/*}
    if [[ -z $component || $component == . || $component == .. ]]; then
      echo "a binary path must be normalised: no empty, '.' or '..' components"
      return
    fi
    if [[ ! $component =~ ^[A-Za-z0-9+._?=@-]+$ ]]; then
      echo "a binary path may only contain letters, digits and + - . _ ? = @ between slashes"
      return
    fi
    [[ $remaining == */* ]] || break
    remaining=${remaining#*/}
  done
  if ((${#path} > 255)); then
    echo "a binary path is at most 255 characters"
  fi
}

# check_user_data: reads the rest of the user-data into the globals above, as far as it can even
# when some of it is wrong (`status` and `deadline` still work then); on the first thing wrong

# check-path KIND PATH (for tests): the agent's own verdict on PATH as a `store` or `binary`
# path: silent and 0 when valid, the problem and 1 otherwise. nixos-image/tests/run runs it on
# every row of testdata/store-paths.tsv, the table the Java tests read too.
cmd_check_path() {
  local problem
  (($# == 2)) || { usage >&2; exit 2; }
  case $1 in
    store) problem=$(store_path_problem "$2") ;;
    binary) problem=$(binary_path_problem "$2") ;;
    *) usage >&2; exit 2 ;;
  esac
  if [[ -n $problem ]]; then
    printf '%s\n' "$problem"
    exit 1
  fi
}
