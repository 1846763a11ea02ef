# Runs one command and checks its exit status and output:
#   cmake "-DRUN=<program>;<arg>;..." -DEXIT=<status> [-DSTDOUT=<regex>] [-DSTDERR=<regex>]
#         -P check_output.cmake
# An abort (a signal, "terminate called") never passes, whatever EXIT says.
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${RUN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REPLACE ";" " " shown "${RUN}")
set(report "command: ${shown}\nexit status: ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit status ${EXIT}\n${report}")
endif()
if(err MATCHES "terminate called")
  message(FATAL_ERROR "the program aborted\n${report}")
endif()
if(DEFINED STDOUT AND NOT out MATCHES "${STDOUT}")
  message(FATAL_ERROR "stdout does not match:\n${STDOUT}\n${report}")
endif()
if(DEFINED STDERR AND NOT err MATCHES "${STDERR}")
  message(FATAL_ERROR "stderr does not match:\n${STDERR}\n${report}")
endif()
message(STATUS "${report}")
