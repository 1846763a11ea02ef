# `tapegrad activations list` prints the activations example's catalogue, line for line, and it
# lists COUNT activations (one table row each, and the count line).
#   cmake -DTAPEGRAD=<program> -DEXAMPLE=<activations example> -DCOUNT=<n> -P check_activations_list.cmake
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${TAPEGRAD} activations list RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tapegrad activations list failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${EXAMPLE} list RESULT_VARIABLE rc OUTPUT_VARIABLE example_out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "activations list failed (${rc}):\n${example_out}\n${err}")
endif()
if(NOT out STREQUAL example_out)
  message(FATAL_ERROR "tapegrad activations list:\n${out}\ndiffers from activations list:\n${example_out}")
endif()
if(NOT out MATCHES "\n${COUNT} activations\n$")
  message(FATAL_ERROR "expected the line '${COUNT} activations':\n${out}")
endif()
# The rows: every line but the header and the count line.
string(REGEX REPLACE "[^\n]" "" newlines "${out}")
string(LENGTH "${newlines}" n)
math(EXPR rows "${n} - 2")
if(NOT rows EQUAL COUNT)
  message(FATAL_ERROR "${rows} rows in the table, expected ${COUNT}:\n${out}")
endif()
message(STATUS "tapegrad activations list: ${COUNT} activations, the same as the example's")
