// softmax, log_softmax and dropout (ops/nn.hpp). The losses are in test_nn_losses.cpp.
#include <cmath>
#include <limits>

#include "helpers.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {

// Reference softmax straight from the definition, over a row-major buffer of `shape` along
// `dim`: y_i = exp(x_i - m) / sum_j exp(x_j - m), log y_i = x_i - m - log(sum_j exp(x_j - m)).
std::vector<double> ref_softmax(const std::vector<double>& x, const Shape& shape, std::int64_t dim,
                                bool log) {
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < dim; ++d) outer *= shape[static_cast<std::size_t>(d)];
  for (std::size_t d = static_cast<std::size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::int64_t n = shape[static_cast<std::size_t>(dim)];
  std::vector<double> y(x.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      auto at = [&](std::int64_t k) { return static_cast<std::size_t>((o * n + k) * inner + i); };
      double m = -INFINITY;
      for (std::int64_t k = 0; k < n; ++k) m = std::max(m, x[at(k)]);
      double s = 0;
      for (std::int64_t k = 0; k < n; ++k) s += std::exp(x[at(k)] - m);
      for (std::int64_t k = 0; k < n; ++k)
        y[at(k)] = log ? x[at(k)] - m - std::log(s) : std::exp(x[at(k)] - m) / s;
    }
  return y;
}

GradcheckOptions second_order() {
  GradcheckOptions o;
  o.check_second_order = true;
  return o;
}

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

// ---------------------------------------------------------------- softmax / log_softmax values

TEST_CASE("softmax: values of a small row", "[ops][nn]") {
  // softmax([1, 2, 3]) = [e^-2, e^-1, 1] / (1 + e^-1 + e^-2)
  //                    = [0.0900305732, 0.2447284711, 0.6652409558]
  Tensor x = tensor({1, 2, 3}, {3}, DType::Float64);
  require_values(softmax(x, 0), {0.0900305732, 0.2447284711, 0.6652409558}, 1e-9);
  require_values(softmax(x, -1), {0.0900305732, 0.2447284711, 0.6652409558}, 1e-9);
  // log_softmax = x - 3 - log(1 + e^-1 + e^-2) = x - 3.4076059644
  require_values(log_softmax(x, 0), {-2.4076059644, -1.4076059644, -0.4076059644}, 1e-9);
  // float32 computes the same numbers to float precision.
  require_values(softmax(x.to(DType::Float32), 0), {0.0900305732, 0.2447284711, 0.6652409558},
                 1e-6);
  REQUIRE(softmax(x.to(DType::Float32), 0).dtype() == DType::Float32);
  REQUIRE(softmax(x, 0).dtype() == DType::Float64);
}

TEST_CASE("softmax: every dim and negative dims on a 3-D tensor", "[ops][nn]") {
  const Shape shape{2, 3, 4};
  Generator g(3);
  Tensor x = uniform(shape, -3, 3, DType::Float64, &g);
  const auto xv = x.to_vector<double>();
  for (std::int64_t d = 0; d < 3; ++d) {
    INFO("dim " << d);
    const auto ys = ref_softmax(xv, shape, d, false);
    const auto yl = ref_softmax(xv, shape, d, true);
    require_values(softmax(x, d), ys, 1e-12);
    require_values(softmax(x, d - 3), ys, 1e-12);
    require_values(log_softmax(x, d), yl, 1e-12);
    require_values(log_softmax(x, d - 3), yl, 1e-12);
    REQUIRE(softmax(x, d).shape() == shape);
    // Fibres along d sum to 1.
    const auto sums = sum(softmax(x, d), {d}).to_vector<double>();
    for (double s : sums) REQUIRE(s == Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("softmax: rows sum to 1 in float32 and float64", "[ops][nn]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    Generator g(11);
    Tensor x = normal({7, 13}, 0, 5, dt, &g);
    for (std::int64_t d : {0, 1}) {
      Tensor y = softmax(x, d);
      for (double s : sum(y, {d}).to_vector<double>())
        REQUIRE(s == Approx(1.0).epsilon(dt == DType::Float32 ? 1e-5 : 1e-12));
      for (double v : y.to_vector<double>()) REQUIRE((v >= 0 && v <= 1));
      // exp(log_softmax) == softmax
      require_values(exp(log_softmax(x, d)), y.to_vector<double>(),
                     dt == DType::Float32 ? 1e-5 : 1e-12);
    }
  }
}

TEST_CASE("softmax: non-contiguous inputs (transposed, sliced, expanded)", "[ops][nn]") {
  // a = [[0, 1, 2], [3, 4, 5]]; a.t() = [[0, 3], [1, 4], [2, 5]]
  Tensor a = arange(0, 6, 1, DType::Float64).reshape({2, 3});
  Tensor at = a.t();
  REQUIRE_FALSE(at.is_contiguous());
  // Every row of a.t() is [k, k+3]: softmax = [1, e^3] / (1 + e^3) = [0.0474258732, 0.9525741268]
  require_values(
      softmax(at, 1),
      {0.0474258732, 0.9525741268, 0.0474258732, 0.9525741268, 0.0474258732, 0.9525741268}, 1e-9);
  // Along dim 0 of a.t() = along dim 1 of a, transposed.
  require_values(softmax(at, 0), softmax(a, 1).t().to_vector<double>(), 1e-14);
  require_values(log_softmax(at, 0), log_softmax(a, 1).t().to_vector<double>(), 1e-14);

  // A strided slice: columns 0, 2, 4 of a 3x6 tensor.
  Generator g(5);
  Tensor big = uniform({3, 6}, -2, 2, DType::Float64, &g);
  Tensor s = big.slice(1, 0, 6, 2);
  REQUIRE_FALSE(s.is_contiguous());
  const Shape ss{3, 3};
  require_values(softmax(s, 1), ref_softmax(s.to_vector<double>(), ss, 1, false), 1e-12);
  require_values(log_softmax(s, 0), ref_softmax(s.to_vector<double>(), ss, 0, true), 1e-12);
  // The input view and the tensor it views are untouched.
  Generator g_again(5);
  REQUIRE(big.to_vector<double>() ==
          uniform({3, 6}, -2, 2, DType::Float64, &g_again).to_vector<double>());

  // An expanded (stride-0) input: all entries of a row equal -> uniform 1/4.
  Tensor e = tensor({1.0, 2.0}, {2, 1}, DType::Float64).expand({2, 4});
  require_values(softmax(e, 1), std::vector<double>(8, 0.25), 1e-14);
}

TEST_CASE("softmax: stability with huge logits", "[ops][nn]") {
  Tensor x = tensor({1000, -1000}, {2}, DType::Float64);
  // softmax([1000, -1000]) = [1, e^-2000] = [1, 0] without overflow
  require_values(softmax(x, 0), {1.0, 0.0}, 1e-15);
  REQUIRE(all_finite(softmax(x, 0)));
  // log_softmax([1000, -1000]) = [0 - log(1 + e^-2000), -2000] = [0, -2000]
  require_values(log_softmax(x, 0), {0.0, -2000.0}, 1e-12);
  // log_softmax([0, -1000]) = [-log(1 + e^-1000), -1000 - log(1 + e^-1000)] = [0, -1000]:
  // finite, where log(softmax) would give log(0) = -inf.
  Tensor z = tensor({0, -1000}, {2}, DType::Float64);
  REQUIRE(all_finite(log_softmax(z, 0)));
  require_values(log_softmax(z, 0), {0.0, -1000.0}, 1e-12);
  // Equal huge logits: [1000, 1000] -> [0.5, 0.5]; [-1000, -1000] -> [0.5, 0.5].
  for (double v : {1000.0, -1000.0}) {
    Tensor same = full({2, 2}, v, DType::Float64);
    require_values(softmax(same, 1), {0.5, 0.5, 0.5, 0.5}, 1e-15);
    require_values(log_softmax(same, 1), std::vector<double>(4, -std::log(2.0)), 1e-12);
  }
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor big = tensor({1000, -1000, 999, 0, -1000, 1000}, {2, 3}, dt);
    REQUIRE(all_finite(softmax(big, 1)));
    REQUIRE(all_finite(log_softmax(big, 1)));
    REQUIRE(all_finite(log_softmax(tensor({0, -1000}, {1, 2}, dt), 1)));
    // softmax([1000, -1000, 999]) = [1, 0, e^-1] / (1 + e^-1) = [0.7310585786, 0, 0.2689414214]
    require_values(softmax(big, 1).slice(0, 0, 1), {0.7310585786, 0.0, 0.2689414214}, 1e-6);
  }
  // The gradient at huge logits is finite too.
  Tensor h = tensor({1000, -1000, 3}, {3}, DType::Float64);
  h.requires_grad_();
  sum(mul(log_softmax(h, 0), tensor({1, 2, 3}, {3}, DType::Float64))).backward();
  REQUIRE(all_finite(h.grad()));
  // d/dx sum_i w_i (x_i - lse) = w - softmax * sum(w) = [1 - 6, 2 - 0, 3 - 0] (softmax ~ [1,0,0])
  require_values(h.grad(), {-5.0, 2.0, 3.0}, 1e-9);
}

TEST_CASE("softmax: -inf entries get probability 0", "[ops][nn]") {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = tensor({-inf, 0.0, 0.0}, {3}, DType::Float64);
  require_values(softmax(x, 0), {0.0, 0.5, 0.5}, 1e-15);
  const auto ls = log_softmax(x, 0).to_vector<double>();
  REQUIRE(ls[0] == -inf);
  REQUIRE(ls[1] == Approx(-std::log(2.0)));
}

TEST_CASE("softmax: 1-element fibres, scalars and empty tensors", "[ops][nn]") {
  // A size-1 dim: softmax is 1, log_softmax is 0.
  Tensor x = tensor({3, -7}, {2, 1}, DType::Float64);
  require_values(softmax(x, 1), {1.0, 1.0}, 0);
  require_values(log_softmax(x, 1), {0.0, 0.0}, 0);
  Tensor s = scalar_tensor(4.0, DType::Float64);
  REQUIRE(softmax(s, 0).item() == 1.0);
  REQUIRE(log_softmax(s, -1).item() == 0.0);
  REQUIRE(softmax(s, 0).dim() == 0);
  REQUIRE(softmax(zeros({0, 3}, DType::Float64), 1).shape() == Shape{0, 3});
  REQUIRE(log_softmax(zeros({3, 0}, DType::Float64), 1).shape() == Shape{3, 0});
}

TEST_CASE("softmax: errors name the op", "[ops][nn]") {
  Tensor x = zeros({2, 3});
  REQUIRE_THROWS_WITH(softmax(x, 2), Catch::Contains("softmax") && Catch::Contains("2"));
  REQUIRE_THROWS_WITH(softmax(x, -3), Catch::Contains("softmax"));
  REQUIRE_THROWS_WITH(log_softmax(x, 5), Catch::Contains("log_softmax"));
  REQUIRE_THROWS_AS(softmax(int64_tensor({1, 2, 3}), 0), Error);
  REQUIRE_THROWS_WITH(log_softmax(int64_tensor({1, 2, 3}), 0), Catch::Contains("log_softmax"));
  REQUIRE_THROWS_WITH(softmax(Tensor(), 0), Catch::Contains("softmax"));
}

TEST_CASE("softmax: backward by hand", "[ops][nn]") {
  // y = softmax([0, ln 3]) = [1/4, 3/4]; L = y_0: dL/dx = y_0 (e_0 - y) = [3/16, -3/16]
  Tensor x = tensor({0.0, std::log(3.0)}, {2}, DType::Float64);
  x.requires_grad_();
  softmax(x, 0).slice(0, 0, 1).sum().backward();
  require_values(x.grad(), {3.0 / 16, -3.0 / 16}, 1e-14);
  // L = log_softmax(x)_1 = x_1 - lse: dL/dx = e_1 - y = [-1/4, 1/4]
  Tensor x2 = tensor({0.0, std::log(3.0)}, {2}, DType::Float64);
  x2.requires_grad_();
  log_softmax(x2, 0).slice(0, 1, 2).sum().backward();
  require_values(x2.grad(), {-0.25, 0.25}, 1e-14);
  // The sum of softmax is constant, so its gradient is 0.
  Tensor x3 = leaf({3, 4}, 2);
  softmax(x3, 1).sum().backward();
  require_values(x3.grad(), std::vector<double>(12, 0.0), 1e-14);
}

// ---------------------------------------------------------------- softmax gradchecks

TEST_CASE("gradcheck: softmax and log_softmax over shapes and dims", "[ops][nn][gradcheck]") {
  struct Case {
    Shape shape;
    std::int64_t dim;
  };
  const std::vector<Case> cases{{{5}, 0},       {{3, 4}, 0},     {{3, 4}, 1}, {{3, 4}, -1},
                                {{2, 3, 4}, 1}, {{2, 3, 4}, -3}, {{4, 1}, 1}, {{1, 6}, 1}};
  for (const auto& c : cases) {
    INFO("shape " << shape_str(c.shape) << " dim " << c.dim);
    Tensor x = leaf(c.shape, 21, -2, 2);
    const std::int64_t d = c.dim;
    REQUIRE_GRADCHECK([d](const TensorList& in) { return softmax(in[0], d); }, TensorList{x});
    REQUIRE_GRADCHECK([d](const TensorList& in) { return log_softmax(in[0], d); }, TensorList{x});
  }
}

TEST_CASE("gradcheck: softmax and log_softmax of non-contiguous inputs", "[ops][nn][gradcheck]") {
  Tensor xt = leaf({5, 3}, 4, -2, 2);     // used as its transpose [3, 5]
  Tensor xs = leaf({4, 7}, 6, -2, 2);     // sliced to columns 1, 3, 5 -> [4, 3]
  Tensor xp = leaf({2, 3, 4}, 8, -2, 2);  // permuted to [4, 2, 3]
  for (std::int64_t d : {0, 1}) {
    INFO("dim " << d);
    REQUIRE_GRADCHECK([d](const TensorList& in) { return softmax(in[0].t(), d); }, TensorList{xt});
    REQUIRE_GRADCHECK([d](const TensorList& in) { return log_softmax(in[0].t(), d); },
                      TensorList{xt});
    REQUIRE_GRADCHECK([d](const TensorList& in) { return softmax(in[0].slice(1, 1, 7, 2), d); },
                      TensorList{xs});
    REQUIRE_GRADCHECK([d](const TensorList& in) { return log_softmax(in[0].slice(1, 1, 7, 2), d); },
                      TensorList{xs});
  }
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return softmax(in[0].permute({2, 0, 1}), 2);
      },
      TensorList{xp});
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return log_softmax(in[0].permute({2, 0, 1}), -1);
      },
      TensorList{xp});
  // A broadcast (expanded) input: gradients of the copies are summed.
  Tensor xb = leaf({3, 1}, 9, -2, 2);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) {
        return softmax(in[0].expand({3, 4}), 0);
      },
      TensorList{xb});
}

TEST_CASE("gradcheck: softmax and log_softmax second order", "[ops][nn][gradcheck]") {
  Tensor x = leaf({3, 4}, 31, -2, 2);
  Tensor x3 = leaf({2, 3, 2}, 32, -2, 2);
  Tensor xt = leaf({4, 3}, 33, -2, 2);
  for (std::int64_t d : {0, 1, -1}) {
    INFO("dim " << d);
    REQUIRE_GRADCHECK([d](const TensorList& in) { return softmax(in[0], d); }, TensorList{x},
                      second_order());
    REQUIRE_GRADCHECK([d](const TensorList& in) { return log_softmax(in[0], d); }, TensorList{x},
                      second_order());
    REQUIRE_GRADCHECK([d](const TensorList& in) { return softmax(in[0], d); }, TensorList{x3},
                      second_order());
    REQUIRE_GRADCHECK([d](const TensorList& in) { return log_softmax(in[0].t(), d); },
                      TensorList{xt}, second_order());
  }
}

TEST_CASE("gradcheck: softmax double backward with respect to the incoming gradient",
          "[ops][nn][gradcheck]") {
  // f(x, v) = <grad_x <softmax(x), v>, w>: depends on x and on v (the seed of the first
  // backward); checks that the backward is itself differentiable in both.
  Tensor x = leaf({3, 4}, 41, -2, 2);
  Tensor v = leaf({3, 4}, 42);
  for (bool log : {false, true}) {
    INFO("log " << log);
    REQUIRE_GRADCHECK(
        [log](const TensorList& in) {
          // gradcheck evaluates fn under NoGradGuard; computing a gradient needs the tape.
          EnableGradGuard eg;
          const Tensor y = log ? log_softmax(in[0], 1) : softmax(in[0], 1);
          const Tensor gx = grad({y}, {in[0]}, {.create_graph = true, .grad_outputs = {in[1]}})[0];
          Generator g(3);
          return sum(mul(gx, randn(gx.shape(), DType::Float64, &g)));
        },
        TensorList{x, v});
  }
}

// ---------------------------------------------------------------- dropout

TEST_CASE("dropout: p = 0 and eval return the input unchanged", "[ops][nn]") {
  Tensor x = leaf({4, 5}, 1);
  Tensor y = dropout(x, 0.0, true);
  REQUIRE(y.same(x));
  Tensor e = dropout(x, 0.5, false);
  REQUIRE(e.same(x));
  Tensor e1 = dropout(x, 1.0, false);
  REQUIRE(e1.same(x));
  REQUIRE(e1.to_vector<double>() == x.to_vector<double>());
  // Eval with a generator does not consume random numbers.
  Generator g1(7), g2(7);
  (void)dropout(x, 0.5, false, &g1);
  REQUIRE(rand({3}, DType::Float64, &g1).to_vector<double>() ==
          rand({3}, DType::Float64, &g2).to_vector<double>());
}

TEST_CASE("dropout: training zeroes a fraction p and scales survivors by 1/(1-p)", "[ops][nn]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const double p = 0.3;
    Generator g(1234);
    Tensor x = full({100000}, 2.0, dt);
    Tensor y = dropout(x, p, true, &g);
    REQUIRE(y.shape() == x.shape());
    REQUIRE(y.dtype() == dt);
    std::int64_t zeros_n = 0, bad_survivors = 0;
    for (double v : y.to_vector<double>()) {
      if (v == 0)
        ++zeros_n;
      else if (std::abs(v - 2.0 / 0.7) > 1e-5)  // survivors: 2 / (1 - 0.3) = 2.857142857...
        ++bad_survivors;
    }
    REQUIRE(bad_survivors == 0);
    const double frac = static_cast<double>(zeros_n) / 100000.0;
    INFO("fraction of zeros " << frac);
    REQUIRE(std::abs(frac - p) < 0.01);
    // The expectation is preserved: mean(y) ~ 2 (std of the mean ~ 2.86*sqrt(.21/1e5) ~ 0.004)
    REQUIRE(std::abs(mean(y).item() - 2.0) < 0.03);
    // The input is not modified.
    REQUIRE(x.at({0}) == 2.0);
  }
}

TEST_CASE("dropout: the same seed gives the same mask", "[ops][nn]") {
  Tensor x = ones({50, 40}, DType::Float64);
  Generator a(99), b(99), c(100);
  const auto ya = dropout(x, 0.5, true, &a).to_vector<double>();
  const auto yb = dropout(x, 0.5, true, &b).to_vector<double>();
  const auto yc = dropout(x, 0.5, true, &c).to_vector<double>();
  REQUIRE(ya == yb);
  REQUIRE(ya != yc);
  // The generator advances: a second call gives another mask.
  REQUIRE(dropout(x, 0.5, true, &a).to_vector<double>() != ya);
  // The mask does not depend on the values of x: the same positions are zero.
  Generator d(99);
  Tensor x2 = uniform({50, 40}, 1, 2, DType::Float64, &c);
  const auto y2 = dropout(x2, 0.5, true, &d).to_vector<double>();
  for (std::size_t i = 0; i < ya.size(); ++i) REQUIRE((ya[i] == 0) == (y2[i] == 0));
}

TEST_CASE("dropout: p = 1 gives zeros, p outside [0, 1] is an error", "[ops][nn]") {
  Tensor x = leaf({3, 4}, 5);
  Tensor y = dropout(x, 1.0, true);
  require_values(y, std::vector<double>(12, 0.0), 0);
  REQUIRE(y.shape() == x.shape());
  // The gradient through p = 1 is zero, not nan.
  y.sum().backward();
  require_values(x.grad(), std::vector<double>(12, 0.0), 0);
  for (double p : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    INFO("p " << p);
    REQUIRE_THROWS_AS(dropout(x, p, true), Error);
    REQUIRE_THROWS_WITH(dropout(x, p, true),
                        Catch::Contains("dropout") && Catch::Contains("[0, 1]"));
    // Also refused in eval mode: the argument is wrong whatever the mode.
    REQUIRE_THROWS_AS(dropout(x, p, false), Error);
  }
  REQUIRE_THROWS_WITH(dropout(int64_tensor({1, 2}), 0.5, true), Catch::Contains("dropout"));
}

TEST_CASE("dropout: backward is the mask scaled by 1/(1-p)", "[ops][nn]") {
  Tensor x = leaf({20, 10}, 7);
  Generator g(5);
  Tensor y = dropout(x, 0.25, true, &g);
  y.sum().backward();
  const auto yv = y.to_vector<double>();
  const auto gv = x.grad().to_vector<double>();
  for (std::size_t i = 0; i < yv.size(); ++i) {
    // y = x * mask / 0.75, so dy/dx = 0 or 1/0.75 (x is never exactly 0 here)
    REQUIRE(gv[i] == Approx(yv[i] == 0 ? 0.0 : 1.0 / 0.75));
  }
}

TEST_CASE("gradcheck: dropout", "[ops][nn][gradcheck]") {
  // A fresh generator with a fixed seed per call keeps the mask identical across perturbations.
  Tensor x = leaf({4, 6}, 51);
  Tensor xt = leaf({6, 4}, 52);
  for (double p : {0.0, 0.2, 0.5, 1.0}) {
    INFO("p " << p);
    REQUIRE_GRADCHECK(
        [p](const TensorList& in) {
          Generator g(17);
          return dropout(in[0], p, true, &g);
        },
        TensorList{x});
    REQUIRE_GRADCHECK(
        [p](const TensorList& in) {
          Generator g(18);
          return mul(dropout(in[0].t(), p, true, &g), in[0].t());
        },
        TensorList{xt}, second_order());
  }
  REQUIRE_GRADCHECK([](const TensorList& in) { return dropout(in[0], 0.5, false); }, TensorList{x});
}
