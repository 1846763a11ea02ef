# included by the check_*.cmake scripts that run ${TAPEGRAD} several times.
# run(<expected exit status> args...): runs tapegrad with args and sets out and err in the
# caller; another status, or an abort ("terminate called"), is a fatal error that shows both.
function(run expected_rc)
  execute_process(COMMAND ${TAPEGRAD} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${expected_rc}" OR err MATCHES "terminate called")
    message(FATAL_ERROR "tapegrad ${ARGN}: exit status ${rc}, expected ${expected_rc}\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()
