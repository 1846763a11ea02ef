// The backward stepper: one step per tape entry, last first, with the gradient each entry
// received and sent, and the leaves' running sums; checked against hand-computed values.
#include <cmath>
#include <cstdio>

#include "helpers.hpp"

using namespace tg;
using Catch::Matchers::Contains;

namespace {

std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }

// What the stepper printed to a temporary file.
struct Capture {
  std::FILE* f = std::tmpfile();
  ~Capture() { std::fclose(f); }
  std::string text() const {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    return s;
  }
};

}  // namespace

TEST_CASE("stepper: L = sum(a*b + exp(a)) steps sum, add, exp, mul with hand-computed gradients",
          "[autograd][stepper]") {
  tape().clear();
  Capture out;
  Tensor a = tensor({0.5, -1.0}, {2}, DType::Float64).requires_grad_();
  Tensor b = tensor({2.0, 3.0}, {2}, DType::Float64).requires_grad_();
  std::vector<autograd::BackwardStep> steps;
  {
    autograd::BackwardStepper stepper({.out = out.f});
    stepper.name(a, "a");
    stepper.name(b, "b");
    const int line = __LINE__ + 1;
    Tensor ab = mul(a, b);
    Tensor s = add(ab, exp(a));
    Tensor l = sum(s);
    l.backward();
    steps = stepper.steps();
    REQUIRE(steps.size() == 4);
    CHECK(steps[0].op == "sum");
    CHECK(steps[1].op == "add");
    CHECK(steps[2].op == "exp");
    CHECK(steps[3].op == "mul");
    // Reverse tape order, and the line of the forward call that recorded each entry.
    for (std::size_t i = 0; i < 4; ++i) CHECK(steps[i].index == 3 - i);
    CHECK_THAT(steps[3].location, Contains(fmt::format("test_stepper.cpp:{}", line)));
    CHECK_THAT(out.text(), Contains(fmt::format("recorded at test_stepper.cpp:{}", line)));
  }
  // sum: receives 1, sends ones; exp: sends exp(a); mul: sends b to a and a to b.
  CHECK(vals(steps[0].grad_out) == std::vector<double>{1.0});
  CHECK(vals(steps[0].grads[0]) == std::vector<double>{1.0, 1.0});
  CHECK(vals(steps[2].grads[0]) == std::vector<double>{std::exp(0.5), std::exp(-1.0)});
  CHECK(vals(steps[3].grads[0]) == std::vector<double>{2.0, 3.0});
  CHECK(vals(steps[3].grads[1]) == std::vector<double>{0.5, -1.0});
  // Running sums of the leaves: after exp only a (exp(a)); after mul a = exp(a) + b, b = a.
  CHECK(steps[1].leaves.empty());
  REQUIRE(steps[2].leaves.size() == 1);
  CHECK(steps[2].leaves[0].first == "a");
  REQUIRE(steps[3].leaves.size() == 2);
  CHECK(steps[3].leaves[1].first == "b");
  const std::vector<double> da = vals(steps[3].leaves[0].second);
  CHECK(da[0] == Approx(2.0 + std::exp(0.5)).epsilon(1e-15));
  CHECK(da[1] == Approx(3.0 + std::exp(-1.0)).epsilon(1e-15));
  // ...which is what backward() put into .grad().
  CHECK(vals(a.grad()) == da);
  CHECK(vals(b.grad()) == vals(steps[3].leaves[1].second));
  const std::string text = out.text();
  CHECK_THAT(text, Contains("step 4: tape[0] mul(a, b)"));
  CHECK_THAT(text, Contains("sends to input 1 (b): [0.5000, -1.0000]"));
  CHECK_THAT(text, Contains("end of backward pass 1: 4 steps"));
  // Removed with its destructor: a later backward adds nothing.
  CHECK(autograd::observers().empty());
}

TEST_CASE(
    "stepper: broadcast gradients are summed to the leaf's shape; grad() and inputs that "
    "need no gradient",
    "[autograd][stepper]") {
  tape().clear();
  Tensor w = tensor({1.0, 2.0, 3.0}, {3}, DType::Float64).requires_grad_();
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3}, DType::Float64);  // constant
  autograd::BackwardStepper stepper({.out = nullptr});
  Tensor y = sum(mul(x, w));  // dy/dw = column sums of x = [5, 7, 9]
  TensorList g = grad({y}, {w});
  const auto& steps = stepper.steps();
  REQUIRE(steps.size() == 2);
  REQUIRE(steps[1].leaves.size() == 1);
  CHECK(steps[1].leaves[0].second.shape() == Shape{3});
  CHECK(vals(steps[1].leaves[0].second) == std::vector<double>{5.0, 7.0, 9.0});
  CHECK(vals(g[0]) == std::vector<double>{5.0, 7.0, 9.0});
  // The constant input x got no gradient, and the stepper did not count it as a leaf.
  CHECK(!steps[1].grads[0].defined());
  CHECK(!w.grad().defined());  // grad() leaves .grad() alone
}

TEST_CASE("stepper: a checkpointed segment's inner backward pass is not stepped",
          "[autograd][stepper]") {
  tape().clear();
  Tensor x = tensor({0.3, -0.7}, {2}, DType::Float64).requires_grad_();
  autograd::BackwardStepper stepper({.out = nullptr});
  Tensor h = checkpoint([](const Tensor& t) { return tanh(mul(t, t)); }, x);
  sum(h).backward();
  // The outer tape holds sum and the checkpoint's two entries; the recomputed tanh and mul, and
  // the nested pass through them, belong to the checkpoint's step.
  const auto& steps = stepper.steps();
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].op == "sum");
  CHECK(steps[1].op == "checkpoint_output");
  CHECK(steps[2].op == "checkpoint");
  for (const auto& st : steps) CHECK(st.pass == 1);
  const auto xs = vals(x);
  const std::vector<double> gx = vals(steps[2].leaves.at(0).second);
  for (std::size_t i = 0; i < 2; ++i) {
    const double t = std::tanh(xs[i] * xs[i]);
    CHECK(gx[i] == Approx((1 - t * t) * 2 * xs[i]).epsilon(1e-14));
  }
}
