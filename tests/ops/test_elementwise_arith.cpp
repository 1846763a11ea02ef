// Arithmetic elementwise ops: add, sub, mul, div (tensor, scalar and operator forms), neg, pow
// (tensor^tensor, tensor^scalar, scalar^tensor), square. Gradchecks over broadcasting and
// non-contiguous layouts, hand-computed values, int64 arithmetic, and error messages.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace tg;

namespace {

using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;
using Unary = std::function<Tensor(const Tensor&)>;

// One operand layout for a binary gradcheck: the leaf shapes and how fn turns each leaf into the
// operand actually passed to the op (identity, transpose, slice).
struct BinaryCase {
  const char* name;
  Shape shape_a, shape_b;
  Unary view_a, view_b;
};

Tensor ident(const Tensor& t) { return t; }

std::vector<BinaryCase> binary_cases() {
  return {
      {"same shape [2,3]", {2, 3}, {2, 3}, ident, ident},
      {"[3,1] with [1,4]", {3, 1}, {1, 4}, ident, ident},
      {"[2,3,4] with [4]", {2, 3, 4}, {4}, ident, ident},
      {"[4] with [2,3,4]", {4}, {2, 3, 4}, ident, ident},
      {"0-d with [2,3]", {}, {2, 3}, ident, ident},
      {"[2,3] with 0-d", {2, 3}, {}, ident, ident},
      {"0-d with 0-d", {}, {}, ident, ident},
      {"transposed [4,3]^T with [3,4]",
       {4, 3},
       {3, 4},
       [](const Tensor& t) { return t.t(); },
       ident},
      {"[3,4] with transposed [4,3]^T",
       {3, 4},
       {4, 3},
       ident,
       [](const Tensor& t) { return t.t(); }},
      {"sliced columns [4,6][:, ::2] with sliced rows [8,3][1::2]",
       {4, 6},
       {8, 3},
       [](const Tensor& t) { return t.slice(1, 0, 6, 2); },
       [](const Tensor& t) { return t.slice(0, 1, 8, 2); }},
      {"transposed [4,3]^T with [3,1]",
       {4, 3},
       {3, 1},
       [](const Tensor& t) { return t.t(); },
       ident},
      {"expanded [3,1]->[3,4] with [3,4]",
       {3, 1},
       {3, 4},
       [](const Tensor& t) {
         return t.expand({3, 4});
       },
       ident},
  };
}

// Gradchecks op over every layout in binary_cases(), a with values in [alo, ahi], b in [blo, bhi].
void gradcheck_binary(const Binary& op, double alo, double ahi, double blo, double bhi) {
  std::uint64_t seed = 10;
  for (const BinaryCase& c : binary_cases()) {
    INFO("case: " << c.name);
    Tensor a = tgtest::leaf(c.shape_a, seed++, alo, ahi);
    Tensor b = tgtest::leaf(c.shape_b, seed++, blo, bhi);
    const Unary va = c.view_a, vb = c.view_b;
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(va(in[0]), vb(in[1])); },
                      TensorList{a, b});
  }
}

// Second-order gradcheck on a broadcasting pair.
void gradcheck_binary_second(const Binary& op, double alo, double ahi, double blo, double bhi) {
  Tensor a = tgtest::leaf({3, 1}, 3, alo, ahi);
  Tensor b = tgtest::leaf({1, 4}, 4, blo, bhi);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return op(in[0], in[1]); }, TensorList{a, b},
                    {.check_second_order = true});
  // Also with one operand transposed, so the recorded backward sees a strided input.
  Tensor c = tgtest::leaf({4, 3}, 5, alo, ahi);
  Tensor d = tgtest::leaf({3, 4}, 6, blo, bhi);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return op(in[0].t(), in[1]); }, TensorList{c, d},
                    {.check_second_order = true});
}

// Unary gradchecks: 1-D, 3-D, 0-d, transposed, sliced, expanded.
void gradcheck_unary(const Unary& op, double lo, double hi, bool second_order) {
  struct Case {
    const char* name;
    Shape shape;
    Unary view;
  };
  const std::vector<Case> cases = {
      {"[5]", {5}, ident},
      {"[2,3,4]", {2, 3, 4}, ident},
      {"0-d", {}, ident},
      {"transposed [4,3]^T", {4, 3}, [](const Tensor& t) { return t.t(); }},
      {"sliced [6,5][1:5:2, ::2]",
       {6, 5},
       [](const Tensor& t) { return t.slice(0, 1, 5, 2).slice(1, 0, 5, 2); }},
      {"expanded [3,1]->[3,4]",
       {3, 1},
       [](const Tensor& t) {
         return t.expand({3, 4});
       }},
  };
  std::uint64_t seed = 30;
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    Tensor x = tgtest::leaf(c.shape, seed++, lo, hi);
    const Unary v = c.view;
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(v(in[0])); }, TensorList{x});
  }
  if (second_order) {
    Tensor x = tgtest::leaf({4, 3}, 40, lo, hi);
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(in[0].t()); }, TensorList{x},
                      {.check_second_order = true});
  }
}

Tensor f64(std::initializer_list<double> v, const Shape& shape = {}) {
  return tensor(v, shape, DType::Float64);
}

}  // namespace

// ---------------------------------------------------------------- add / sub / mul / div

TEST_CASE("gradcheck: add over broadcast and strided layouts", "[ops][elementwise]") {
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return add(a, b); }, -1, 1, -1, 1);
  gradcheck_binary_second([](const Tensor& a, const Tensor& b) { return add(a, b); }, -1, 1, -1, 1);
}

TEST_CASE("gradcheck: sub over broadcast and strided layouts", "[ops][elementwise]") {
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return sub(a, b); }, -1, 1, -1, 1);
  gradcheck_binary_second([](const Tensor& a, const Tensor& b) { return sub(a, b); }, -1, 1, -1, 1);
}

TEST_CASE("gradcheck: mul over broadcast and strided layouts", "[ops][elementwise]") {
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return mul(a, b); }, -1, 1, -1, 1);
  gradcheck_binary_second([](const Tensor& a, const Tensor& b) { return mul(a, b); }, -1, 1, -1, 1);
}

TEST_CASE("gradcheck: div over broadcast and strided layouts", "[ops][elementwise]") {
  // Denominators kept in [0.5, 2] (away from 0).
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return div(a, b); }, -1, 1, 0.5, 2);
  gradcheck_binary_second([](const Tensor& a, const Tensor& b) { return div(a, b); }, -1, 1, 0.5,
                          2);
  // Negative denominators too.
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return div(a, b); }, -1, 1, -2, -0.5);
}

TEST_CASE("gradcheck: the same tensor on both sides of a binary op", "[ops][elementwise]") {
  // x*x, x/x, x-x, x+x: both gradient contributions land on one leaf.
  Tensor x = tgtest::leaf({2, 3}, 7, 0.5, 2);
  REQUIRE_GRADCHECK([](const TensorList& in) { return mul(in[0], in[0]); }, TensorList{x},
                    {.check_second_order = true});
  REQUIRE_GRADCHECK([](const TensorList& in) { return div(in[0], in[0]); }, TensorList{x},
                    {.check_second_order = true});
  REQUIRE_GRADCHECK([](const TensorList& in) { return sub(in[0], in[0].t().t()); }, TensorList{x});
  REQUIRE_GRADCHECK([](const TensorList& in) { return add(in[0], in[0]); }, TensorList{x});
}

TEST_CASE("gradcheck: scalar forms and C++ operators", "[ops][elementwise]") {
  struct Case {
    const char* name;
    Unary op;
  };
  const std::vector<Case> cases = {
      {"add(x, 2.5)", [](const Tensor& x) { return add(x, 2.5); }},
      {"sub(x, 2.5)", [](const Tensor& x) { return sub(x, 2.5); }},
      {"mul(x, -1.5)", [](const Tensor& x) { return mul(x, -1.5); }},
      {"div(x, 0.7)", [](const Tensor& x) { return div(x, 0.7); }},
      {"x + 2.5", [](const Tensor& x) { return x + 2.5; }},
      {"x - 2.5", [](const Tensor& x) { return x - 2.5; }},
      {"x * -1.5", [](const Tensor& x) { return x * -1.5; }},
      {"x / 0.7", [](const Tensor& x) { return x / 0.7; }},
      {"2.5 + x", [](const Tensor& x) { return 2.5 + x; }},
      {"2.5 - x", [](const Tensor& x) { return 2.5 - x; }},
      {"-1.5 * x", [](const Tensor& x) { return -1.5 * x; }},
      {"2.5 / x", [](const Tensor& x) { return 2.5 / x; }},
      {"-x", [](const Tensor& x) { return -x; }},
  };
  for (const Case& c : cases) {
    INFO("op: " << c.name);
    // Values in [0.5, 2] so 2.5 / x stays smooth.
    gradcheck_unary(c.op, 0.5, 2, /*second_order=*/true);
  }
  // Tensor operators over a broadcasting, transposed pair.
  Tensor a = tgtest::leaf({4, 3}, 8, 0.5, 2), b = tgtest::leaf({4}, 9, 0.5, 2);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        const Tensor x = in[0].t(), y = in[1];
        return (x + y) * (x - y) / y - x;
      },
      TensorList{a, b}, {.check_second_order = true});
}

TEST_CASE("gradcheck: neg", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return neg(x); }, -1, 1, true);
}

TEST_CASE("add/sub/mul/div: values by hand with broadcasting", "[ops][elementwise]") {
  const Tensor row = tensor({1, 2, 3}, {3});
  const Tensor col = tensor({10, 20}, {2, 1});
  // [1,2,3] + [[10],[20]] = [[11,12,13],[21,22,23]]
  Tensor s = add(row, col);
  REQUIRE(s.shape() == Shape{2, 3});
  REQUIRE(s.dtype() == DType::Float32);
  tgtest::require_values(s, {11, 12, 13, 21, 22, 23});
  // [1,2,3] - [[10],[20]] = [[-9,-8,-7],[-19,-18,-17]]
  tgtest::require_values(sub(row, col), {-9, -8, -7, -19, -18, -17});
  // [[1,2],[3,4]] * [10,100] = [[10,200],[30,400]]
  tgtest::require_values(mul(tensor({1, 2, 3, 4}, {2, 2}), tensor({10, 100}, {2})),
                         {10, 200, 30, 400});
  // [1,-3,6] / [2,4,-3] = [0.5,-0.75,-2]
  tgtest::require_values(div(tensor({1, -3, 6}), tensor({2, 4, -3})), {0.5, -0.75, -2});
  // 0-d with 0-d stays 0-d: 3 * 4 = 12
  Tensor z = mul(scalar_tensor(3.0), scalar_tensor(4.0));
  REQUIRE(z.dim() == 0);
  REQUIRE(z.item() == 12.0);
  // Transposed operand: a = [[0,1,2],[3,4,5]], a^T = [[0,3],[1,4],[2,5]]; a^T + [100,200] =
  // [[100,203],[101,204],[102,205]]
  const Tensor a = tensor({0, 1, 2, 3, 4, 5}, {2, 3}, DType::Float64);
  tgtest::require_values(add(a.t(), f64({100, 200}, {2})), {100, 203, 101, 204, 102, 205});
  // Sliced operand: a[:, ::2] = [[0,2],[3,5]]; times [[1],[-1]] = [[0,2],[-3,-5]]
  tgtest::require_values(mul(a.slice(1, 0, 3, 2), f64({1, -1}, {2, 1})), {0, 2, -3, -5});
}

TEST_CASE("add/sub/mul/div: scalar forms and operators, values by hand", "[ops][elementwise]") {
  const Tensor x = tensor({1, 2, 4}, {3});
  tgtest::require_values(add(x, 0.5), {1.5, 2.5, 4.5});
  tgtest::require_values(sub(x, 0.5), {0.5, 1.5, 3.5});
  tgtest::require_values(mul(x, -2.0), {-2, -4, -8});
  tgtest::require_values(div(x, 4.0), {0.25, 0.5, 1});
  tgtest::require_values(x + 1.0, {2, 3, 5});
  tgtest::require_values(x - 1.0, {0, 1, 3});
  tgtest::require_values(x * 3.0, {3, 6, 12});
  tgtest::require_values(x / 2.0, {0.5, 1, 2});
  tgtest::require_values(1.0 + x, {2, 3, 5});
  // 10 - [1,2,4] = [9,8,6]
  tgtest::require_values(10.0 - x, {9, 8, 6});
  tgtest::require_values(3.0 * x, {3, 6, 12});
  // 1 / [1,2,4] = [1,0.5,0.25]
  tgtest::require_values(1.0 / x, {1, 0.5, 0.25});
  REQUIRE((1.0 / x).dtype() == DType::Float32);
  tgtest::require_values(-x, {-1, -2, -4});
  const Tensor y = tensor({2, 2, 2}, {3});
  tgtest::require_values(x + y, {3, 4, 6});
  tgtest::require_values(x - y, {-1, 0, 2});
  tgtest::require_values(x * y, {2, 4, 8});
  tgtest::require_values(x / y, {0.5, 1, 2});
  // Scalar operand takes the tensor's dtype.
  REQUIRE(add(tensor({1.0}, {}, DType::Float64), 1.0).dtype() == DType::Float64);
}

TEST_CASE("div: IEEE results at zero denominators", "[ops][elementwise]") {
  const auto v = div(tensor({1, -1, 0}), tensor({0, 0, 0})).to_vector<double>();
  REQUIRE(v[0] == std::numeric_limits<double>::infinity());
  REQUIRE(v[1] == -std::numeric_limits<double>::infinity());
  REQUIRE(std::isnan(v[2]));
}

TEST_CASE("add/sub/mul/div: gradients by hand", "[ops][elementwise]") {
  Tensor x = f64({1, 2}).requires_grad_();
  Tensor y = f64({4, 8}).requires_grad_();
  sum(div(x, y)).backward();
  // d(x/y)/dx = 1/y = [0.25, 0.125]; d(x/y)/dy = -x/y^2 = [-1/16, -2/64]
  tgtest::require_values(x.grad(), {0.25, 0.125}, 1e-12);
  tgtest::require_values(y.grad(), {-0.0625, -0.03125}, 1e-12);

  Tensor a = f64({1, 2, 3}).requires_grad_();
  Tensor b = f64({4, 5, 6}).requires_grad_();
  sum(mul(a, b)).backward();
  tgtest::require_values(a.grad(), {4, 5, 6}, 1e-12);
  tgtest::require_values(b.grad(), {1, 2, 3}, 1e-12);

  // Broadcast: c [3,1] - d [1,2]: each c gets +1 twice, each d gets -1 three times.
  Tensor c = f64({1, 2, 3}, {3, 1}).requires_grad_();
  Tensor d = f64({5, 6}, {1, 2}).requires_grad_();
  sum(sub(c, d)).backward();
  REQUIRE(c.grad().shape() == Shape{3, 1});
  REQUIRE(d.grad().shape() == Shape{1, 2});
  tgtest::require_values(c.grad(), {2, 2, 2}, 1e-12);
  tgtest::require_values(d.grad(), {-3, -3}, 1e-12);

  // 0-d operand: s * [1,2,3] -> ds = 1+2+3 = 6, a 0-d gradient.
  Tensor s = scalar_tensor(2.0, DType::Float64).requires_grad_();
  sum(mul(s, f64({1, 2, 3}))).backward();
  REQUIRE(s.grad().dim() == 0);
  REQUIRE(s.grad().item() == Approx(6.0));
}

TEST_CASE("add/sub/mul/neg on int64", "[ops][elementwise]") {
  const Tensor a = int64_tensor({1, -2, 3}, {3});
  const Tensor b = int64_tensor({10, 20}, {2, 1});
  Tensor s = add(a, b);
  REQUIRE(s.dtype() == DType::Int64);
  REQUIRE(s.shape() == Shape{2, 3});
  // [1,-2,3] + [[10],[20]] = [[11,8,13],[21,18,23]]
  REQUIRE(s.to_vector<std::int64_t>() == std::vector<std::int64_t>{11, 8, 13, 21, 18, 23});
  REQUIRE(sub(a, b).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{-9, -12, -7, -19, -22, -17});
  REQUIRE(mul(a, b).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{10, -20, 30, 20, -40, 60});
  REQUIRE(neg(a).to_vector<std::int64_t>() == std::vector<std::int64_t>{-1, 2, -3});
  REQUIRE((-a).dtype() == DType::Int64);
  REQUIRE((a + 5.0).to_vector<std::int64_t>() == std::vector<std::int64_t>{6, 3, 8});
  REQUIRE((a * 2.0).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, -4, 6});
  // Exact beyond 2^53, where doubles would round: 2^62 + 1 is representable only as an integer.
  const std::int64_t big = (std::int64_t{1} << 62) + 1;
  const Tensor bigt = int64_tensor({big}, {1});
  REQUIRE(add(bigt, int64_tensor({2}, {1})).to_vector<std::int64_t>()[0] == big + 2);
  REQUIRE(!add(a, a).requires_grad());
}

// ---------------------------------------------------------------- pow / square

TEST_CASE("gradcheck: pow tensor^tensor", "[ops][elementwise]") {
  // Positive bases (log(a) in the exponent gradient), exponents of both signs.
  gradcheck_binary([](const Tensor& a, const Tensor& e) { return pow(a, e); }, 0.5, 2, -1.5, 1.5);
  gradcheck_binary_second([](const Tensor& a, const Tensor& e) { return pow(a, e); }, 0.5, 2, -1.5,
                          1.5);
}

TEST_CASE("gradcheck: pow tensor^scalar", "[ops][elementwise]") {
  // Integer exponents over bases of both signs.
  for (double p : {2.0, 3.0, -2.0, 1.0}) {
    INFO("exponent " << p);
    gradcheck_unary([p](const Tensor& x) { return pow(x, p); }, 0.3, 1.5, true);
    gradcheck_unary([p](const Tensor& x) { return pow(x, p); }, -1.5, -0.3, false);
  }
  // Fractional exponents over positive bases.
  for (double p : {0.5, -0.5, 2.7}) {
    INFO("exponent " << p);
    gradcheck_unary([p](const Tensor& x) { return pow(x, p); }, 0.3, 2, true);
  }
  // Exponent 0: constant 1, gradient 0.
  gradcheck_unary([](const Tensor& x) { return pow(x, 0.0); }, -1, 1, true);
}

TEST_CASE("gradcheck: pow scalar^tensor", "[ops][elementwise]") {
  for (double base : {2.5, 0.5, std::exp(1.0)}) {
    INFO("base " << base);
    gradcheck_unary([base](const Tensor& x) { return pow(base, x); }, -1.5, 1.5, true);
  }
}

TEST_CASE("gradcheck: square", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return square(x); }, -1, 1, true);
}

TEST_CASE("pow/square: values by hand", "[ops][elementwise]") {
  // [2,9,4]^[3,0.5,-1] = [8,3,0.25]
  tgtest::require_values(pow(tensor({2, 9, 4}), tensor({3, 0.5, -1})), {8, 3, 0.25});
  // Broadcast: [[2],[3]]^[1,2] = [[2,4],[3,9]]
  tgtest::require_values(pow(f64({2, 3}, {2, 1}), f64({1, 2}, {2})), {2, 4, 3, 9});
  // [-3,1.5]^2 = [9,2.25]; [-2,4]^3 = [-8,64]; [4,0.25]^0.5 = [2,0.5]
  tgtest::require_values(pow(tensor({-3, 1.5}), 2.0), {9, 2.25});
  tgtest::require_values(pow(tensor({-2, 4}), 3.0), {-8, 64});
  tgtest::require_values(pow(tensor({4, 0.25}), 0.5), {2, 0.5});
  // x^0 = 1, including 0^0
  tgtest::require_values(pow(tensor({0, -3, 7}), 0.0), {1, 1, 1});
  // 2^[0,3,-1] = [1,8,0.5]
  tgtest::require_values(pow(2.0, tensor({0, 3, -1})), {1, 8, 0.5});
  REQUIRE(pow(2.0, f64({1})).dtype() == DType::Float64);
  // square([-3,0.5]) = [9,0.25]
  tgtest::require_values(square(tensor({-3, 0.5})), {9, 0.25});
}

TEST_CASE("pow/square: gradients by hand", "[ops][elementwise]") {
  // d(a^e)/da = e a^(e-1) = 3*2^2 = 12; d(a^e)/de = a^e ln a = 8 ln 2
  Tensor a = f64({2}).requires_grad_();
  Tensor e = f64({3}).requires_grad_();
  sum(pow(a, e)).backward();
  tgtest::require_values(a.grad(), {12}, 1e-12);
  tgtest::require_values(e.grad(), {8 * std::log(2.0)}, 1e-12);

  // d(x^3)/dx at 2 = 12; at -1 = 3
  Tensor x = f64({2, -1}).requires_grad_();
  sum(pow(x, 3.0)).backward();
  tgtest::require_values(x.grad(), {12, 3}, 1e-12);

  // d(2^e)/de = 2^e ln 2: at e=3 -> 8 ln 2, at e=0 -> ln 2
  Tensor ex = f64({3, 0}).requires_grad_();
  sum(pow(2.0, ex)).backward();
  tgtest::require_values(ex.grad(), {8 * std::log(2.0), std::log(2.0)}, 1e-12);

  // d(x^2)/dx = 2x
  Tensor s = f64({-3, 0.5}).requires_grad_();
  sum(square(s)).backward();
  tgtest::require_values(s.grad(), {-6, 1}, 1e-12);

  // Second derivative via create_graph: d2(x^3)/dx2 = 6x = 12 at x = 2.
  Tensor z = f64({2}).requires_grad_();
  const TensorList g1 = grad({sum(pow(z, 3.0))}, {z}, {.create_graph = true});
  tgtest::require_values(g1[0], {12}, 1e-12);
  const TensorList g2 = grad({sum(g1[0])}, {z});
  tgtest::require_values(g2[0], {12}, 1e-12);
}

TEST_CASE("pow tensor^tensor: zero base gives finite gradients, as PyTorch", "[ops][elementwise]") {
  // a = 0: d/de (0^e) is taken as 0 for e >= 0 (PyTorch), and d/da (a^e) with e = 0 is 0
  // (PyTorch masks exponent == 0), not 0 * inf = nan.
  Tensor a = f64({0, 0, 0}).requires_grad_();
  Tensor e = f64({2, 0, 1}).requires_grad_();
  sum(pow(a, e)).backward();
  // d/da: e * a^(e-1) = [2*0^1, 0 (e == 0), 1*0^0] = [0, 0, 1]
  tgtest::require_values(a.grad(), {0, 0, 1}, 1e-12);
  tgtest::require_values(e.grad(), {0, 0, 0}, 1e-12);
}

// ---------------------------------------------------------------- errors

TEST_CASE("binary ops: dtype mismatch names the op and both dtypes", "[ops][elementwise]") {
  struct Case {
    const char* name;
    Binary op;
  };
  const std::vector<Case> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }},
  };
  const Tensor f32 = ones({2, 3}, DType::Float32);
  const Tensor f64t = ones({2, 3}, DType::Float64);
  const Tensor i64 = int64_tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  for (const Case& c : ops) {
    INFO("op " << c.name);
    REQUIRE_THROWS_AS(c.op(f32, f64t), tg::Error);
    REQUIRE_THROWS_WITH(c.op(f32, f64t), Catch::Contains(std::string(c.name) + ":") &&
                                             Catch::Contains("float32") &&
                                             Catch::Contains("float64"));
    REQUIRE_THROWS_WITH(c.op(f64t, i64), Catch::Contains(std::string(c.name) + ":") &&
                                             Catch::Contains("float64") &&
                                             Catch::Contains("int64"));
  }
  // Operators route to the same checks.
  REQUIRE_THROWS_WITH(f32 + f64t, Catch::Contains("add") && Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(f32 / f64t, Catch::Contains("div") && Catch::Contains("float64"));
}

TEST_CASE("binary ops: non-broadcastable shapes name the op and both shapes",
          "[ops][elementwise]") {
  struct Case {
    const char* name;
    Binary op;
  };
  const std::vector<Case> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }},
  };
  const Tensor a = ones({2, 3}), b = ones({4}), c = ones({3, 2});
  for (const Case& op : ops) {
    INFO("op " << op.name);
    REQUIRE_THROWS_AS(op.op(a, b), tg::Error);
    REQUIRE_THROWS_WITH(op.op(a, b), Catch::Contains(std::string(op.name) + ":") &&
                                         Catch::Contains("[2, 3]") && Catch::Contains("[4]"));
    REQUIRE_THROWS_WITH(op.op(a, c), Catch::Contains(std::string(op.name) + ":") &&
                                         Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
  }
  REQUIRE_THROWS_WITH(a * b, Catch::Contains("mul") && Catch::Contains("[2, 3]"));
}

TEST_CASE("div and pow: int64 inputs are refused with the op name", "[ops][elementwise]") {
  const Tensor i = int64_tensor({1, 2}, {2});
  REQUIRE_THROWS_WITH(div(i, i), Catch::Contains("div") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(div(i, 2.0), Catch::Contains("div") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(pow(i, i), Catch::Contains("pow") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(pow(i, 2.0), Catch::Contains("pow") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(pow(2.0, i), Catch::Contains("pow") && Catch::Contains("int64"));
}

TEST_CASE("binary ops: undefined operands are errors", "[ops][elementwise]") {
  const Tensor a = ones({2});
  REQUIRE_THROWS_AS(add(a, Tensor()), tg::Error);
  REQUIRE_THROWS_AS(mul(Tensor(), a), tg::Error);
  REQUIRE_THROWS_AS(neg(Tensor()), tg::Error);
}
