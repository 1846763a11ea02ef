#pragma once
// Small generated data sets for examples and tests.
#include <utility>

#include "tapegrad/core/random.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg::data {

// The classic spiral: `classes` arms of `points` 2-D points each, x float32 [classes*points, 2],
// labels int64 [classes*points]. `noise` is the std of the angle jitter.
std::pair<Tensor, Tensor> make_spiral(std::int64_t points, std::int64_t classes, Generator& gen,
                                      double noise = 0.2);

}  // namespace tg::data
