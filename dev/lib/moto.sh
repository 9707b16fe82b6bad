# shellcheck shell=bash
# Start and stop a private moto server on a free loopback port.
# After moto_start, AWS_ENDPOINT_URL points at it; moto_stop is safe to call twice.

: "${repo_root:?source dev/lib/common.sh before dev/lib/moto.sh}"
moto_pid=""

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

moto_start() {
  local port log_file attempt
  port=$(free_port)
  log_file="${TMPDIR:-/tmp}/thebacknd-moto-$port.log"
  "$repo_root/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log_file" 2>&1 &
  moto_pid=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  for attempt in $(seq 1 60); do
    if curl -fs -o /dev/null "$AWS_ENDPOINT_URL/moto-api/"; then
      log "moto is up on $AWS_ENDPOINT_URL (pid $moto_pid, log $log_file)"
      return 0
    fi
    kill -0 "$moto_pid" 2>/dev/null || die "moto exited at start; see $log_file"
    sleep 0.5
  done
  die "moto did not answer on $AWS_ENDPOINT_URL after $attempt tries; see $log_file"
}

moto_stop() {
  if [[ -n "$moto_pid" ]] && kill -0 "$moto_pid" 2>/dev/null; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
  moto_pid=""
}
