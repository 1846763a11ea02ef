#include "helpers.hpp"

using namespace tg;

TEST_CASE("backward: gradient of a small expression", "[autograd]") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {}, DType::Float64).requires_grad_();
  Tensor w = tensor({0.5, -1.0, 2.0}, {}, DType::Float64).requires_grad_();
  Tensor y = sum(mul(tanh(mul(x, w)), x));
  y.backward();
  // d/dx [tanh(w x) x] = tanh(w x) + x w (1 - tanh^2(w x))
  std::vector<double> ex, ew;
  const double xs[] = {1, 2, 3}, ws[] = {0.5, -1, 2};
  for (int i = 0; i < 3; ++i) {
    const double t = std::tanh(xs[i] * ws[i]);
    ex.push_back(t + xs[i] * ws[i] * (1 - t * t));
    ew.push_back(xs[i] * xs[i] * (1 - t * t));
  }
  tgtest::require_values(x.grad(), ex, 1e-12);
  tgtest::require_values(w.grad(), ew, 1e-12);
  REQUIRE(tape().size() == 0);
}

TEST_CASE("gradcheck: smoke matmul + softmax", "[autograd]") {
  Tensor a = tgtest::leaf({3, 4}, 1), b = tgtest::leaf({4, 2}, 2);
  REQUIRE_GRADCHECK([](const TensorList& in) { return softmax(matmul(in[0], in[1]), 1); },
                    TensorList{a, b});
}
