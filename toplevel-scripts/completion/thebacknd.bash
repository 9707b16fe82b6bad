# thebacknd completion for bash: source this file (toplevel-scripts/completion/thebacknd.bash) in ~/.bashrc
# shellcheck shell=bash disable=SC2207 # compgen's words are split into COMPREPLY on purpose
_thebacknd_vm_names() {
  sh -c 'f=${XDG_CACHE_HOME:-$HOME/.cache}/thebacknd/vm-names; now=$(date +%s); stamp=$(head -n 1 "$f" 2>/dev/null); case $stamp in ""|*[!0-9]*) stamp=0 ;; esac; if [ $((now - stamp)) -ge 10 ]; then mkdir -p "${f%/*}" && { echo "$now"; thebacknd list 2>/dev/null | sed 1d | cut -d " " -f 1; } >"$f.$$" && mv -f "$f.$$" "$f"; fi; sed 1d "$f" 2>/dev/null'
}
_thebacknd() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -*) ;;
      *)
        if [[ -z "$command" ]]; then command="${COMP_WORDS[i]}"
        elif [[ "$command" == pool ]]; then command="pool ${COMP_WORDS[i]}"
        elif [[ "$command" == cache ]]; then command="cache ${COMP_WORDS[i]}"
        else break; fi ;;
    esac
  done
  local options="" values="" file_values="" words="" files="" names=""
  case "$command" in
    "") COMPREPLY=($(compgen -W "run shell list destroy destroy-all destroy-old extend pool logs console ssh serve cache completion -h --help -V --version" -- "$cur")); return ;;
    "run") options="-A --attr --on-vm --binary --wait --type --spot --ttl --wait-timeout --queue --queue-timeout --json --local --api-url -h --help" values="-A --attr --type --ttl --wait-timeout --queue-timeout --api-url" file_values="" words="" files="yes" names="" ;;
    "shell") options="--no-wait --type --spot --ttl --wait-timeout --queue --queue-timeout --json --local --api-url -h --help" values="--type --ttl --wait-timeout --queue-timeout --api-url" file_values="" words="" files="" names="" ;;
    "list") options="--mine --wide --json --local --api-url -h --help" values="--api-url" file_values="" words="" files="" names="" ;;
    "destroy") options="--dry-run --vm-id --json --local --api-url -h --help" values="--vm-id --api-url" file_values="" words="" files="" names="yes" ;;
    "destroy-all") options="--dry-run --mine -y --yes --json --local --api-url -h --help" values="--api-url" file_values="" words="" files="" names="" ;;
    "destroy-old") options="--dry-run --json --local --api-url -h --help" values="--api-url" file_values="" words="" files="" names="" ;;
    "extend") options="--ttl --vm-id --json --local --api-url -h --help" values="--ttl --vm-id --api-url" file_values="" words="" files="" names="yes" ;;
    "pool") options="--json --local --api-url -h --help" values="--api-url" file_values="" words="fill" files="" names="" ;;
    "pool fill") options="--dry-run --json --local --api-url -h --help" values="--api-url" file_values="" words="" files="" names="" ;;
    "logs") options="--vm-id -f --follow --timeout --json --local --api-url -h --help" values="--vm-id --timeout --api-url" file_values="" words="" files="" names="yes" ;;
    "console") options="--json --local --api-url -h --help" values="--api-url" file_values="" words="" files="" names="yes" ;;
    "ssh") options="-i --identity --json --local --api-url -h --help" values="--api-url" file_values="-i --identity" words="" files="" names="yes" ;;
    "serve") options="--port --bind -h --help" values="--port --bind" file_values="" words="" files="" names="" ;;
    "cache") options="-h --help" values="" file_values="" words="verify" files="" names="" ;;
    "cache verify") options="--cache --trusted-key --json -h --help" values="--cache --trusted-key" file_values="" words="" files="yes" names="" ;;
    "completion") options="-h --help" values="" file_values="" words="bash zsh fish" files="" names="" ;;
    *) return ;;
  esac
  if [[ -n "$prev" && " $file_values " == *" $prev "* ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  if [[ -n "$prev" && " $values " == *" $prev "* ]]; then COMPREPLY=(); return; fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif [[ -n "$files" ]]; then COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ -n "$names" ]]; then COMPREPLY=($(compgen -W "$(_thebacknd_vm_names)" -- "$cur"))
  else COMPREPLY=($(compgen -W "$words" -- "$cur")); fi
}
complete -o filenames -F _thebacknd thebacknd
