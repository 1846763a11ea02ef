#!/usr/bin/env bash
# The bash completion of tapegrad, called the way bash calls it on <TAB>: COMP_WORDS and
# COMP_CWORD set, then the function `complete -p tapegrad` names.
#   check_completion.sh <tapegrad program> <completion script>
set -euo pipefail
program=$1
# shellcheck source=/dev/null
source "$2"
function=$(complete -p tapegrad | sed -n 's/.*-F \([^ ]*\) tapegrad$/\1/p')
[[ -n $function ]] || { echo "the script registers no completion function for tapegrad"; exit 1; }

failures=0
# expect "<expected candidates, sorted, space-separated>" word...: completes the last word.
expect() {
  local expected=$1
  shift
  COMP_WORDS=("$program" "$@")
  COMP_CWORD=$#
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$function" tapegrad "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
  if [[ $got == "$expected" ]]; then
    echo "ok: tapegrad $* -> $got"
  else
    echo "FAILED: tapegrad $* -> '$got', expected '$expected'"
    failures=$((failures + 1))
  fi
}

expect "train-cnn train-mlp train-rnn" tr
expect "inspect" ins
expect "export" exp
expect "--help --version" --
expect "--epochs" train-cnn --ep
expect "--act --act-lr --act-weight-decay" train-mlp --act
expect "--checkpoint" predict --che
expect "--full" inspect --f
expect "--onnx" export --o
expect "list" activations li
expect "accuracy check docs list plot show" activations ""
expect "--checkpoint --from --help --out --to" activations plot --
expect "--retry-failed" study run --ret
expect "compare" study com
expect "prelu" train-cnn --act prel
expect "pau" activations show pa
expect "train-cnn train-mlp train-rnn" help train
expect "adam adamw" train-cnn --optimizer ad
expect "fashion-mnist" train-rnn --dataset f
# Nothing to offer: file names and values are left to bash (complete -o default).
expect "" inspect ""
expect "" no-such-command --x
if ((failures > 0)); then
  echo "$failures completion(s) wrong"
  exit 1
fi
