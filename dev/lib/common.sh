# shellcheck shell=bash
# Sourced by every dev/ script: the repository root, logging, and the safety settings that keep
# tests and demos on loopback (no instance-metadata probes, no real credentials, no public cache).

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export repo_root

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The AWS SDKs must never fall back to the instance metadata service or to a developer's real account.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

# Nix must never dial a public cache; tests pass their own substituters explicitly. The test
# derivations build with /bin/sh from the host, so no build sandbox (whatever nix.conf says).
export NIX_CONFIG=$'substituters =\nexperimental-features = nix-command\nrequire-sigs = true\nsandbox = false'

export PATH="$repo_root/.venv/bin:$PATH"
