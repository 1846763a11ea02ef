# shellcheck shell=bash
# Bash completion for the tapegrad command: its subcommands, their subcommands (activations list,
# study run, ...), their long options, activation names after --act / --gate / --cell-act and
# `activations show|plot`, and the values an option accepts when its help lists them.
#
# Nothing is listed here: every candidate is read from the help of the program being completed
# (`tapegrad --help`, `tapegrad train-cnn --help`, ...), so the completion always matches the
# installed program. `cmake --install` puts this file in share/bash-completion/completions/
# tapegrad; without bash-completion, `source` it from ~/.bashrc.

# The words of the section of `help` that starts with the line `title` ("Options:"): the first
# word of each line indented by two spaces (deeper lines continue a description), up to the next
# unindented line.
_tapegrad_section() {
  local title=$1 help=$2 line in=0
  while IFS= read -r line; do
    if [[ $line == "$title" ]]; then
      in=1
    elif ((in)); then
      if [[ $line == "  "[!\ ]* ]]; then
        line=${line#  }
        printf '%s\n' "${line%% *}"
      elif [[ -n $line && $line != "   "* ]]; then
        break
      fi
    fi
  done <<< "$help"
}

# The long options in the Options section: "-v,--verbose" gives --verbose; "--invert{1},
# --no-invert{0}" gives both.
_tapegrad_long_options() {
  local word
  for word in $(_tapegrad_section "Options:" "$1"); do
    grep -oE -- '--[A-Za-z0-9][A-Za-z0-9_-]*' <<< "$word"
  done
}

# The values CLI11 lists for an option ("--model TEXT:{mlp,lenet5}"), one per line.
_tapegrad_option_values() {
  local option=$1 help=$2 line
  while IFS= read -r line; do
    if [[ $line =~ ^\ +([^ ]*,)?$option\ +[A-Z]+:\{([^}]*)\} ]]; then
      tr ',' '\n' <<< "${BASH_REMATCH[2]}"
      return
    fi
  done <<< "$help"
}

_tapegrad() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local prog=${COMP_WORDS[0]}
  # A typed ~/bin/tapegrad reaches us unexpanded: the tilde is literal here.
  # shellcheck disable=SC2088
  [[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
  COMPREPLY=()

  # `tapegrad <TAB>` and `tapegrad help <TAB>`: the subcommands.
  if ((COMP_CWORD == 1)) || { ((COMP_CWORD == 2)) && [[ $prev == help ]]; }; then
    local commands
    commands=$(_tapegrad_section "commands:" "$("$prog" --help 2> /dev/null)")
    if [[ $cur == -* ]] && ((COMP_CWORD == 1)); then
      mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
    else
      ((COMP_CWORD == 1)) && commands+=$'\nhelp'
      mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
    fi
    return 0
  fi

  # The subcommand, and its own subcommand if it has them (activations plot, study run).
  local path=("${COMP_WORDS[1]}") help
  help=$("$prog" "${COMP_WORDS[1]}" --help 2> /dev/null) || return 0
  local subs
  subs=$(_tapegrad_section "Subcommands:" "$help")
  if [[ -n $subs ]]; then
    if ((COMP_CWORD == 2)); then
      mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
      return 0
    fi
    if grep -qxF -- "${COMP_WORDS[2]}" <<< "$subs"; then
      path+=("${COMP_WORDS[2]}")
      help=$("$prog" "${path[@]}" --help 2> /dev/null) || return 0
    fi
  fi

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_tapegrad_long_options "$help")" -- "$cur")
    return 0
  fi
  # Activation names: after the flags that take an activation spec, and for the catalogue.
  if [[ $prev == --act || $prev == --acts || $prev == --gate || $prev == --cell-act ]] ||
    [[ ${path[0]} == activations && (${path[1]} == show || ${path[1]} == plot) && $prev != --* ]]; then
    local names
    names=$("$prog" activations list 2> /dev/null | awk 'NR > 1 && NF > 1 { print $1 }')
    mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
    return 0
  fi
  if [[ $prev == --* ]]; then
    local values
    values=$(_tapegrad_option_values "$prev" "$help")
    if [[ -n $values ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
      return 0
    fi
  fi
  # Anything else is a file name or a value: bash's default completion (-o default).
  return 0
}

complete -o default -F _tapegrad tapegrad
