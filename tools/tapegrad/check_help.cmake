# `tapegrad --help` and `tapegrad help` list every subcommand with a one-line description (status
# 0), `tapegrad` alone does too (status 1, like git), and every subcommand answers --help (and
# `tapegrad help <command>`) with its own usage line, "Usage: tapegrad <command>".
#   cmake -DTAPEGRAD=<program> "-DCOMMANDS=train-cnn;..." -P check_help.cmake
cmake_minimum_required(VERSION 3.25)

function(run expected_rc)
  execute_process(COMMAND ${TAPEGRAD} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${expected_rc}")
    message(FATAL_ERROR "tapegrad ${ARGN}: exit status ${rc}, expected ${expected_rc}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

foreach(form "--help" "help" "")
  if(form STREQUAL "")
    run(1)
  else()
    run(0 ${form})
  endif()
  set(listed "")
  foreach(c ${COMMANDS})
    # "  train-cnn    train a CNN ...": the name, then a description on the same line.
    if(NOT out MATCHES "\n  ${c} +[a-z][^\n]+\n")
      message(FATAL_ERROR "tapegrad ${form}: '${c}' is not listed with a description:\n${out}")
    endif()
  endforeach()
  # No more commands than expected: every line of the list is one of them.
  string(REGEX MATCH "commands:\n.*" list_part "${out}")
  string(REGEX MATCHALL "\n  [a-z-]+ " names "${list_part}")
  list(LENGTH names n)
  list(LENGTH COMMANDS expected_n)
  if(NOT n EQUAL expected_n)
    message(FATAL_ERROR "tapegrad ${form}: ${n} commands listed, expected ${expected_n}:\n${out}")
  endif()
endforeach()

foreach(c ${COMMANDS})
  run(0 ${c} --help)
  if(NOT out MATCHES "Usage: tapegrad ${c} ")
    message(FATAL_ERROR "tapegrad ${c} --help: no 'Usage: tapegrad ${c}' line:\n${out}")
  endif()
  set(direct "${out}")
  run(0 help ${c})
  if(NOT out STREQUAL direct)
    message(FATAL_ERROR "tapegrad help ${c} differs from tapegrad ${c} --help:\n${out}")
  endif()
endforeach()
message(STATUS "tapegrad --help lists: ${COMMANDS}")
