# The library as another project uses it: `cmake --install` into a scratch prefix, then
# tests/consumer built against it with find_package(tapegrad CONFIG), and run; the installed
# tapegrad command and its completion run; then the consumer built with the installed pkg-config
# file, when pkg-config is there.
#   cmake -DBUILD=<build dir> -DSOURCE=<source dir> -DDIR=<scratch dir> -DCXX=<compiler>
#         -P check_install.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

run("install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${DIR}/prefix)
run("configuring the consumer" ${CMAKE_COMMAND} -S ${SOURCE}/tests/consumer -B ${DIR}/build
    -DCMAKE_PREFIX_PATH=${DIR}/prefix -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX})
run("building the consumer" ${CMAKE_COMMAND} --build ${DIR}/build)
run("the consumer (find_package)" ${DIR}/build/consumer)
message(STATUS "find_package: ${run_out}")
if(EXISTS ${BUILD}/tests/onnx_export_models OR EXISTS ${BUILD}/libtapegrad_onnx.a
   OR EXISTS ${BUILD}/libtapegrad_onnx.so)
  if(NOT EXISTS ${DIR}/build/consumer_onnx)
    message(FATAL_ERROR "this build has tapegrad::onnx, but the installed package did not give it")
  endif()
  run("the consumer's ONNX export (find_package)" ${DIR}/build/consumer_onnx ${DIR}/consumer.onnx)
  message(STATUS "find_package: ${run_out}")
endif()

# The tapegrad command and its bash completion, when this build has them (tools/): they work from
# the prefix, the completion as bash-completion loads it, through the installed program on PATH.
set(program ${DIR}/prefix/bin/tapegrad)
set(completion ${DIR}/prefix/share/bash-completion/completions/tapegrad)
if(EXISTS ${BUILD}/bin/tapegrad)
  foreach(f ${program} ${completion})
    if(NOT EXISTS ${f})
      message(FATAL_ERROR "cmake --install did not install ${f}")
    endif()
  endforeach()
  run("the installed tapegrad --version" ${program} --version)
  if(NOT run_out MATCHES "^tapegrad [0-9]+\\.[0-9]+\\.[0-9]+\n")
    message(FATAL_ERROR "installed tapegrad --version:\n${run_out}")
  endif()
  run("the installed completion" env PATH=${DIR}/prefix/bin:$ENV{PATH} bash -c
      "source ${completion} && COMP_WORDS=(tapegrad train-r) COMP_CWORD=1 && _tapegrad && echo \${COMPREPLY[*]}")
  if(NOT run_out STREQUAL "train-rnn\n")
    message(FATAL_ERROR "the installed completion of 'tapegrad train-r' gave '${run_out}'")
  endif()
  message(STATUS "installed ${program} and ${completion}")
endif()

find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
  message(STATUS "pkg-config is not installed: the pkg-config build is skipped")
  return()
endif()
file(GLOB pc_dir LIST_DIRECTORIES true ${DIR}/prefix/lib*/pkgconfig ${DIR}/prefix/lib/*/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
run("pkg-config" ${PKG_CONFIG} --cflags --libs tapegrad)
separate_arguments(flags UNIX_COMMAND "${run_out}")
run("building the consumer with pkg-config" ${CXX} ${SOURCE}/tests/consumer/main.cpp
    -o ${DIR}/consumer_pc ${flags})
run("the consumer (pkg-config)" ${DIR}/consumer_pc)
message(STATUS "pkg-config: ${run_out}")
