# shellcheck shell=bash
# The instance metadata service, IMDSv2 only: a token, then documents with it.

# The metadata service normally answers at once; at boot give it about a minute.
readonly imds_token_attempts=30
readonly imds_data_attempts=5

imds_token=""

imds_get_token() {
  local attempt
  for ((attempt = 1; attempt <= imds_token_attempts; attempt++)); do
    if imds_token=$(curl --silent --show-error --fail --globoff --connect-timeout 2 --max-time 5 \
      -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds_url/latest/api/token") \
      && [[ -n $imds_token ]]; then
      return 0
    fi
    log "(attempt $attempt/$imds_token_attempts) no IMDSv2 token from $imds_url yet"
    sleep 2
  done
  return 1
}

# imds_get PATH: prints the document. Status 1 when it is not there (404), 2 when the service
# gave no answer after its retries. The token goes to curl on stdin (-H @-).
imds_get() {
  local path=$1 attempt response code
  for ((attempt = 1; attempt <= imds_data_attempts; attempt++)); do
    response=$(curl --silent --show-error --globoff --connect-timeout 2 --max-time 10 -H @- \
      -w '\n%{http_code}' "$imds_url$path" <<<"X-aws-ec2-metadata-token: $imds_token") || true
    code=${response##*$'\n'}
    case $code in
      200)
        printf '%s\n' "${response%$'\n'*}"
        return 0
        ;;
      404) return 1 ;;
      401)
        # The token expired (the spot watcher runs for hours): take a new one and ask again.
        imds_get_token || return 2
        continue
        ;;
    esac
    log "(attempt $attempt/$imds_data_attempts) $path: HTTP ${code:-none} from $imds_url"
    sleep 1
  done
  return 2
}
