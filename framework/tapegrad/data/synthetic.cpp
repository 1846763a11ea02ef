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

}  // namespace tg::data
