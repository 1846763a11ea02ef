# A run stopped after epoch 1 and resumed from its checkpoint must end exactly where an
# uninterrupted run ends: same losses and accuracies to the last bit (the JSON run logs print
# doubles with round-trip precision), for a small LeNet-5 + PReLU run on Fashion-MNIST.
#   cmake -DTRAIN=<train_cnn> -DDIR=<scratch dir> -P check_resume.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
set(common --act prelu --limit-train 2048 --limit-test 1000 --epochs 2 --seed 5 --progress 0)

function(run)
  execute_process(COMMAND ${TRAIN} ${common} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TRAIN} ${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run(--save ${DIR}/full.safetensors --json ${DIR}/full.json)
run(--save ${DIR}/part.safetensors --stop-after 1)
run(--resume ${DIR}/part.safetensors --save ${DIR}/part.safetensors --json ${DIR}/resumed.json)

file(READ ${DIR}/full.json full)
file(READ ${DIR}/resumed.json resumed)
foreach(key train_loss train_accuracy test_loss test_accuracy)
  string(JSON n LENGTH "${full}" ${key})
  string(JSON m LENGTH "${resumed}" ${key})
  if(NOT n EQUAL 2 OR NOT m EQUAL 2)
    message(FATAL_ERROR "${key}: expected 2 epochs in both logs, got ${n} and ${m}")
  endif()
  foreach(i 0 1)
    string(JSON a GET "${full}" ${key} ${i})
    string(JSON b GET "${resumed}" ${key} ${i})
    if(NOT a STREQUAL b)
      message(FATAL_ERROR "${key}[${i}]: uninterrupted ${a}, resumed ${b}")
    endif()
  endforeach()
endforeach()
string(JSON loss GET "${full}" test_loss 1)
message(STATUS "resume: both runs end with test loss ${loss}")
