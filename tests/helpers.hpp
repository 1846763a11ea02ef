#pragma once
// Shared helpers for the test programs.
#include <catch2/catch.hpp>

#include <cmath>
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

}  // namespace tgtest

// Runs tg::gradcheck(fn, inputs[, options]) and fails the test with its message. Variadic so
// that braces with commas (TensorList{a, b}) need no extra parentheses.
#define REQUIRE_GRADCHECK(...)                            \
  do {                                                    \
    const auto gc_result_ = ::tg::gradcheck(__VA_ARGS__); \
    INFO(gc_result_.message);                             \
    REQUIRE(gc_result_.ok);                               \
  } while (0)
