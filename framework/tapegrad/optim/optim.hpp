#pragma once
/// @file
/// Everything in tg::optim: optimizers, learning-rate schedulers, gradient clipping.
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/clip.hpp"
#include "tapegrad/optim/optimizer.hpp"
#include "tapegrad/optim/rmsprop.hpp"
#include "tapegrad/optim/scheduler.hpp"
#include "tapegrad/optim/sgd.hpp"
