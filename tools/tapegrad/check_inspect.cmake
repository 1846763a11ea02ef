# tapegrad inspect on the checkpoint of a short real run (train-cnn, LeNet-5 + PReLU, 512 images,
# one epoch), on a small foreign safetensors file with known values, and on bad input: a
# truncated copy, a missing file and a text file are a message and exit status 1.
#   cmake -DTAPEGRAD=<program> -DDIR=<scratch dir> -P check_inspect.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})

include(${CMAKE_CURRENT_LIST_DIR}/run_tapegrad.cmake)

function(expect text regex what)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: no match for\n${regex}\nin:\n${text}")
  endif()
endfunction()

# --- a checkpoint of a real run
set(ck ${DIR}/lenet5_prelu.safetensors)
run(0 train-cnn --act prelu --limit-train 512 --limit-test 256 --epochs 1 --batch-size 64
    --seed 3 --progress 0 --save ${ck})
string(REGEX MATCH "learned activation parameters:\n(  [^\n]+\n)+" trained "${out}")
if(NOT trained)
  message(FATAL_ERROR "train-cnn printed no learned activation parameters:\n${out}")
endif()
string(REPLACE "learned activation parameters:\n" "" trained "${trained}")

run(0 inspect ${ck})
set(inspected "${out}")
expect("${out}" "^[^\n]*lenet5_prelu.safetensors: [0-9]+ bytes, [0-9]+ tensors, [0-9]+ elements\n"
       "the first line")
expect("${out}" "\nkind: tapegrad checkpoint \\(written by tapegrad [0-9.]+\\), epoch 1; [0-9]+ model elements, [0-9]+ optimizer state elements, RNG state\n"
       "the kind of file")
# Metadata: what train-cnn records, the long run log cut short.
expect("${out}" "\n  activation +prelu\n" "metadata")
expect("${out}" "\n  model +lenet5\n" "metadata")
expect("${out}" "\n  epoch +1\n" "metadata")
expect("${out}" "\n  run_log +\\{[^\n]* \\.\\.\\. \\([0-9]+ characters; --full shows all\\)\n" "metadata")
# Tensors: LeNet-5's first convolution, a PReLU slope and Adam's state, with their statistics.
set(num "-?[0-9][0-9.e+-]*")
expect("${out}" "\n  model\\.0\\.weight +F32 +\\[6, 1, 5, 5\\] +150 +${num} +${num} +${num}\n"
       "the first convolution's weight")
expect("${out}" "\n  model\\.0\\.bias +F32 +\\[6\\] +6 " "the first convolution's bias")
expect("${out}" "\n  optim\\.state\\.0\\.0\\.exp_avg +F32 +\\[6, 1, 5, 5\\] +150 +${num} +${num} +${num}\n"
       "Adam's first moment of that weight")
# 512 images in batches of 64: Adam took 8 steps.
expect("${out}" "\n  optim_scalar\\.state\\.0\\.0\\.step +8\n" "Adam's step count")
# A one-element tensor: its min, max and mean are its value.
string(REGEX MATCH "\n  model\\.1\\.weight +F32 +\\[1\\] +1 +(${num}) +(${num}) +(${num})\n" slope "${out}")
if(NOT slope OR NOT CMAKE_MATCH_1 STREQUAL CMAKE_MATCH_2 OR NOT CMAKE_MATCH_1 STREQUAL CMAKE_MATCH_3)
  message(FATAL_ERROR "model.1.weight (the first PReLU slope): expected min = max = mean:\n${out}")
endif()
# The learned activation parameters: the same lines train-cnn printed at the end of the run.
string(REGEX MATCH "learned activation parameters \\(prelu\\):\n(  [^\n]+\n)+" shown "${out}")
string(REPLACE "learned activation parameters (prelu):\n" "" shown "${shown}")
if(NOT shown STREQUAL trained)
  message(FATAL_ERROR "inspect shows the activation parameters\n${shown}\ntrain-cnn printed\n${trained}")
endif()
run(0 inspect --full ${ck})
expect("${out}" "\n  run_log +\\{[^\n]*\\}\n" "--full: the whole run log")

# --- a safetensors file that is not a checkpoint: x = [1, -2] (F32), h = [1] (F16)
set(header "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]},\"__metadata__\":{\"source\":\"check_inspect\"}}")
string(LENGTH "${header}" n)
math(EXPR n_hex "${n}" OUTPUT_FORMAT HEXADECIMAL)
string(SUBSTRING "${n_hex}" 2 -1 n_hex)
set(foreign ${DIR}/foreign.safetensors)
execute_process(COMMAND printf "\\x${n_hex}\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s\\x00\\x00\\x80\\x3f\\x00\\x00\\x00\\xc0\\x00\\x3c"
                        "${header}" OUTPUT_FILE ${foreign} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "printf could not write ${foreign}")
endif()
run(0 inspect ${foreign})
expect("${out}" "\nkind: safetensors file \\(not a tapegrad checkpoint: no tapegrad_version metadata\\)\n"
       "a foreign file")
expect("${out}" "\n  source +check_inspect\n" "a foreign file's metadata")
expect("${out}" "\n  x +F32 +\\[2\\] +2 +-2 +1 +-0\\.5\n" "x = [1, -2]")
expect("${out}" "\n  h +F16 +\\[1\\] +1 +1 +1 +1\n" "h = [1] in half precision")
if(out MATCHES "activation")
  message(FATAL_ERROR "a file that is not a checkpoint has no activations to show:\n${out}")
endif()

# --- bad input
set(truncated ${DIR}/truncated.safetensors)
execute_process(COMMAND head -c 3000 ${ck} OUTPUT_FILE ${truncated})
file(SIZE ${truncated} size)
if(NOT size EQUAL 3000)
  message(FATAL_ERROR "could not write a truncated copy of ${ck}")
endif()
run(1 inspect ${truncated})
expect("${err}" "^tapegrad inspect: load_safetensors: '[^\n]*truncated\\.safetensors': .*truncated"
       "a truncated checkpoint")
run(1 inspect ${DIR}/no_such.safetensors)
expect("${err}" "^tapegrad inspect: load_safetensors: cannot open '[^\n]*no_such\\.safetensors': No such file or directory\n$"
       "a missing file")
file(WRITE ${DIR}/notes.txt "These are notes, not a checkpoint.\n")
run(1 inspect ${DIR}/notes.txt)
expect("${err}" "^tapegrad inspect: load_safetensors: '[^\n]*notes\\.txt': .*\\(not a safetensors file, or truncated\\)\n$"
       "a text file")
run(106 inspect)  # CLI11: the required file is missing
expect("${err}" "file is required" "no file")
message(STATUS "tapegrad inspect:\n${inspected}")
