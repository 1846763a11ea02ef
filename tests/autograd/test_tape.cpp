// The tape as a data structure: depth, printing, DOT export, gradcheck's own behaviour.
#include "helpers.hpp"

using namespace tg;

TEST_CASE("a chain of 100,000 ops backpropagates without recursion", "[autograd][tape]") {
  Tensor x = tensor({1.0}, {}, DType::Float64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = mul(y, 1.00001);
  REQUIRE(tape().size() == 100000);
  sum(y).backward();
  // d/dx (x * c^n) = c^n
  tgtest::require_values(x.grad(), {std::pow(1.00001, 100000)}, 1e-9);
  REQUIRE(tape().size() == 0);
}

TEST_CASE("a dropped chain of 100,000 ops is freed without recursion", "[autograd][tape]") {
  Tensor x = tensor({1.0}, {}, DType::Float64).requires_grad_();
  {
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = add(y, 1.0);
  }
  tape().prune();
  REQUIRE(tape().size() == 0);
}

TEST_CASE("the tape printer lists index, op, input and output ids and shapes", "[autograd][tape]") {
  tape().clear();
  Tensor a = ones({2, 3}, DType::Float64).requires_grad_();
  Tensor b = ones({3}, DType::Float64);
  Tensor c = mul(a, b);
  Tensor d = sum(c);
  const std::string s = tape().to_string();
  REQUIRE(tape().size() == 2);
  CHECK_THAT(s, Catch::Contains("tape: 2 entries"));
  CHECK_THAT(
      s, Catch::Contains(fmt::format("[  0] mul            (#{}[2, 3], #{}[3](const)) -> #{}[2, 3]",
                                     a.id(), b.id(), c.id())));
  CHECK_THAT(
      s, Catch::Contains(fmt::format("[  1] sum            (#{}[2, 3]) -> #{}[]", c.id(), d.id())));
  tape().clear();
}

TEST_CASE("to_dot writes the graph behind a tensor", "[autograd][tape]") {
  Tensor a = ones({2}, DType::Float64).requires_grad_();
  Tensor y = sum(exp(a));
  const std::string dot = to_dot(y);
  CHECK_THAT(dot, Catch::StartsWith("digraph tape {"));
  CHECK_THAT(dot, Catch::Contains("exp"));
  CHECK_THAT(dot, Catch::Contains("sum"));
  CHECK_THAT(dot, Catch::Contains(fmt::format("t{} ->", a.id())));
  CHECK_THAT(dot, Catch::Contains("fillcolor"));  // the leaf parameter is shaded
  tape().clear();
}

TEST_CASE("gradcheck reports input, element, analytic and numeric values on failure",
          "[autograd][gradcheck]") {
  Tensor x = tgtest::leaf({3}, 5);
  // An op with a deliberately wrong backward: forward x^2, backward claims 3x.
  auto bad = [](const TensorList& in) {
    Tensor out;
    {
      NoGradGuard ng;
      out = mul(in[0], in[0]);
    }
    Tensor xi = in[0];
    autograd::record(
        "bad_square", {xi}, out, {.saved_inputs = autograd::saved(0)},
        [xi](const Tensor& g, const Tensor&) { return TensorList{mul(g, mul(xi, 3.0))}; });
    return out;
  };
  const GradcheckResult r = gradcheck(bad, {x});
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.message, Catch::Contains("input 0") && Catch::Contains("element") &&
                            Catch::Contains("analytic") && Catch::Contains("numeric"));
  REQUIRE_THROWS_AS(gradcheck(bad, {x}, {.throw_on_failure = true}), Error);
  tape().clear();
}

TEST_CASE("gradcheck refuses float32 inputs", "[autograd][gradcheck]") {
  Tensor x = ones({2}).requires_grad_();
  REQUIRE_THROWS_WITH(gradcheck([](const TensorList& in) { return exp(in[0]); }, {x}),
                      Catch::Contains("float64"));
}
