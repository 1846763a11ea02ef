#pragma once
// Shared helpers for the test programs.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad/tapegrad.hpp"

namespace tgtest {

// A float64 leaf that requires grad, with values from a fixed generator (no ties, no zeros
// unless the caller shifts them).
inline tg::Tensor leaf(const tg::Shape& shape, std::uint64_t seed = 1, double lo = -1.0,
                       double hi = 1.0) {
  tg::Generator g(seed);
  tg::Tensor t = tg::uniform(shape, lo, hi, tg::DType::Float64, &g);
  t.requires_grad_();
  return t;
}

// Values of a tensor compared one by one with Approx.
inline void require_values(const tg::Tensor& t, const std::vector<double>& expected,
                           double eps = 1e-6) {
  const auto v = t.to_vector<double>();
  REQUIRE(v.size() == expected.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    REQUIRE(v[i] == Approx(expected[i]).epsilon(eps).margin(eps));
  }
}

// 0, 1, 2, ... laid out row-major in `shape` (element [i, j] of an {A, B} tensor is i*B + j), so
// expected values are easy to write by hand.
inline tg::Tensor iota(const tg::Shape& shape, tg::DType dtype = tg::DType::Float64) {
  return tg::arange(0, static_cast<double>(tg::numel_of(shape)), 1, dtype).reshape(shape);
}

// Gradchecks u -> (gradient of <op(x), u> w.r.t. x), recorded with create_graph. It passes only
// if op's backward is built from recorded, differentiable ops and is op's transpose, which is
// what double backward through op needs.
inline void require_backward_differentiable(const std::function<tg::Tensor(const tg::Tensor&)>& op,
                                            const tg::Shape& in_shape) {
  tg::Tensor x = leaf(in_shape, 11);
  tg::Shape out_shape;
  {
    tg::NoGradGuard ng;
    out_shape = op(x).shape();
  }
  tg::Tensor u = leaf(out_shape, 12);
  const auto r = tg::gradcheck(
      [&](const tg::TensorList& in) {
        tg::EnableGradGuard eg;  // gradcheck also evaluates fn under NoGradGuard
        return tg::grad(op(x), x, {.create_graph = true, .grad_outputs = {in[0]}});
      },
      tg::TensorList{u});
  INFO(r.message);
  REQUIRE(r.ok);
}

}  // namespace tgtest

// Runs tg::gradcheck(fn, inputs[, options]) and fails the test with its message. Variadic so
// that braces with commas (TensorList{a, b}) need no extra parentheses.
#define REQUIRE_GRADCHECK(...)                            \
  do {                                                    \
    const auto gc_result_ = ::tg::gradcheck(__VA_ARGS__); \
    INFO(gc_result_.message);                             \
    REQUIRE(gc_result_.ok);                               \
  } while (0)
