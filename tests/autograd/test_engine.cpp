// The backward engine: accumulation, retain/consume, grad(), guards, error paths.
#include "helpers.hpp"

using namespace tg;

namespace {
Tensor f64(std::initializer_list<double> v, const Shape& s = {}) {
  return tensor(v, s, DType::Float64);
}
}  // namespace

TEST_CASE("backward: gradient of a small expression against the hand-derived formula",
          "[autograd]") {
  Tensor x = f64({1.0, 2.0, 3.0}).requires_grad_();
  Tensor w = f64({0.5, -1.0, 2.0}).requires_grad_();
  Tensor y = sum(mul(tanh(mul(x, w)), x));
  y.backward();
  // d/dx [tanh(w x) x] = tanh(w x) + x w (1 - tanh^2(w x));  d/dw = x^2 (1 - tanh^2(w x))
  std::vector<double> ex, ew;
  const double xs[] = {1, 2, 3}, ws[] = {0.5, -1, 2};
  for (int i = 0; i < 3; ++i) {
    const double t = std::tanh(xs[i] * ws[i]);
    ex.push_back(t + xs[i] * ws[i] * (1 - t * t));
    ew.push_back(xs[i] * xs[i] * (1 - t * t));
  }
  tgtest::require_values(x.grad(), ex, 1e-12);
  tgtest::require_values(w.grad(), ew, 1e-12);
  REQUIRE_FALSE(x.grad().requires_grad());
  REQUIRE(tape().size() == 0);  // consumed
}

TEST_CASE("backward: gradients accumulate into leaves until zero_grad", "[autograd]") {
  Tensor x = f64({2.0}).requires_grad_();
  mul(x, x).sum().backward();    // 2x = 4
  mul(x, 3.0).sum().backward();  // + 3
  tgtest::require_values(x.grad(), {7.0}, 1e-12);
  x.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("backward: a tensor used twice receives the sum of both paths", "[autograd]") {
  Tensor x = f64({3.0}).requires_grad_();
  Tensor y = add(mul(x, x), exp(x)).sum();  // dy/dx = 2x + e^x
  y.backward();
  tgtest::require_values(x.grad(), {6.0 + std::exp(3.0)}, 1e-12);
}

TEST_CASE("backward: second backward through a consumed tape fails clearly", "[autograd]") {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor h = tanh(x);
  Tensor y = sum(h);
  y.backward();
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("consumed") && Catch::Contains("retain_graph"));
  // A new graph that reuses the consumed intermediate h also fails before computing anything.
  Tensor z = sum(mul(h, 2.0));
  REQUIRE_THROWS_WITH(z.backward(), Catch::Contains("consumed"));
  tape().clear();
}

TEST_CASE("backward: retain_graph allows a second pass", "[autograd]") {
  Tensor x = f64({1.5}).requires_grad_();
  Tensor y = sum(mul(x, x));
  y.backward({.retain_graph = true});
  REQUIRE(tape().size() > 0);
  y.backward();
  tgtest::require_values(x.grad(), {6.0}, 1e-12);  // 2 * 2x
  REQUIRE(tape().size() == 0);
}

TEST_CASE("backward: non-scalar output needs an explicit gradient", "[autograd]") {
  Tensor x = f64({1.0, 2.0, 3.0}).requires_grad_();
  Tensor y = mul(x, x);
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("scalar") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(y.backward(f64({1.0, 1.0})),
                      Catch::Contains("[2]") && Catch::Contains("[3]"));
  y.backward(f64({1.0, 0.5, -1.0}));
  tgtest::require_values(x.grad(), {2.0, 2.0, -6.0}, 1e-12);
}

TEST_CASE("backward: output without history is an error", "[autograd]") {
  Tensor x = f64({1.0});
  REQUIRE_THROWS_WITH(sum(x).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("grad: returns gradients without touching .grad()", "[autograd]") {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor w = f64({3.0, 4.0}).requires_grad_();
  Tensor y = sum(mul(x, w));
  TensorList g = grad({y}, {x, w});
  tgtest::require_values(g[0], {3.0, 4.0});
  tgtest::require_values(g[1], {1.0, 2.0});
  REQUIRE_FALSE(x.grad().defined());
  REQUIRE_FALSE(w.grad().defined());
}

TEST_CASE("grad: unused input is an error unless allow_unused", "[autograd]") {
  Tensor x = f64({1.0}).requires_grad_();
  Tensor u = f64({1.0}).requires_grad_();
  Tensor y = sum(exp(x));
  REQUIRE_THROWS_WITH(grad({y}, {x, u}, {.retain_graph = true}), Catch::Contains("allow_unused"));
  TensorList g = grad({y}, {x, u}, {.allow_unused = true});
  REQUIRE(g[0].defined());
  REQUIRE_FALSE(g[1].defined());
}

TEST_CASE("grad: with respect to an intermediate tensor", "[autograd]") {
  Tensor x = f64({0.5}).requires_grad_();
  Tensor h = mul(x, 4.0);
  Tensor y = sum(mul(h, h));  // dy/dh = 2h = 4
  tgtest::require_values(grad(y, h), {4.0}, 1e-12);
}

TEST_CASE("retain_grad keeps the gradient of an intermediate", "[autograd]") {
  Tensor x = f64({1.0, -2.0}).requires_grad_();
  Tensor h = mul(x, 3.0);
  h.retain_grad();
  sum(mul(h, h)).backward();
  tgtest::require_values(h.grad(), {6.0, -12.0}, 1e-12);
  tgtest::require_values(x.grad(), {18.0, -36.0}, 1e-12);
}

TEST_CASE("detach stops the gradient", "[autograd]") {
  Tensor x = f64({2.0}).requires_grad_();
  Tensor y = sum(mul(x, x.detach()));  // treats the second factor as a constant
  y.backward();
  tgtest::require_values(x.grad(), {2.0}, 1e-12);
}

TEST_CASE("NoGradGuard and EnableGradGuard", "[autograd]") {
  Tensor x = f64({1.0}).requires_grad_();
  {
    NoGradGuard ng;
    Tensor y = exp(x);
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(tape().size() == 0);
    {
      EnableGradGuard eg;
      Tensor z = exp(x);
      REQUIRE(z.requires_grad());
      REQUIRE(tape().size() == 1);
    }
    REQUIRE_FALSE(is_grad_enabled());
  }
  REQUIRE(is_grad_enabled());
  tape().clear();
}

TEST_CASE("in-place change of a saved tensor is refused with a clear error", "[autograd]") {
  Tensor a = f64({1.0, 2.0});
  Tensor x = f64({0.5, 0.25}).requires_grad_();
  Tensor y = sum(mul(x, a));  // mul saves a for its backward
  REQUIRE_THROWS_WITH(a.mul_(2.0), Catch::Contains("saved by") && Catch::Contains("backward"));
  REQUIRE(a.version() == 0);
  y.backward();
  tgtest::require_values(x.grad(), {1.0, 2.0}, 1e-12);
  a.mul_(2.0);  // allowed once the tape no longer needs it
  REQUIRE(a.version() == 1);
  tgtest::require_values(a, {2.0, 4.0});
}

TEST_CASE("in-place change of a view of a saved tensor is refused too", "[autograd]") {
  Tensor a = f64({1.0, 2.0, 3.0});
  Tensor x = f64({1.0, 1.0, 1.0}).requires_grad_();
  Tensor y = sum(mul(x, a));
  Tensor v = a.slice(0, 1, 2);
  REQUIRE_THROWS_WITH(v.fill_(0.0), Catch::Contains("saved by"));
  tape().clear();
  v.fill_(0.0);
  tgtest::require_values(a, {1.0, 0.0, 3.0});
}

TEST_CASE("in-place change of a leaf that requires grad needs NoGradGuard", "[autograd]") {
  Tensor w = f64({1.0}).requires_grad_();
  REQUIRE_THROWS_WITH(w.add_(f64({1.0})), Catch::Contains("NoGradGuard"));
  {
    NoGradGuard ng;
    w.add_(f64({1.0}), -0.5);
  }
  tgtest::require_values(w, {0.5});
}

TEST_CASE("the tape forgets graphs nobody can backpropagate", "[autograd]") {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  {
    Tensor y = sum(exp(tanh(x)));  // dropped without backward
  }
  REQUIRE(tape().size() == 3);
  REQUIRE(tape().prune() == 3);
  REQUIRE(tape().size() == 0);
  // A live graph survives pruning.
  Tensor keep = sum(exp(x));
  tape().prune();
  REQUIRE(tape().size() == 2);
  keep.backward();
  REQUIRE(tape().size() == 0);
}

TEST_CASE("backward of one loss leaves an independent graph intact", "[autograd]") {
  Tensor x = f64({1.0}).requires_grad_();
  Tensor y1 = sum(mul(x, 2.0));
  Tensor y2 = sum(mul(x, 5.0));
  y1.backward();
  REQUIRE(tape().size() == 2);
  y2.backward();
  tgtest::require_values(x.grad(), {7.0}, 1e-12);
}

TEST_CASE("a fused backward refuses double backward clearly", "[autograd]") {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor out = x.detach().clone();  // stand-in for a fused kernel's output: 2x
  {
    NoGradGuard ng;
    out.mul_(2.0);
  }
  autograd::record("fused_double", {x}, out, {.fused = true}, [](const Tensor& g, const Tensor&) {
    NoGradGuard ng;  // a kernel: no ops recorded
    return TensorList{mul(g, 2.0)};
  });
  Tensor y = sum(mul(out, out));
  TensorList g = grad({y}, {x}, {.create_graph = true});
  tgtest::require_values(g[0], {8.0, 16.0}, 1e-12);  // d/dx (2x)^2 = 8x
  REQUIRE(g[0].requires_grad());
  REQUIRE_THROWS_WITH(sum(g[0]).backward(),
                      Catch::Contains("fused_double") && Catch::Contains("double backward"));
  tape().clear();
}
