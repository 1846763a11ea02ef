// Unary math ops: exp, log, log1p, sqrt, rsqrt, abs, sin, cos, tanh, sigmoid, relu, erf.
// Gradchecks (first and second order) over several layouts, hand-computed values and
// derivatives, kink conventions (relu'(0) = abs'(0) = 0), overflow, and int64 refusal.
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace tg;

namespace {

using Unary = std::function<Tensor(const Tensor&)>;

Tensor ident(const Tensor& t) { return t; }

// A float64 leaf with values in [lo, hi], each at least `gap` away from every kink (so finite
// differences never straddle one).
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

struct Layout {
  const char* name;
  Shape shape;
  Unary view;
};

std::vector<Layout> layouts() {
  return {
      {"[5]", {5}, ident},
      {"[2,3,4]", {2, 3, 4}, ident},
      {"0-d", {}, ident},
      {"transposed [4,3]^T", {4, 3}, [](const Tensor& t) { return t.t(); }},
      {"permuted [2,3,4] -> [4,2,3]",
       {2, 3, 4},
       [](const Tensor& t) {
         return t.permute({2, 0, 1});
       }},
      {"sliced [6,5][1:5:2, ::2]",
       {6, 5},
       [](const Tensor& t) { return t.slice(0, 1, 5, 2).slice(1, 0, 5, 2); }},
      {"expanded [3,1]->[3,4]",
       {3, 1},
       [](const Tensor& t) {
         return t.expand({3, 4});
       }},
  };
}

// Gradchecks op(view(x)) over every layout, with x in [lo, hi] and away from `kinks`; then a
// second-order check on a transposed input.
void gradcheck_unary(const Unary& op, double lo, double hi, const std::vector<double>& kinks = {},
                     bool second_order = true) {
  std::uint64_t seed = 50;
  for (const Layout& l : layouts()) {
    INFO("layout: " << l.name);
    Tensor x = leaf_away(l.shape, seed++, lo, hi, kinks);
    const Unary v = l.view;
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(v(in[0])); }, TensorList{x});
  }
  // Composed with another op, so the incoming gradient is not all ones.
  {
    Tensor x = leaf_away({3, 4}, 60, lo, hi, kinks);
    Tensor w = tgtest::leaf({4}, 61, -2, 2);
    REQUIRE_GRADCHECK([&](const TensorList& in) { return mul(op(in[0]), in[1]); },
                      TensorList{x, w});
  }
  if (second_order) {
    INFO("second order");
    Tensor x = leaf_away({4, 3}, 62, lo, hi, kinks);
    REQUIRE_GRADCHECK([&](const TensorList& in) { return op(in[0].t()); }, TensorList{x},
                      {.check_second_order = true});
    Tensor y = leaf_away({6}, 63, lo, hi, kinks);
    Tensor w = tgtest::leaf({3}, 64, -2, 2);
    REQUIRE_GRADCHECK([&](const TensorList& in) { return mul(op(in[0].slice(0, 0, 6, 2)), in[1]); },
                      TensorList{y, w}, {.check_second_order = true});
  }
}

Tensor f64(std::initializer_list<double> v) { return tensor(v, {}, DType::Float64); }

// d sum(op(x)) / dx for float64 values.
Tensor grad_of(const Unary& op, std::initializer_list<double> v) {
  Tensor x = f64(v).requires_grad_();
  sum(op(x)).backward();
  return x.grad();
}

constexpr double kE = std::numbers::e;
constexpr double kPi = std::numbers::pi;

}  // namespace

// ---------------------------------------------------------------- gradchecks

TEST_CASE("gradcheck: exp", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return exp(x); }, -2, 2);
}

TEST_CASE("gradcheck: log", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return log(x); }, 0.3, 3);
}

TEST_CASE("gradcheck: log1p", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return log1p(x); }, -0.6, 3);
}

TEST_CASE("gradcheck: sqrt", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return sqrt(x); }, 0.3, 3);
}

TEST_CASE("gradcheck: rsqrt", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return rsqrt(x); }, 0.3, 3);
}

TEST_CASE("gradcheck: abs (away from 0)", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return abs(x); }, -1, 1, {0.0});
}

TEST_CASE("gradcheck: sin", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return sin(x); }, -3, 3);
}

TEST_CASE("gradcheck: cos", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return cos(x); }, -3, 3);
}

TEST_CASE("gradcheck: tanh", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return tanh(x); }, -2, 2);
}

TEST_CASE("gradcheck: sigmoid", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return sigmoid(x); }, -4, 4);
}

TEST_CASE("gradcheck: relu (away from 0)", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return relu(x); }, -1, 1, {0.0});
}

TEST_CASE("gradcheck: erf", "[ops][elementwise]") {
  gradcheck_unary([](const Tensor& x) { return erf(x); }, -2, 2);
}

TEST_CASE("gradcheck: unary ops composed", "[ops][elementwise]") {
  // log(sigmoid(x)) + sqrt(exp(x)) * tanh(x) - erf(cos(x)) over a transposed input.
  Tensor x = tgtest::leaf({4, 3}, 70, -1.5, 1.5);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        const Tensor t = in[0].t();
        return sub(add(log(sigmoid(t)), mul(sqrt(exp(t)), tanh(t))), erf(cos(t)));
      },
      TensorList{x}, {.check_second_order = true});
}

// ---------------------------------------------------------------- values by hand

TEST_CASE("unary ops: values by hand", "[ops][elementwise]") {
  // exp: [e^0, e^1, e^-1]
  tgtest::require_values(exp(f64({0, 1, -1})), {1, kE, 1 / kE}, 1e-12);
  // log: [ln 1, ln e, ln 0.5 = -ln 2]
  tgtest::require_values(log(f64({1, kE, 0.5})), {0, 1, -std::numbers::ln2}, 1e-12);
  // log1p: ln(1 + 0) = 0, ln(1 + (e - 1)) = 1, ln(1 + 1e-10) = 1e-10 - 5e-21 (accurate near 0)
  tgtest::require_values(log1p(f64({0, kE - 1})), {0, 1}, 1e-12);
  REQUIRE(log1p(f64({1e-10})).item() == Approx(1e-10).epsilon(1e-9));
  // sqrt: [2, 0.5, 0]
  tgtest::require_values(sqrt(f64({4, 0.25, 0})), {2, 0.5, 0}, 1e-12);
  // rsqrt: 1/sqrt(4) = 0.5, 1/sqrt(0.25) = 2
  tgtest::require_values(rsqrt(f64({4, 0.25})), {0.5, 2}, 1e-12);
  // abs: [2, 0, 3.5]
  tgtest::require_values(abs(f64({-2, 0, 3.5})), {2, 0, 3.5}, 1e-12);
  // sin: [sin 0, sin pi/2, sin pi/6] = [0, 1, 0.5]
  tgtest::require_values(sin(f64({0, kPi / 2, kPi / 6})), {0, 1, 0.5}, 1e-12);
  // cos: [cos 0, cos pi, cos pi/3] = [1, -1, 0.5]
  tgtest::require_values(cos(f64({0, kPi, kPi / 3})), {1, -1, 0.5}, 1e-12);
  // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6; tanh is odd
  tgtest::require_values(tanh(f64({0, std::numbers::ln2, -std::numbers::ln2})), {0, 0.6, -0.6},
                         1e-12);
  // sigmoid(ln 3) = 1 / (1 + 1/3) = 0.75; sigmoid(-ln 3) = 0.25
  const double ln3 = std::log(3.0);
  tgtest::require_values(sigmoid(f64({0, ln3, -ln3})), {0.5, 0.75, 0.25}, 1e-12);
  // relu: [0, 0, 2]
  tgtest::require_values(relu(f64({-1, 0, 2})), {0, 0, 2}, 1e-12);
  // erf(0) = 0, odd, erf(0.5) = 0.5204998778130465 (tables), erf(+-inf) = +-1
  const double inf = std::numeric_limits<double>::infinity();
  tgtest::require_values(erf(f64({0, 0.5, -0.5, inf, -inf})),
                         {0, 0.5204998778130465, -0.5204998778130465, 1, -1}, 1e-12);
  // float32 keeps its dtype
  const Tensor f = exp(tensor({0, 1}));
  REQUIRE(f.dtype() == DType::Float32);
  tgtest::require_values(f, {1, kE}, 1e-6);
}

TEST_CASE("unary ops: IEEE edge values", "[ops][elementwise]") {
  const double inf = std::numeric_limits<double>::infinity();
  const auto l = log(f64({0, -1})).to_vector<double>();
  REQUIRE(l[0] == -inf);
  REQUIRE(std::isnan(l[1]));
  REQUIRE(rsqrt(f64({0})).item() == inf);
  REQUIRE(std::isnan(sqrt(f64({-1})).item()));
  REQUIRE(log1p(f64({-1})).item() == -inf);
  // tanh saturates without NaN
  tgtest::require_values(tanh(tensor({-1000, 1000})), {-1, 1}, 0);
  // NaN propagates through relu, as PyTorch (a diverged run must not be hidden)
  REQUIRE(std::isnan(relu(tensor({std::nan("")})).item()));
  REQUIRE(std::isnan(exp(f64({std::nan("")})).item()));
}

TEST_CASE("unary ops: non-contiguous inputs give the right values", "[ops][elementwise]") {
  // a = [[0,1,2],[3,4,5]]; a^T = [[0,3],[1,4],[2,5]] read in row-major order
  const Tensor a = tensor({0, 1, 2, 3, 4, 5}, {2, 3}, DType::Float64);
  Tensor s = square(a.t());
  REQUIRE(s.shape() == Shape{3, 2});
  tgtest::require_values(s, {0, 9, 1, 16, 4, 25}, 1e-12);
  tgtest::require_values(relu(sub(a.t(), 2.0)), {0, 1, 0, 2, 0, 3}, 1e-12);
  // a[:, 1::1] = [[1,2],[4,5]]; sqrt of [[1,2],[4,5]] = [1, sqrt2, 2, sqrt5]
  tgtest::require_values(sqrt(a.slice(1, 1, 3)), {1, std::sqrt(2.0), 2, std::sqrt(5.0)}, 1e-12);
  // expanded [2,1] -> [2,3]: abs([[-1],[2]]) broadcast = [1,1,1,2,2,2]
  tgtest::require_values(abs(tensor({-1, 2}, {2, 1}).expand({2, 3})), {1, 1, 1, 2, 2, 2}, 1e-12);
}

TEST_CASE("unary ops: large inputs (threaded path) match the scalar formula",
          "[ops][elementwise]") {
  // 300 x 400 = 120000 elements, above the elementwise threading grain.
  const Tensor x = linspace(-3, 3, 120000, DType::Float64).reshape({300, 400});
  const auto v = x.to_vector<double>();
  const auto e = exp(x).to_vector<double>();
  const auto t = tanh(x.t()).contiguous().t().to_vector<double>();
  for (std::size_t i = 0; i < v.size(); i += 997) {
    INFO("element " << i);
    REQUIRE(e[i] == Approx(std::exp(v[i])).epsilon(1e-14));
    REQUIRE(t[i] == Approx(std::tanh(v[i])).epsilon(1e-14));
  }
  REQUIRE(e.back() == Approx(std::exp(3.0)));
}

// ---------------------------------------------------------------- derivatives by hand

TEST_CASE("unary ops: derivatives by hand", "[ops][elementwise]") {
  // exp' = exp: [1, e]
  tgtest::require_values(grad_of([](const Tensor& x) { return exp(x); }, {0, 1}), {1, kE}, 1e-12);
  // log' = 1/x: [0.5, 4]
  tgtest::require_values(grad_of([](const Tensor& x) { return log(x); }, {2, 0.25}), {0.5, 4},
                         1e-12);
  // log1p' = 1/(1+x): [0.5, 1]
  tgtest::require_values(grad_of([](const Tensor& x) { return log1p(x); }, {1, 0}), {0.5, 1},
                         1e-12);
  // sqrt' = 1/(2 sqrt x): 1/(2*2) = 0.25, 1/(2*0.5) = 1
  tgtest::require_values(grad_of([](const Tensor& x) { return sqrt(x); }, {4, 0.25}), {0.25, 1},
                         1e-12);
  // rsqrt' = -x^(-3/2) / 2: at 4 -> -1/16, at 0.25 -> -4
  tgtest::require_values(grad_of([](const Tensor& x) { return rsqrt(x); }, {4, 0.25}),
                         {-0.0625, -4}, 1e-12);
  // sin' = cos: cos(pi/3) = 0.5, cos 0 = 1
  tgtest::require_values(grad_of([](const Tensor& x) { return sin(x); }, {kPi / 3, 0}), {0.5, 1},
                         1e-12);
  // cos' = -sin: -sin(pi/6) = -0.5, -sin(-pi/2) = 1
  tgtest::require_values(grad_of([](const Tensor& x) { return cos(x); }, {kPi / 6, -kPi / 2}),
                         {-0.5, 1}, 1e-12);
  // tanh' = 1 - tanh^2: at ln 2 -> 1 - 0.36 = 0.64, at 0 -> 1
  tgtest::require_values(grad_of([](const Tensor& x) { return tanh(x); }, {std::numbers::ln2, 0}),
                         {0.64, 1}, 1e-12);
  // sigmoid' = s (1 - s): at ln 3 -> 0.75 * 0.25 = 0.1875, at 0 -> 0.25
  tgtest::require_values(grad_of([](const Tensor& x) { return sigmoid(x); }, {std::log(3.0), 0}),
                         {0.1875, 0.25}, 1e-12);
  // erf' = 2/sqrt(pi) e^(-x^2): at 0 -> 2/sqrt(pi), at 1 -> 2/(e sqrt(pi))
  const double c = 2 / std::sqrt(kPi);
  tgtest::require_values(grad_of([](const Tensor& x) { return erf(x); }, {0, 1}), {c, c / kE},
                         1e-12);
}

TEST_CASE("relu and abs: derivative at the kink is 0, as PyTorch", "[ops][elementwise]") {
  // relu' = [0 (x<0), 0 (x=0), 1 (x>0)]
  tgtest::require_values(grad_of([](const Tensor& x) { return relu(x); }, {-1, 0, 2}), {0, 0, 1},
                         0);
  // abs' = sign: [-1, 0, 1]
  tgtest::require_values(grad_of([](const Tensor& x) { return abs(x); }, {-2, 0, 3}), {-1, 0, 1},
                         0);
  // Also at -0.0.
  tgtest::require_values(grad_of([](const Tensor& x) { return relu(x); }, {-0.0}), {0}, 0);
  tgtest::require_values(grad_of([](const Tensor& x) { return abs(x); }, {-0.0}), {0}, 0);
  // float32 too
  Tensor x = tensor({-1, 0, 2}).requires_grad_();
  sum(add(relu(x), abs(x))).backward();
  REQUIRE(x.grad().dtype() == DType::Float32);
  // [0 + -1, 0 + 0, 1 + 1]
  tgtest::require_values(x.grad(), {-1, 0, 2}, 0);
}

TEST_CASE("unary ops: second derivatives by hand (create_graph)", "[ops][elementwise]") {
  // d2/dx2 of: exp -> exp(0) = 1; log -> -1/x^2 = -0.25 at 2; sin -> -sin(pi/2) = -1;
  // tanh -> -2 t (1 - t^2) = -2 * 0.6 * 0.64 = -0.768 at ln 2;
  // sigmoid -> s(1-s)(1-2s) = 0.1875 * (1 - 1.5) = -0.09375 at ln 3;
  // sqrt -> -x^(-3/2)/4 = -1/32 at 4; erf -> -4x/sqrt(pi) e^(-x^2) = -4/(e sqrt(pi)) at 1.
  struct Case {
    const char* name;
    Unary op;
    double x, expected;
  };
  const std::vector<Case> cases = {
      {"exp", [](const Tensor& t) { return exp(t); }, 0, 1},
      {"log", [](const Tensor& t) { return log(t); }, 2, -0.25},
      {"sin", [](const Tensor& t) { return sin(t); }, kPi / 2, -1},
      {"tanh", [](const Tensor& t) { return tanh(t); }, std::numbers::ln2, -0.768},
      {"sigmoid", [](const Tensor& t) { return sigmoid(t); }, std::log(3.0), -0.09375},
      {"sqrt", [](const Tensor& t) { return sqrt(t); }, 4, -1.0 / 32},
      {"erf", [](const Tensor& t) { return erf(t); }, 1, -4 / (kE * std::sqrt(kPi))},
  };
  for (const Case& c : cases) {
    INFO("op " << c.name);
    Tensor x = scalar_tensor(c.x, DType::Float64).requires_grad_();
    const Tensor g1 = grad({sum(c.op(x))}, {x}, {.create_graph = true})[0];
    REQUIRE(g1.requires_grad());
    const Tensor g2 = grad({sum(g1)}, {x})[0];
    REQUIRE(g2.item() == Approx(c.expected).epsilon(1e-12).margin(1e-14));
  }
}

// ---------------------------------------------------------------- overflow

TEST_CASE("sigmoid: no overflow at +-1000 in float32 and float64", "[ops][elementwise]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    INFO("dtype " << dtype_name(dt));
    Tensor x = tensor({-1000, 1000, -100, 100, 0}, {}, dt).requires_grad_();
    Tensor y = sigmoid(x);
    const auto v = y.to_vector<double>();
    for (double e : v) REQUIRE(std::isfinite(e));
    // sigmoid(-1000) = e^-1000 / (1 + e^-1000) underflows to 0; sigmoid(1000) = 1; sigmoid(0) =
    // 1/2; sigmoid(-100) = e^-100 ~ 3.7e-44 (tiny but finite and >= 0)
    REQUIRE(v[0] == 0.0);
    REQUIRE(v[1] == 1.0);
    REQUIRE(v[2] >= 0.0);
    REQUIRE(v[2] < 1e-40);
    REQUIRE(v[3] == 1.0);
    REQUIRE(v[4] == 0.5);
    sum(y).backward();
    const auto g = x.grad().to_vector<double>();
    // s(1-s): 0 at the saturated ends, 1/4 at 0; never NaN
    for (double e : g) REQUIRE(std::isfinite(e));
    REQUIRE(g[0] == 0.0);
    REQUIRE(g[1] == 0.0);
    REQUIRE(g[4] == 0.25);
  }
}

// ---------------------------------------------------------------- errors and tape behaviour

TEST_CASE("unary ops: int64 input is refused with the op name", "[ops][elementwise]") {
  struct Case {
    const char* name;
    Unary op;
  };
  const std::vector<Case> ops = {
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"log1p", [](const Tensor& x) { return log1p(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"erf", [](const Tensor& x) { return erf(x); }},
  };
  const Tensor i = int64_tensor({1, 2, 3}, {3});
  for (const Case& c : ops) {
    INFO("op " << c.name);
    REQUIRE_THROWS_AS(c.op(i), tg::Error);
    REQUIRE_THROWS_WITH(c.op(i),
                        Catch::StartsWith(std::string(c.name) + ":") && Catch::Contains("int64"));
    REQUIRE_THROWS_AS(c.op(Tensor()), tg::Error);
  }
}

TEST_CASE("unary ops: record one tape entry, none under NoGradGuard", "[ops][elementwise]") {
  tape().clear();
  Tensor x = tensor({0.5, 1.0}, {}, DType::Float64).requires_grad_();
  Tensor y = exp(x);
  REQUIRE(y.requires_grad());
  REQUIRE(tape().size() == 1);
  REQUIRE(std::string(tape()[0].name) == "exp");
  {
    NoGradGuard ng;
    Tensor z = sigmoid(x);
    REQUIRE(!z.requires_grad());
  }
  REQUIRE(tape().size() == 1);
  // No input requires grad: nothing recorded.
  Tensor w = tanh(tensor({1.0}));
  REQUIRE(!w.requires_grad());
  REQUIRE(tape().size() == 1);
  tape().clear();
}
