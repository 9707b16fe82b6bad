# shellcheck shell=bash
# POST /output: what `thebacknd logs` shows.

# What `thebacknd logs` shows. For a toplevel or the base image: the agent's own lines during
# `boot` (log, relay: every phase, Nix, switch-to-configuration, a failed unit's journal). For a
# program: what it prints, stdout and stderr interleaved as it wrote them; the agent's lines
# before it runs are sent only when it never runs (they say why). A spool file collects the
# stream and a sender beside the work reads it by offset and posts it in chunks, so a slow or
# unreachable API never blocks the program or the boot.

# POST /output: at most 1 MiB of text a chunk, and a body of at most 2 MiB (JSON's escapes grow
# the text; a chunk whose body would be larger is cut shorter). The sender looks for new output
# every 0.1 s and sends what it found at most every 0.25 s (at once when a whole chunk waits): a
# trickle goes in small chunks, so a line reaches the API within about a quarter of a second and
# a chatty program costs four requests a second; a flood goes in chunks of 1 MiB. A chunk is tried
# until the API keeps it or refuses it for good (403, 409, 410, 413), 0.5 s to 30 s apart, for as
# long as the VM lives.
readonly output_chunk_bytes=1048576
# Past a 413 for a chunk of 1 MiB, what may still fit goes in chunks of 64 KiB.
readonly output_small_chunk_bytes=65536
chunk_bytes=$output_chunk_bytes
readonly output_max_body_bytes=2097152
readonly output_poll_seconds=0.1
readonly output_interval_us=250000
readonly output_max_backoff_seconds=30
# Chunks on their way at once (one curl, kept-alive connections): while a program floods, the
# requests overlap. What waits is prepared and posted in batches of up to 8 chunks (8 MiB).
readonly output_window=4
readonly output_batch_chunks=8

sender_pid=""
stream_ended=false

# stream_start FILE: sends FILE, and what is appended to it, until stream_end.
stream_start() {
  [[ $can_report == true && -z $sender_pid ]] || return 0
  : >>"$1"
  output_sender "$1" "$$" &
  sender_pid=$!
}

# stream_end [SECONDS]: the last chunks and the final one, then the sender is done; with SECONDS
# (the agent is being stopped), it gives up retrying after that long. Nothing being sent yet (a
# program VM that failed before its program ran): its boot log is sent then, as the reason.
stream_end() {
  [[ $stream_ended == false ]] || return 0
  stream_ended=true
  if [[ -z $sender_pid && -n $log_spool && -s $log_spool ]]; then
    stream_start "$log_spool"
  fi
  [[ -n $sender_pid ]] || return 0
  if (($#)); then echo $(($(date -u +%s) + $1)) >"$tmp_dir/output.give-up-at"; fi
  touch "$tmp_dir/output.end"
  wait "$sender_pid" || true
  sender_pid=""
}

# output_may_retry AGENT_PID: whether a chunk the API did not keep is worth another try: the VM
# lives (the agent is still there) and the agent is not stopping past its grace.
output_may_retry() {
  local give_up_at
  kill -0 "$1" 2>/dev/null || return 1
  [[ -e $tmp_dir/output.give-up-at ]] || return 0
  give_up_at=$(<"$tmp_dir/output.give-up-at")
  (($(date -u +%s) < give_up_at))
}

# output_sender FILE AGENT_PID (in the background): posts what FILE gains, then, once
# tmp_dir/output.end exists or the agent is gone, the rest and an empty final chunk. What waits
# is sent as a batch of up to output_batch_chunks chunks, posted together by one curl (up to
# output_window at once, on kept-alive connections; the API keeps chunks by seq, in any order).
# A 413 (the API keeps no more) for a chunk of 1 MiB after which nothing was kept switches to
# chunks of 64 KiB from that chunk on; a 413 then stops the sending, and the final chunk takes
# the first seq that was not kept, so the output ends cleanly there. A 403, 409 (the output is closed) or 410
# (the VM is gone) stops it for good. The console keeps everything either way.
output_sender() {
  local file=$1 agent=$2 offset=0 seq=0 size ending=false last_send=0 now i
  # The agent ends the sender; a shutdown's SIGTERM stops the agent, which then does.
  trap '' TERM INT
  log_spool=""
  batch_stop_seq="" batch_stop_status=0 batch_last_kept=-1
  utf8_check_works || log "this system has no C.UTF-8 locale: every chunk goes through jq (slower)"

  while [[ -z $batch_stop_seq ]]; do
    if [[ -e $tmp_dir/output.end ]] || ! kill -0 "$agent" 2>/dev/null; then ending=true; fi
    size=$(stat -c %s "$file" 2>/dev/null) || size=$offset
    now=${EPOCHREALTIME/./}
    # Send when a whole chunk waits, when output waited long enough, and at the end.
    if ((size - offset >= chunk_bytes)) \
      || ((size > offset)) && [[ $ending == true ]] \
      || ((size > offset && now - last_send >= output_interval_us)); then
      while ((size > offset)) && [[ -z $batch_stop_seq ]]; do
        prepare_batch "$file" "$offset" "$size" "$ending" "$seq"
        ((${#batch_bodies[@]})) || break # only the start of a character: it waits for the rest
        post_batch "$seq" "$agent"
        if [[ $batch_stop_status == 2 ]] && ((chunk_bytes > output_small_chunk_bytes && batch_last_kept < batch_stop_seq)); then
          # A large chunk did not fit and nothing after it was kept: from it on, what still fits
          # goes in small chunks, so the output is kept up to within 64 KiB of the limit.
          for ((i = 0; i < batch_stop_seq - seq; i++)); do offset=$((offset + batch_lengths[i])); done
          seq=$batch_stop_seq batch_stop_seq="" batch_stop_status=0 chunk_bytes=$output_small_chunk_bytes
          continue
        fi
        offset=$((offset + batch_consumed))
        seq=$((seq + ${#batch_bodies[@]}))
      done
      last_send=$now
    fi
    [[ $ending != true ]] || break
    sleep "$output_poll_seconds"
  done
  if [[ -n $batch_stop_seq ]]; then
    seq=$batch_stop_seq
    case $batch_stop_status in
      2) log "the API keeps no more of this output (HTTP 413: THEBACKND_MAX_OUTPUT_KIB); the rest is on the console only" ;;
      3) log "no more output is sent (the console has it)"; return 0 ;;
      *) log "POST /output gave up on chunk $seq as the agent stopped; the rest is on the console only" ;;
    esac
  fi
  if output_body "$seq" true /dev/null "$tmp_dir/output.final.json" && post_output "$seq" "$tmp_dir/output.final.json" "$agent"; then
    return 0
  fi
  log "could not send the final chunk ($seq) of the output"
}

# utf8_check_works: whether grep, in the C.UTF-8 locale, tells invalid UTF-8 from valid (the
# fast path below needs it; where the locale is missing grep would take every byte as valid).
utf8_fast_path=""
utf8_check_works() {
  if [[ -z $utf8_fast_path ]]; then
    utf8_fast_path=false
    if printf 'caf\xc3\xa9\n' | LC_ALL=C.UTF-8 grep -qax '.*' 2>/dev/null \
      && printf 'x\xff\n' | LC_ALL=C.UTF-8 grep -qaxv '.*' 2>/dev/null; then
      utf8_fast_path=true
    fi
  fi
  [[ $utf8_fast_path == true ]]
}

# The JSON escapes of a chunk's text, for sed -z on text without NUL: backslash, quote, and every
# control character (U+0001 to U+001F); the first five are all most output needs.
json_escapes=(-e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\n/\\n/g' -e 's/\t/\\t/g' -e 's/\r/\\r/g')
readonly json_common_escapes=${#json_escapes[@]}
readonly other_controls=$'[\x01-\x08\x0b\x0c\x0e-\x1f]'
for control in 1 2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31; do
  printf -v control '%02x' "$control"
  json_escapes+=(-e "s/\\x$control/\\\\u00$control/g")
done
unset control

# prepare_batch FILE OFFSET SIZE ENDING SEQ: the bodies of the next chunks of FILE from OFFSET
# (SIZE its size now), numbered from SEQ, in batch_bodies; batch_consumed the bytes they take.
# The fast path, for whole lines of valid UTF-8 without NUL (what programs print): one dd, two
# greps and one split for the batch, one sed a chunk. Anything else goes one chunk at a time
# through chunk_length and jq, which replaces invalid bytes with U+FFFD, as does a batch whose
# escapes would make a body too large. Either way a chunk is at most 1 MiB of text in a body of
# at most 2 MiB, a full one ends after a newline when it has one, and (unless this is the end) no
# chunk ends inside a UTF-8 character.
batch_bodies=() batch_lengths=() batch_consumed=0
prepare_batch() {
  local file=$1 offset=$2 size=$3 ending=$4 seq=$5 region=$tmp_dir/output.region available length partial
  local last piece body whole ended=0 fits=true
  local -a pieces escapes
  batch_bodies=() batch_lengths=() batch_consumed=0
  rm -f "$tmp_dir"/output.piece.* "$tmp_dir"/output.*.json "$tmp_dir"/output.*.json.response
  available=$((size - offset))
  length=$((available < output_batch_chunks * chunk_bytes ? available : output_batch_chunks * chunk_bytes))
  if utf8_check_works; then
    dd if="$file" of="$region" iflag=skip_bytes,count_bytes skip="$offset" count="$length" bs=1M status=none
    { last=$(tail -c 1 "$region" && echo .); } 2>/dev/null
    # Whole lines, unless this is the end.
    if [[ $last != $'\n.' ]] && [[ $ending != true || available -gt length ]]; then
      partial=$(tail -n 1 "$region" | wc -c)
      if ((partial < length)); then length=$((length - partial)); truncate -s "$length" "$region"; else length=0; fi
    elif [[ $last != $'\n.' ]]; then
      ended=1 # the last piece ends without a newline: the end of the output
    fi
    if ((length > 0)) && ! LC_ALL=C.UTF-8 grep -qaxv '.*' "$region" && [[ $(grep -caz '' "$region") == 1 ]]; then
      split -C "$chunk_bytes" -d -a 4 "$region" "$tmp_dir/output.piece."
      pieces=("$tmp_dir"/output.piece.*)
      # A line longer than a chunk is cut by split, perhaps inside a character: not this path.
      whole=$(tail -q -c 1 "${pieces[@]}" | tr -cd '\n' | wc -c)
      escapes=("${json_escapes[@]:0:json_common_escapes}")
      if LC_ALL=C grep -qa "$other_controls" "$region"; then escapes=("${json_escapes[@]}"); fi
      if ((whole + ended == ${#pieces[@]})); then
        for piece in "${pieces[@]}"; do
          body=$tmp_dir/output.$((seq + ${#batch_bodies[@]})).json
          {
            printf '{"vm_id":"%s","vm_killcode":"%s","seq":%d,"final":false,"text":"' "$vm_id" "$vm_killcode" "$((seq + ${#batch_bodies[@]}))"
            sed -z "${escapes[@]}" "$piece"
            printf '"}'
          } >"$body"
          if (($(stat -c %s "$body") > output_max_body_bytes)); then fits=false; break; fi
          batch_bodies+=("$body")
          batch_lengths+=("$(stat -c %s "$piece")")
        done
        if [[ $fits == true ]]; then
          batch_consumed=$length
          return 0
        fi
        batch_bodies=() batch_lengths=()
      fi
    fi
  fi
  length=$(chunk_length "$file" "$offset" "$size" "$ending") || length=0
  ((length > 0)) || return 0
  # Invalid bytes become U+FFFD (three bytes each): a chunk of them can outgrow 1 MiB as text, and
  # escapes (six bytes for a control character) its body 2 MiB. It is cut down before it gets its
  # seq.
  while ! output_body "$seq" false "$tmp_dir/output.chunk" "$tmp_dir/output.$seq.json" && ((length > 1)); do
    length=$((length / 2))
    truncate -s "$length" "$tmp_dir/output.chunk"
  done
  batch_bodies=("$tmp_dir/output.$seq.json") batch_lengths=("$length")
  batch_consumed=$length
}

# post_batch SEQ AGENT_PID: posts batch_bodies (seq SEQ on) with one curl, output_window at once,
# and again the ones not kept, with backoff, for as long as output_may_retry. Sets
# batch_stop_seq (the first seq refused for good or given up) and batch_stop_status (2: 413,
# 3: 403, 409 or 410, 1: given up); batch_last_kept the last seq kept (-1: none).
post_batch() {
  local first=$1 agent=$2 i code file attempt delay=0.5 seq status
  batch_last_kept=-1
  local -a pending=() args=() retry=()
  local -A codes=()
  for ((i = 0; i < ${#batch_bodies[@]}; i++)); do pending+=("$i"); done
  for ((attempt = 1; ${#pending[@]}; attempt++)); do
    args=()
    for i in "${pending[@]}"; do
      ((${#args[@]} == 0)) || args+=(--next)
      args+=(--silent --globoff --connect-timeout 5 --max-time 30 -X POST -H 'Content-Type: application/json'
        --data-binary "@${batch_bodies[i]}" -o "${batch_bodies[i]}.response" -w '%{http_code} %{filename_effective}\n'
        "$api_url/output")
    done
    codes=()
    while read -r code file; do
      [[ -n $file ]] && codes[$file]=$code
    done < <(curl --parallel --parallel-max "$output_window" "${args[@]}" 2>/dev/null || true)
    retry=()
    for i in "${pending[@]}"; do
      seq=$((first + i))
      code=${codes[${batch_bodies[i]}.response]:-000}
      status=""
      case $code in
        2??) ((seq <= batch_last_kept)) || batch_last_kept=$seq ;;
        413) status=2 ;;
        403 | 409 | 410)
          log "POST /output refused chunk $seq for good: HTTP $code $(jq -r '.error | "\(.code? // ""): \(.message? // "")"' "${batch_bodies[i]}.response" 2>/dev/null || true)"
          status=3
          ;;
        *) retry+=("$i") ;;
      esac
      if [[ -n $status ]] && [[ -z $batch_stop_seq || $seq -lt $batch_stop_seq ]]; then
        batch_stop_seq=$seq batch_stop_status=$status
      fi
    done
    pending=()
    # Past a chunk refused for good nothing more is worth sending.
    for i in "${retry[@]}"; do
      if [[ -z $batch_stop_seq || $((first + i)) -lt $batch_stop_seq ]]; then pending+=("$i"); fi
    done
    ((${#pending[@]})) || return 0
    if ! output_may_retry "$agent"; then
      seq=$((first + pending[0]))
      if [[ -z $batch_stop_seq || $seq -lt $batch_stop_seq ]]; then batch_stop_seq=$seq batch_stop_status=1; fi
      return 0
    fi
    log "(attempt $attempt) POST /output, ${#pending[@]} chunk(s) from $((first + pending[0])): HTTP ${codes[${batch_bodies[pending[0]]}.response]:-000}; retrying in ${delay}s"
    sleep "$delay"
    case $delay in 0.5) delay=1 ;; *) delay=$((delay * 2 > output_max_backoff_seconds ? output_max_backoff_seconds : delay * 2)) ;; esac
  done
}

# chunk_length FILE OFFSET SIZE ENDING: how many bytes of FILE from OFFSET the next chunk takes
# (left in tmp_dir/output.chunk): at most 1 MiB; a full chunk ends after its last newline when
# it has one; and, unless this is the end, never inside a UTF-8 character (whose halves would
# each become U+FFFD). 0 when only the start of a character is there.
chunk_length() {
  local file=$1 offset=$2 size=$3 ending=$4 chunk=$tmp_dir/output.chunk available length partial last
  available=$((size - offset))
  length=$((available < chunk_bytes ? available : chunk_bytes))
  dd if="$file" of="$chunk" iflag=skip_bytes,count_bytes skip="$offset" count="$length" bs=1M status=none
  # The last byte, and a dot so that a newline survives the command substitution (a NUL is
  # dropped, with a warning: it is not a newline either).
  { last=$(tail -c 1 "$chunk" && echo .); } 2>/dev/null
  if [[ $last == $'\n.' ]]; then
    printf '%s\n' "$length" # ends after a newline: whole lines, whole characters
    return
  fi
  if ((length == chunk_bytes && available > length)); then
    partial=$(tail -n 1 "$chunk" | wc -c)
    if ((partial < length)); then
      truncate -s "$((length - partial))" "$chunk"
      printf '%s\n' "$((length - partial))"
      return
    fi
  fi
  if [[ $ending != true || available -gt length ]]; then
    partial=$(incomplete_utf8_tail "$chunk" "$length")
    if ((partial > 0)); then
      length=$((length - partial))
      truncate -s "$length" "$chunk"
    fi
  fi
  printf '%s\n' "$length"
}

# incomplete_utf8_tail FILE LENGTH: how many of the last bytes of FILE's first LENGTH bytes are a
# UTF-8 character cut short (0 to 3).
incomplete_utf8_tail() {
  local -a bytes
  local i byte needed
  read -r -a bytes <<<"$(head -c "$2" "$1" | tail -c 3 | od -An -tu1)"
  for ((i = ${#bytes[@]} - 1; i >= 0; i--)); do
    byte=${bytes[i]}
    if ((byte < 128)); then
      echo 0
      return
    fi
    if ((byte >= 192)); then
      needed=$((byte >= 240 ? 4 : byte >= 224 ? 3 : 2))
      echo $((${#bytes[@]} - i < needed ? ${#bytes[@]} - i : 0))
      return
    fi
  done
  echo 0
}

# output_body SEQ FINAL FILE BODY: writes the JSON of POST /output with FILE's bytes as text
# (jq replaces invalid UTF-8 with U+FFFD) to BODY; status 1 when that text is over 1 MiB or the
# body over 2 MiB. The kill code reaches jq in its environment only.
output_body() {
  killcode=$vm_killcode jq -nc --arg vm_id "$vm_id" --argjson seq "$1" --argjson final "$2" \
    --argjson max "$chunk_bytes" --rawfile text "$3" \
    'if ($text | utf8bytelength) > $max then error("too long")
     else {vm_id: $vm_id, vm_killcode: env.killcode, seq: $seq, text: $text, final: $final} end' >"$4" 2>/dev/null \
    && (($(stat -c %s "$4") <= output_max_body_bytes))
}

# post_output SEQ BODY AGENT_PID: POST /output, with the same seq until the API keeps it (it
# keeps a seq once): network errors, 429, 5xx and any other answer are retried with backoff, for
# as long as output_may_retry. Status 0 kept, 2 refused as too large (413), 3 refused for good
# (403 bad kill code, 409 output_closed, 410 vm_gone: said on the console), 1 given up.
post_output() {
  local seq=$1 body=$2 agent=$3 response=$2.response attempt code delay=0.5
  for ((attempt = 1; ; attempt++)); do
    code=$(curl --silent --globoff --connect-timeout 5 --max-time 30 -X POST -H 'Content-Type: application/json' \
      --data-binary @"$body" -o "$response" -w '%{http_code}' "$api_url/output") || code=000
    case $code in
      2??) rm -f "$response"; return 0 ;;
      413) rm -f "$response"; return 2 ;;
      403 | 409 | 410)
        log "POST /output refused chunk $seq for good: HTTP $code $(jq -r '.error | "\(.code? // ""): \(.message? // "")"' "$response" 2>/dev/null || true)"
        rm -f "$response"
        return 3
        ;;
    esac
    if ! output_may_retry "$agent"; then
      rm -f "$response"
      return 1
    fi
    log "(attempt $attempt) POST /output, chunk $seq: HTTP $code; retrying in ${delay}s"
    sleep "$delay"
    case $delay in 0.5) delay=1 ;; *) delay=$((delay * 2 > output_max_backoff_seconds ? output_max_backoff_seconds : delay * 2)) ;; esac
  done
}
