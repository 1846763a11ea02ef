# tapegrad export on the checkpoint of a short real run (train-cnn, LeNet-5 + PAU per channel,
# 512 images, one epoch): the ONNX file is written, ONNX Runtime loads and runs it (when
# tests/onnx/setup.sh has installed it), and bad input is a message with exit status 1.
#   cmake -DTAPEGRAD=<program> -DNODE=<node or empty> -DRUNNER=<run_onnxruntime.mjs>
#         -DDIR=<scratch dir> -P check_export.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})

include(${CMAKE_CURRENT_LIST_DIR}/run_tapegrad.cmake)

set(ck ${DIR}/lenet5_pau.safetensors)
run(0 train-cnn --act "pau(per_channel=true)" --limit-train 512 --limit-test 256 --epochs 1
    --batch-size 64 --seed 3 --progress 0 --save ${ck})
run(0 export ${ck} --onnx ${DIR}/lenet5_pau.onnx)
if(NOT out MATCHES "lenet5 with pau\\(per_channel=true\\), [0-9]+ parameters -> [^\n]*lenet5_pau\\.onnx: ONNX opset 17, [0-9]+ nodes"
   OR NOT out MATCHES "output 'output' \\[N, 10\\]")
  message(FATAL_ERROR "tapegrad export printed:\n${out}")
endif()
if(NOT EXISTS ${DIR}/lenet5_pau.onnx)
  message(FATAL_ERROR "tapegrad export wrote no file")
endif()
message(STATUS "tapegrad export:\n${out}")
if(NODE)
  execute_process(COMMAND ${NODE} ${RUNNER} --run ${DIR}/lenet5_pau.onnx RESULT_VARIABLE rc
                  OUTPUT_VARIABLE ort)
  if(rc EQUAL 77)
    message(STATUS "ONNX Runtime not installed: ${ort}")
  elseif(NOT rc EQUAL 0 OR NOT ort MATCHES "output 'output' \\[2,10\\]")
    message(FATAL_ERROR "ONNX Runtime could not run the exported model (${rc}):\n${ort}")
  else()
    message(STATUS "${ort}")
  endif()
endif()

# Bad input: no file, not a checkpoint; nothing is written.
run(1 export ${DIR}/no_such.safetensors --onnx ${DIR}/x.onnx)
if(NOT err MATCHES "^tapegrad export: load_safetensors: cannot open '[^\n]*no_such\\.safetensors'")
  message(FATAL_ERROR "missing checkpoint: ${err}")
endif()
if(EXISTS ${DIR}/x.onnx)
  message(FATAL_ERROR "a failed export left ${DIR}/x.onnx behind")
endif()
run(106 export ${ck})  # CLI11: --onnx is required
