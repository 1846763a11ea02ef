#pragma once
/// @file
/// Small generated data sets for examples and tests.
#include <utility>

#include "tapegrad/core/random.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg::data {

/// The classic spiral: `classes` arms of `points` 2-D points each, x float32 [classes*points, 2],
/// labels int64 [classes*points]. `noise` is the std of the angle jitter.
std::pair<Tensor, Tensor> make_spiral(std::int64_t points, std::int64_t classes, Generator& gen,
                                      double noise = 0.2);

/// The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015), a test of long memory:
/// `n` sequences of `length` steps, x float32 [n, length, 2] (batch first). Feature 0 of each
/// step is a value drawn from U(0, 1); feature 1 is a marker, 1 at exactly two steps (one drawn
/// from the first half of the sequence, one from the second) and 0 elsewhere. The target y
/// float32 [n, 1] is the sum of the two marked values. Predicting its mean (1) for every sequence
/// gives an MSE of its variance, 1/6; doing better needs the first marked value remembered for up
/// to `length` steps. Needs length >= 2.
std::pair<Tensor, Tensor> adding_problem(std::int64_t n, std::int64_t length, Generator& gen);

}  // namespace tg::data
