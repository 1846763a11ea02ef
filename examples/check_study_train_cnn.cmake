# A study's relu LeNet-5 run gives the bits train_cnn gives with the same recipe, seed, thread
# count and validation split (both write their epochs through train::RunLog, whose JSON prints
# doubles with round-trip precision).
#   cmake -DSTUDY=<study> -DTRAIN=<train_cnn> -DDIR=<scratch dir> -P check_study_train_cnn.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
set(recipe --epochs 2 --limit-train 3000 --val-split 500 --limit-test 1000 --threads 2)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()

run(${STUDY} run --acts relu --seeds 1 ${recipe} --workers 1 --probe-size 128 --progress 0
    --no-report
    --out ${DIR}/study)
run(${STUDY} dump ${DIR}/study --run lenet5/adam/lr=0.001/relu/seed=1 --json ${DIR}/study.json)
run(${TRAIN} ${recipe} --seed 1 --progress 0 --json ${DIR}/train_cnn.json)

file(READ ${DIR}/study.json study)
file(READ ${DIR}/train_cnn.json hand)
foreach(key train_loss train_accuracy val_loss val_accuracy test_loss test_accuracy)
  string(JSON n LENGTH "${study}" ${key})
  string(JSON m LENGTH "${hand}" ${key})
  if(NOT n EQUAL 2 OR NOT m EQUAL 2)
    message(FATAL_ERROR "${key}: expected 2 epochs in both logs, got ${n} and ${m}")
  endif()
  foreach(i 0 1)
    string(JSON a GET "${study}" ${key} ${i})
    string(JSON b GET "${hand}" ${key} ${i})
    if(NOT a STREQUAL b)
      message(FATAL_ERROR "${key}[${i}]: the study recorded ${a}, train_cnn ${b}")
    endif()
  endforeach()
  message(STATUS "${key}: identical (${a})")
endforeach()
