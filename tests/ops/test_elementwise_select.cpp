// Clamping and selection (clamp, clamp_min, clamp_max, maximum, minimum, where) and the
// non-differentiable ops (sign, eq, ne, lt, le, gt, ge): gradchecks, kink conventions (clamp
// passes the gradient at its bounds, maximum/minimum split it 0.5/0.5 at ties), 0/1 masks that
// never require grad, and errors.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace tg;

namespace {

using Unary = std::function<Tensor(const Tensor&)>;
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;

Tensor ident(const Tensor& t) { return t; }

// A float64 leaf with values in [lo, hi], each at least `gap` away from every kink.
Tensor leaf_away(const Shape& shape, std::uint64_t seed, double lo, double hi,
                 const std::vector<double>& kinks, double gap = 0.05) {
  Generator g(seed);
  std::vector<double> v = uniform(shape, lo, hi, DType::Float64, &g).to_vector<double>();
  for (double& x : v)
    for (double k : kinks)
      if (std::abs(x - k) < gap) x = x >= k ? k + gap : k - gap;
  Tensor t = tensor(v, {static_cast<std::int64_t>(v.size())}, DType::Float64).reshape(shape);
  return t.contiguous().detach().requires_grad_();
}

Tensor f64(std::initializer_list<double> v, const Shape& shape = {}) {
  return tensor(v, shape, DType::Float64);
}

void gradcheck_unary(const Unary& op, double lo, double hi, const std::vector<double>& kinks) {
  struct Layout {
    const char* name;
    Shape shape;
    Unary view;
  };
  const std::vector<Layout> layouts = {
      {"[7]", {7}, ident},
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
  std::uint64_t seed = 80;
  for (const Layout& l : layouts) {
    INFO("layout: " << l.name);
    Tensor x = leaf_away(l.shape, seed++, lo, hi, kinks);
    const Unary v = l.view;
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(v(in[0])); }, TensorList{x});
  }
  INFO("second order");
  Tensor x = leaf_away({4, 3}, 90, lo, hi, kinks);
  Tensor w = tgtest::leaf({4, 1}, 91, -2, 2);
  // op(x) * w: the second derivative of op is 0 away from kinks, the cross term with w is not.
  REQUIRE_GRADCHECK([&](const TensorList& in) { return mul(op(in[0].t().t()), in[1]); },
                    TensorList{x, w}, {.check_second_order = true});
}

struct BinaryCase {
  const char* name;
  Shape shape_a, shape_b;
  Unary view_a, view_b;
};

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
      {"sliced [4,6][:, ::2] with sliced [8,3][1::2]",
       {4, 6},
       {8, 3},
       [](const Tensor& t) { return t.slice(1, 0, 6, 2); },
       [](const Tensor& t) { return t.slice(0, 1, 8, 2); }},
      {"[3,4] with transposed [4,1]^T = [1,4]",
       {3, 4},
       {4, 1},
       ident,
       [](const Tensor& t) { return t.t(); }},
  };
}

// Gradchecks op over every layout; a and b come from different seeds, so no ties.
void gradcheck_binary(const Binary& op) {
  std::uint64_t seed = 100;
  for (const BinaryCase& c : binary_cases()) {
    INFO("case: " << c.name);
    Tensor a = tgtest::leaf(c.shape_a, seed++, -1, 1);
    Tensor b = tgtest::leaf(c.shape_b, seed++, -1, 1);
    const Unary va = c.view_a, vb = c.view_b;
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(va(in[0]), vb(in[1])); },
                      TensorList{a, b});
  }
  INFO("second order");
  Tensor a = tgtest::leaf({3, 1}, 120, -1, 1), b = tgtest::leaf({1, 4}, 121, -1, 1);
  Tensor w = tgtest::leaf({4}, 122, -2, 2);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return mul(op(in[0], in[1]), in[2]); },
                    TensorList{a, b, w}, {.check_second_order = true});
}

// d sum(op(x)) / dx
Tensor grad_of(const Unary& op, std::initializer_list<double> v) {
  Tensor x = f64(v).requires_grad_();
  sum(op(x)).backward();
  return x.grad();
}

}  // namespace

// ---------------------------------------------------------------- clamp

TEST_CASE("gradcheck: clamp (away from the bounds)", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return clamp(x, -0.5, 0.7); }, -1.5, 1.5, {-0.5, 0.7});
}

TEST_CASE("gradcheck: clamp_min and clamp_max", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return clamp_min(x, -0.3); }, -1, 1, {-0.3});
  gradcheck_unary([](const Tensor& x) { return clamp_max(x, 0.4); }, -1, 1, {0.4});
}

TEST_CASE("clamp: values by hand", "[ops][elementwise]") {
  const Tensor x = tensor({-2, -1, 0, 1, 2});
  tgtest::require_values(clamp(x, -1, 1), {-1, -1, 0, 1, 1});
  tgtest::require_values(clamp(x, -0.5, 0.5), {-0.5, -0.5, 0, 0.5, 0.5});
  tgtest::require_values(clamp_min(x, 0), {0, 0, 0, 1, 2});
  tgtest::require_values(clamp_max(x, 0), {-2, -1, 0, 0, 0});
  // min == max pins every value
  tgtest::require_values(clamp(x, 0.25, 0.25), {0.25, 0.25, 0.25, 0.25, 0.25});
  REQUIRE(clamp(x, -1, 1).dtype() == DType::Float32);
  // transposed input: [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]] clamped to [1,4]
  const Tensor a = f64({0, 1, 2, 3, 4, 5}, {2, 3});
  tgtest::require_values(clamp(a.t(), 1, 4), {1, 3, 1, 4, 2, 4});
  // NaN propagates, as PyTorch
  REQUIRE(std::isnan(clamp(f64({std::nan("")}), -1, 1).item()));
}

TEST_CASE("clamp: gradient passes at the bounds (inclusive), as PyTorch", "[ops][elementwise]") {
  // clamp(x, -1, 1) at x = [-2, -1, 0, 1, 2]: [0 (below), 1 (at min), 1, 1 (at max), 0 (above)]
  tgtest::require_values(
      grad_of([](const Tensor& x) { return clamp(x, -1, 1); }, {-2, -1, 0, 1, 2}), {0, 1, 1, 1, 0},
      0);
  // clamp_min(x, 0): [0, 0, 1 (at min), 1, 1]
  tgtest::require_values(
      grad_of([](const Tensor& x) { return clamp_min(x, 0); }, {-2, -1, 0, 1, 2}), {0, 0, 1, 1, 1},
      0);
  // clamp_max(x, 0): [1, 1, 1 (at max), 0, 0]
  tgtest::require_values(
      grad_of([](const Tensor& x) { return clamp_max(x, 0); }, {-2, -1, 0, 1, 2}), {1, 1, 1, 0, 0},
      0);
  // min == max: every value at the bound gets the gradient, others none.
  tgtest::require_values(grad_of([](const Tensor& x) { return clamp(x, 1, 1); }, {0, 1, 2}),
                         {0, 1, 0}, 0);
  // float32 bounds that are not representable exactly: x = float(0.1) sits at the bound.
  Tensor x = tensor({0.1, 0.2}).requires_grad_();
  sum(clamp(x, 0.1, 0.15)).backward();
  tgtest::require_values(x.grad(), {1, 0}, 0);
}

TEST_CASE("clamp: bad bounds and int64 input are errors", "[ops][elementwise]") {
  const Tensor x = tensor({1, 2});
  REQUIRE_THROWS_AS(clamp(x, 2, 1), tg::Error);
  REQUIRE_THROWS_WITH(clamp(x, 2, 1), Catch::Contains("clamp") && Catch::Contains("min"));
  REQUIRE_THROWS_WITH(clamp(x, std::nan(""), 1), Catch::Contains("clamp"));
  REQUIRE_THROWS_WITH(clamp_min(x, std::nan("")), Catch::Contains("clamp"));
  const Tensor i = int64_tensor({1, 2}, {2});
  REQUIRE_THROWS_WITH(clamp(i, 0, 1), Catch::Contains("clamp") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(clamp_min(i, 0), Catch::Contains("clamp") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(clamp_max(i, 0), Catch::Contains("clamp") && Catch::Contains("int64"));
}

// ---------------------------------------------------------------- maximum / minimum

TEST_CASE("gradcheck: maximum (no ties)", "[ops][elementwise]") {
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return maximum(a, b); });
}

TEST_CASE("gradcheck: minimum (no ties)", "[ops][elementwise]") {
  gradcheck_binary([](const Tensor& a, const Tensor& b) { return minimum(a, b); });
}

TEST_CASE("gradcheck: maximum/minimum of a tensor with itself (tie everywhere)",
          "[ops][elementwise]") {
  // max(x, x) = x: the two 0.5 shares add up to the true derivative 1.
  Tensor x = tgtest::leaf({2, 3}, 130);
  REQUIRE_GRADCHECK([](const TensorList& in) { return maximum(in[0], in[0]); }, TensorList{x});
  REQUIRE_GRADCHECK([](const TensorList& in) { return minimum(in[0].t(), in[0].t()); },
                    TensorList{x});
}

TEST_CASE("maximum/minimum: values by hand", "[ops][elementwise]") {
  const Tensor a = tensor({1, 5, -2}), b = tensor({3, 2, -2});
  tgtest::require_values(maximum(a, b), {3, 5, -2});
  tgtest::require_values(minimum(a, b), {1, 2, -2});
  // [[1],[4]] vs [2,3]: max = [[2,3],[4,4]], min = [[1,1],[2,3]]
  const Tensor c = f64({1, 4}, {2, 1}), d = f64({2, 3}, {2});
  tgtest::require_values(maximum(c, d), {2, 3, 4, 4});
  tgtest::require_values(minimum(c, d), {1, 1, 2, 3});
  // 0-d with a vector
  tgtest::require_values(maximum(scalar_tensor(0.0), tensor({-1, 1})), {0, 1});
  // NaN propagates from either side, as PyTorch
  const double nan = std::nan("");
  REQUIRE(std::isnan(maximum(f64({nan}), f64({1})).item()));
  REQUIRE(std::isnan(maximum(f64({1}), f64({nan})).item()));
  REQUIRE(std::isnan(minimum(f64({nan}), f64({1})).item()));
  REQUIRE(std::isnan(minimum(f64({1}), f64({nan})).item()));
}

TEST_CASE("maximum/minimum: gradient splits 0.5/0.5 at ties, as PyTorch", "[ops][elementwise]") {
  {
    Tensor a = f64({1, 2, 3}).requires_grad_(), b = f64({1, 3, 1}).requires_grad_();
    sum(maximum(a, b)).backward();
    // max: tie -> 0.5 each; b wins; a wins
    tgtest::require_values(a.grad(), {0.5, 0, 1}, 0);
    tgtest::require_values(b.grad(), {0.5, 1, 0}, 0);
  }
  {
    Tensor a = f64({1, 2, 3}).requires_grad_(), b = f64({1, 3, 1}).requires_grad_();
    sum(minimum(a, b)).backward();
    // min: tie -> 0.5 each; a wins; b wins
    tgtest::require_values(a.grad(), {0.5, 1, 0}, 0);
    tgtest::require_values(b.grad(), {0.5, 0, 1}, 0);
  }
  {
    // Broadcast tie: a = [1,1,3] vs 0-d b = 1. da = [0.5,0.5,1]; db = 0.5 + 0.5 + 0 = 1.
    Tensor a = f64({1, 1, 3}).requires_grad_();
    Tensor b = scalar_tensor(1.0, DType::Float64).requires_grad_();
    sum(maximum(a, b)).backward();
    tgtest::require_values(a.grad(), {0.5, 0.5, 1}, 0);
    REQUIRE(b.grad().dim() == 0);
    REQUIRE(b.grad().item() == 1.0);
  }
  {
    // Only one side requires grad: it still gets exactly its share.
    Tensor a = tensor({2, 2}).requires_grad_();
    sum(minimum(a, tensor({2, 5}))).backward();
    tgtest::require_values(a.grad(), {0.5, 1}, 0);
  }
}

// ---------------------------------------------------------------- where

TEST_CASE("gradcheck: where over broadcast and strided layouts", "[ops][elementwise]") {
  struct Case {
    const char* name;
    Tensor cond;
    Shape shape_a, shape_b;
    Unary view_a;
  };
  Generator gen(7);
  const std::vector<Case> cases = {
      {"same shape", f64({1, 0, 0, 1, 1, 0}, {2, 3}), {2, 3}, {2, 3}, ident},
      {"cond [3,1], a [1,4], b 0-d", f64({1, 0, 1}, {3, 1}), {1, 4}, {}, ident},
      {"cond [2,3,4], a [4], b [3,1]",
       bernoulli({2, 3, 4}, 0.5, DType::Float64, &gen),
       {4},
       {3, 1},
       ident},
      {"int64 cond [4], a [3,4], b [3,4]", int64_tensor({0, 1, 1, 0}, {4}), {3, 4}, {3, 4}, ident},
      {"transposed a",
       f64({1, 0, 1, 1}, {4}),
       {4, 3},
       {3, 4},
       [](const Tensor& t) { return t.t(); }},
      {"0-d cond", scalar_tensor(1.0, DType::Float64), {2, 2}, {2, 2}, ident},
  };
  std::uint64_t seed = 140;
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    Tensor a = tgtest::leaf(c.shape_a, seed++), b = tgtest::leaf(c.shape_b, seed++);
    const Tensor cond = c.cond;
    const Unary va = c.view_a;
    REQUIRE_GRADCHECK([&](const TensorList& in) { return where(cond, va(in[0]), in[1]); },
                      TensorList{a, b});
  }
  INFO("second order");
  Tensor a = tgtest::leaf({3, 4}, 150), b = tgtest::leaf({4}, 151);
  const Tensor cond = f64({1, 0, 0, 1}, {4});
  REQUIRE_GRADCHECK(
      [&](const TensorList& in) { return mul(where(cond, in[0], in[1]), add(in[0], in[1])); },
      TensorList{a, b}, {.check_second_order = true});
  // A mask computed from the inputs themselves: where(x > 0, x^2, -x) (away from 0).
  Tensor x = leaf_away({5}, 152, -1, 1, {0.0});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) { return where(gt(in[0], 0.0), square(in[0]), neg(in[0])); },
      TensorList{x}, {.check_second_order = true});
}

TEST_CASE("where: values and gradients by hand", "[ops][elementwise]") {
  {
    Tensor a = f64({1, 2, 3}).requires_grad_(), b = f64({10, 20, 30}).requires_grad_();
    Tensor y = where(f64({1, 0, 1}), a, b);
    // [a0, b1, a2]
    tgtest::require_values(y, {1, 20, 3}, 0);
    sum(y).backward();
    tgtest::require_values(a.grad(), {1, 0, 1}, 0);
    tgtest::require_values(b.grad(), {0, 1, 0}, 0);
  }
  {
    // cond [[1],[0]], a [1,2], b 0-d 9 -> [[1,2],[9,9]]; da = [1,1]; db = 2
    Tensor a = f64({1, 2}).requires_grad_();
    Tensor b = scalar_tensor(9.0, DType::Float64).requires_grad_();
    Tensor y = where(f64({1, 0}, {2, 1}), a, b);
    REQUIRE(y.shape() == Shape{2, 2});
    tgtest::require_values(y, {1, 2, 9, 9}, 0);
    sum(y).backward();
    tgtest::require_values(a.grad(), {1, 1}, 0);
    REQUIRE(b.grad().item() == 2.0);
  }
  // int64 condition, any nonzero value selects a; float32 operands
  tgtest::require_values(where(int64_tensor({0, 5, -1}, {3}), tensor({1, 2, 3}), tensor({7})),
                         {7, 2, 3});
  REQUIRE(where(int64_tensor({1}, {1}), tensor({1}), tensor({2})).dtype() == DType::Float32);
  // int64 operands work too (selection needs no arithmetic)
  REQUIRE(where(int64_tensor({1, 0}, {2}), int64_tensor({1, 2}, {2}), int64_tensor({8, 9}, {2}))
              .to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 9});
  // transposed a: [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]]; cond [1,0] keeps column 0 of a^T
  const Tensor m = f64({0, 1, 2, 3, 4, 5}, {2, 3});
  tgtest::require_values(where(f64({1, 0}), m.t(), f64({-1})), {0, -1, 1, -1, 2, -1}, 0);
}

TEST_CASE("where: dtype and shape errors name the op", "[ops][elementwise]") {
  const Tensor c = f64({1, 0});
  REQUIRE_THROWS_AS(where(c, f64({1, 2}), tensor({1, 2})), tg::Error);
  REQUIRE_THROWS_WITH(where(c, f64({1, 2}), tensor({1, 2})), Catch::Contains("where") &&
                                                                 Catch::Contains("float64") &&
                                                                 Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(where(c, f64({1, 2}), f64({1, 2, 3})),
                      Catch::Contains("where") && Catch::Contains("[2]") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(where(f64({1, 0, 1}), f64({1, 2}), f64({1, 2})),
                      Catch::Contains("where") && Catch::Contains("[3]") && Catch::Contains("[2]"));
  REQUIRE_THROWS_AS(where(Tensor(), f64({1}), f64({1})), tg::Error);
}

// ---------------------------------------------------------------- sign and comparisons

TEST_CASE("gradcheck: sign and comparison masks inside differentiable expressions",
          "[ops][elementwise]") {
  // The masks are constants to autograd: x * (x > 0) is relu, sign(x) * x is |x|, and
  // a * (a >= b) + b * (a < b) is max(a, b). Points are away from the kinks.
  Tensor x = leaf_away({2, 5}, 160, -1, 1, {0.0});
  REQUIRE_GRADCHECK([](const TensorList& in) { return mul(in[0], gt(in[0], 0.0)); }, TensorList{x});
  REQUIRE_GRADCHECK([](const TensorList& in) { return mul(sign(in[0].t()), in[0].t()); },
                    TensorList{x}, {.check_second_order = true});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        const Tensor k = scalar_tensor(0.0, DType::Float64);
        return add(mul(in[0], add(lt(in[0], k), le(in[0], k))),
                   mul(in[0], add(ge(in[0], 0.0), ne(in[0], k))));
      },
      TensorList{x});
  Tensor a = tgtest::leaf({3, 1}, 161), b = tgtest::leaf({1, 4}, 162);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return add(mul(in[0], ge(in[0], in[1])), mul(in[1], lt(in[0], in[1])));
      },
      TensorList{a, b}, {.check_second_order = true});
  // eq as a mask: (x == 0.5) never fires at random points, so x * (1 - eq) = x.
  REQUIRE_GRADCHECK([](const TensorList& in) { return mul(in[0], 1.0 - eq(in[0], 0.5)); },
                    TensorList{x});
}

TEST_CASE("sign: values, dtype, no grad", "[ops][elementwise]") {
  tgtest::require_values(sign(tensor({-3, 0, 2.5, -0.0})), {-1, 0, 1, 0}, 0);
  REQUIRE(sign(tensor({1})).dtype() == DType::Float32);
  REQUIRE(sign(f64({1})).dtype() == DType::Float64);
  const Tensor si = sign(int64_tensor({-7, 0, 9}, {3}));
  REQUIRE(si.dtype() == DType::Int64);
  REQUIRE(si.to_vector<std::int64_t>() == std::vector<std::int64_t>{-1, 0, 1});
  // transposed input
  tgtest::require_values(sign(f64({-1, 2, 0, -3}, {2, 2}).t()), {-1, 0, 1, -1}, 0);

  tape().clear();
  Tensor x = f64({-1, 2}).requires_grad_();
  Tensor s = sign(x);
  REQUIRE(!s.requires_grad());
  REQUIRE(tape().size() == 0);
}

TEST_CASE("comparisons: 0/1 masks of the operands' dtype", "[ops][elementwise]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO("dtype " << dtype_name(dt));
    const Tensor a = tensor({1, 2, 3}, {}, dt), b = tensor({2, 2, 2}, {}, dt);
    // a = [1,2,3] vs 2
    tgtest::require_values(eq(a, b), {0, 1, 0}, 0);
    tgtest::require_values(ne(a, b), {1, 0, 1}, 0);
    tgtest::require_values(lt(a, b), {1, 0, 0}, 0);
    tgtest::require_values(le(a, b), {1, 1, 0}, 0);
    tgtest::require_values(gt(a, b), {0, 0, 1}, 0);
    tgtest::require_values(ge(a, b), {0, 1, 1}, 0);
    // scalar forms give the same masks
    tgtest::require_values(eq(a, 2.0), {0, 1, 0}, 0);
    tgtest::require_values(ne(a, 2.0), {1, 0, 1}, 0);
    tgtest::require_values(lt(a, 2.0), {1, 0, 0}, 0);
    tgtest::require_values(le(a, 2.0), {1, 1, 0}, 0);
    tgtest::require_values(gt(a, 2.0), {0, 0, 1}, 0);
    tgtest::require_values(ge(a, 2.0), {0, 1, 1}, 0);
    REQUIRE(eq(a, b).dtype() == dt);
    REQUIRE(ge(a, 2.0).dtype() == dt);
  }
  // Broadcast: [[1],[2],[3]] < [2,3] -> [[1,1],[0,1],[0,0]]
  const Tensor m = lt(f64({1, 2, 3}, {3, 1}), f64({2, 3}));
  REQUIRE(m.shape() == Shape{3, 2});
  tgtest::require_values(m, {1, 1, 0, 1, 0, 0}, 0);
  // Transposed operand: [[0,1],[2,3]]^T = [[0,2],[1,3]] >= 2 -> [0,1,0,1]
  tgtest::require_values(ge(f64({0, 1, 2, 3}, {2, 2}).t(), 2.0), {0, 1, 0, 1}, 0);
  // NaN compares unequal to everything, itself included
  const Tensor n = f64({std::nan("")});
  tgtest::require_values(eq(n, n), {0}, 0);
  tgtest::require_values(ne(n, n), {1}, 0);
  tgtest::require_values(lt(n, 0.0), {0}, 0);
  tgtest::require_values(ge(n, 0.0), {0}, 0);
}

TEST_CASE("comparisons: int64 operands", "[ops][elementwise]") {
  const Tensor a = int64_tensor({0, 1, 2}, {3});
  const Tensor r = lt(a, int64_tensor({1, 1, 1}, {3}));
  REQUIRE(r.dtype() == DType::Int64);
  REQUIRE(r.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0});
  REQUIRE(eq(a, 1.0).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 0});
  // Exact beyond 2^53: 2^62 + 1 != 2^62 although both round to the same double.
  const std::int64_t big = std::int64_t{1} << 62;
  REQUIRE(eq(int64_tensor({big + 1}, {1}), int64_tensor({big}, {1})).item() == 0);
  REQUIRE(gt(int64_tensor({big + 1}, {1}), int64_tensor({big}, {1})).item() == 1);
  // A fractional scalar is compared as a number, as PyTorch, not truncated to int64:
  // [0,1,2] < 0.5 -> [1,0,0]; > 1.5 -> [0,0,1]; == 1.5 -> none; >= -0.5 -> all
  REQUIRE(lt(a, 0.5).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0});
  REQUIRE(gt(a, 1.5).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 1});
  REQUIRE(eq(a, 1.5).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
  REQUIRE(ne(a, 1.5).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 1});
  REQUIRE(ge(a, -0.5).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 1});
  REQUIRE(le(a, 0.5).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 0});
  // Scalars outside the int64 range, and NaN
  REQUIRE(lt(a, 1e300).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 1});
  REQUIRE(gt(a, -1e300).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 1});
  REQUIRE(eq(a, std::nan("")).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
  REQUIRE(ne(a, std::nan("")).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 1});
  REQUIRE(lt(a, 0.5).dtype() == DType::Int64);
}

TEST_CASE("comparisons and sign never require grad and record nothing", "[ops][elementwise]") {
  tape().clear();
  Tensor a = f64({1, 2}).requires_grad_(), b = f64({2, 1}).requires_grad_();
  const std::vector<Tensor> outs = {eq(a, b),   ne(a, b),   lt(a, b),   le(a, b),   gt(a, b),
                                    ge(a, b),   eq(a, 1.0), ne(a, 1.0), lt(a, 1.0), le(a, 1.0),
                                    gt(a, 1.0), ge(a, 1.0), sign(a)};
  for (const Tensor& o : outs) {
    REQUIRE(!o.requires_grad());
    for (double v : o.to_vector<double>()) REQUIRE((v == 0.0 || v == 1.0 || v == -1.0));
  }
  REQUIRE(tape().size() == 0);
  // Backward from a mask is an error, not a silent zero.
  REQUIRE_THROWS_AS(sum(gt(a, b)).backward(), tg::Error);
  tape().clear();
}

TEST_CASE("sign and comparisons: undefined operands are errors", "[ops][elementwise]") {
  REQUIRE_THROWS_AS(sign(Tensor()), tg::Error);
  REQUIRE_THROWS_AS(eq(Tensor(), 1.0), tg::Error);
  REQUIRE_THROWS_AS(lt(Tensor(), f64({1})), tg::Error);
}
