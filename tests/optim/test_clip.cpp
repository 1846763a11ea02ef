// Gradient clipping: clip_grad_norm_ (2-norm, 1-norm, inf-norm, returns the norm before
// clipping) and clip_grad_value_.
#include <cmath>
#include <limits>

#include "helpers.hpp"
#include "tapegrad/optim/optim.hpp"

using namespace tg;
using namespace tg::optim;

namespace {
Tensor param_with_grad(const std::vector<double>& g, const Shape& shape) {
  Tensor p = zeros(shape, DType::Float64);
  p.requires_grad_();
  p.set_grad(tensor(g, shape, DType::Float64));
  return p;
}
}  // namespace

TEST_CASE("clip_grad_norm_: 2-norm over all parameters", "[optim][clip]") {
  // grads [3, 4] and [[12]]: total 2-norm sqrt(9 + 16 + 144) = 13.
  Tensor a = param_with_grad({3, 4}, {2}), b = param_with_grad({12}, {1, 1});
  Tensor none = zeros({3}, DType::Float64);
  none.requires_grad_();  // no gradient: ignored
  const double total = clip_grad_norm_({a, none, b}, 6.5);
  REQUIRE(total == Approx(13));
  // scaled by 6.5 / (13 + 1e-6)
  const double c = 6.5 / (13 + 1e-6);
  tgtest::require_values(a.grad(), {3 * c, 4 * c}, 1e-12);
  tgtest::require_values(b.grad(), {12 * c}, 1e-12);
  REQUIRE_FALSE(none.grad().defined());
  // Now the norm is 13c < 6.5 < 7: with max_norm 7 nothing changes. (With max_norm 6.5 the
  // coefficient 6.5 / (13c + 1e-6) would be just below 1 and scale again, as in PyTorch.)
  const double again = clip_grad_norm_({a, b}, 7);
  REQUIRE(again == Approx(13 * c));
  tgtest::require_values(a.grad(), {3 * c, 4 * c}, 1e-15);
}

TEST_CASE("clip_grad_norm_: below max_norm leaves gradients alone", "[optim][clip]") {
  Tensor a = param_with_grad({3, -4}, {2});
  const auto v = a.grad().version();
  REQUIRE(clip_grad_norm_({a}, 10) == Approx(5));
  tgtest::require_values(a.grad(), {3, -4}, 0);
  REQUIRE(a.grad().version() == v);
}

TEST_CASE("clip_grad_norm_: inf-norm and 1-norm", "[optim][clip]") {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor a = param_with_grad({1, -7}, {2}), b = param_with_grad({2, 5, -3}, {3});
  // inf-norm = max |g| = 7; scale 3.5 / (7 + 1e-6)
  REQUIRE(clip_grad_norm_({a, b}, 3.5, inf) == Approx(7));
  const double c = 3.5 / (7 + 1e-6);
  tgtest::require_values(a.grad(), {c, -7 * c}, 1e-12);
  tgtest::require_values(b.grad(), {2 * c, 5 * c, -3 * c}, 1e-12);

  Tensor d = param_with_grad({1, -2, 3}, {3});
  // 1-norm = 6; scale 3 / (6 + 1e-6)
  REQUIRE(clip_grad_norm_({d}, 3, 1) == Approx(6));
  const double c1 = 3 / (6 + 1e-6);
  tgtest::require_values(d.grad(), {c1, -2 * c1, 3 * c1}, 1e-12);

  Tensor e = param_with_grad({1, -2}, {2});
  // 3-norm = (1 + 8)^(1/3) = 9^(1/3)
  REQUIRE(clip_grad_norm_({e}, 100, 3) == Approx(std::cbrt(9.0)));
}

TEST_CASE("clip_grad_norm_: float32 gradients, no gradients at all", "[optim][clip]") {
  Tensor p = zeros({2}, DType::Float32);
  p.requires_grad_();
  REQUIRE(clip_grad_norm_({p}, 1) == 0);  // no gradient anywhere
  p.set_grad(tensor({6, 8}, {2}, DType::Float32));
  REQUIRE(clip_grad_norm_({p}, 5) == Approx(10));
  tgtest::require_values(p.grad(), {3, 4}, 1e-5);  // 6 * 5/10, 8 * 5/10
}

TEST_CASE("clip_grad_norm_: an expanded gradient is replaced, not written through",
          "[optim][clip]") {
  // A stride-0 gradient shares one storage element among all its entries; clipping must give
  // each entry its own scaled value without touching the source.
  const Tensor src = tensor({2}, {1}, DType::Float64);
  Tensor p = zeros({4}, DType::Float64);
  p.requires_grad_();
  p.set_grad(src.expand({4}));
  REQUIRE(clip_grad_norm_({p}, 2) == Approx(4));  // sqrt(4 * 4)
  tgtest::require_values(p.grad(), {1, 1, 1, 1}, 1e-6);
  tgtest::require_values(src, {2}, 0);
}

TEST_CASE("clip_grad_value_", "[optim][clip]") {
  Tensor a = param_with_grad({0.5, -3, 2, -0.1}, {2, 2});
  Tensor none = zeros({1}, DType::Float64);
  none.requires_grad_();
  clip_grad_value_({a, none}, 1);
  tgtest::require_values(a.grad(), {0.5, -1, 1, -0.1}, 0);
  REQUIRE_FALSE(none.grad().defined());
}

TEST_CASE("errors: clipping arguments", "[optim][clip]") {
  Tensor a = param_with_grad({1}, {1});
  REQUIRE_THROWS_WITH(clip_grad_norm_({a}, -1),
                      Catch::Contains("clip_grad_norm_") && Catch::Contains("max_norm"));
  REQUIRE_THROWS_WITH(clip_grad_norm_({a}, 1, 0), Catch::Contains("norm_type"));
  REQUIRE_THROWS_WITH(clip_grad_value_({a}, -1), Catch::Contains("clip_grad_value_"));
  REQUIRE_THROWS_WITH(clip_grad_norm_({Tensor()}, 1), Catch::Contains("undefined"));
}
