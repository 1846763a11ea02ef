#include "tapegrad/data/synthetic.hpp"

#include <cmath>
#include <vector>

#include "tapegrad/core/creation.hpp"

namespace tg::data {

std::pair<Tensor, Tensor> make_spiral(std::int64_t points, std::int64_t classes, Generator& gen,
                                      double noise) {
  if (points < 2 || classes < 1)
    fail("make_spiral: need at least 2 points per arm and 1 class, got {} and {}", points, classes);
  std::vector<float> xs;
  std::vector<std::int64_t> ys;
  const double turn = 4.0 * 3.0 / static_cast<double>(classes);  // 3 arms: 4 radians apart
  for (std::int64_t k = 0; k < classes; ++k) {
    for (std::int64_t i = 0; i < points; ++i) {
      const double r = static_cast<double>(i) / static_cast<double>(points - 1);
      const double t = turn * (static_cast<double>(k) + r) + noise * gen.normal();
      xs.push_back(static_cast<float>(r * std::sin(t)));
      xs.push_back(static_cast<float>(r * std::cos(t)));
      ys.push_back(k);
    }
  }
  return {from_vector(xs, {classes * points, 2}), from_vector(ys, {classes * points})};
}

std::pair<Tensor, Tensor> adding_problem(std::int64_t n, std::int64_t length, Generator& gen) {
  if (n < 1 || length < 2)
    fail("adding_problem: need at least 1 sequence of at least 2 steps, got {} of {}", n, length);
  const std::int64_t half = length / 2;
  std::vector<float> xs(static_cast<std::size_t>(n * length * 2), 0.0f);
  std::vector<float> ys(static_cast<std::size_t>(n));
  for (std::int64_t s = 0; s < n; ++s) {
    float* seq = xs.data() + s * length * 2;
    for (std::int64_t t = 0; t < length; ++t) seq[2 * t] = gen.uniform_float();
    const auto first = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(half)));
    const auto second =
        half + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(length - half)));
    seq[2 * first + 1] = 1.0f;
    seq[2 * second + 1] = 1.0f;
    ys[static_cast<std::size_t>(s)] = seq[2 * first] + seq[2 * second];
  }
  return {from_vector(xs, {n, length, 2}), from_vector(ys, {n, 1})};
}

}  // namespace tg::data
