// Losses of ops/nn.hpp: cross_entropy, nll_loss, mse_loss, binary_cross_entropy_with_logits.
#include <cmath>
#include <limits>

#include "helpers.hpp"

using namespace tg;
using tgtest::leaf;
using tgtest::require_values;

namespace {

// L = log(1 + e^-1 + e^-2): logsumexp([1, 2, 3]) = 3 + L and logsumexp([1, 0, -1]) = 1 + L.
const double kL = std::log(1 + std::exp(-1.0) + std::exp(-2.0));  // 0.4076059644

Tensor logits_2x3() { return tensor({1, 2, 3, 1, 0, -1}, {2, 3}, DType::Float64); }

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (!std::isfinite(v)) return false;
  return true;
}

GradcheckOptions second_order() {
  GradcheckOptions o;
  o.check_second_order = true;
  return o;
}

// f(x, v) = <grad_x <loss(x), v>, w> for a fixed random w: gradcheck of f checks that the
// backward is differentiable in x AND in v (the incoming gradient), which gradcheck's own
// second-order mode, with a fixed v, does not.
std::function<Tensor(const TensorList&)> grad_dot(std::function<Tensor(const Tensor&)> loss) {
  return [loss](const TensorList& in) {
    EnableGradGuard eg;  // gradcheck evaluates fn under NoGradGuard; a gradient needs the tape
    const Tensor y = loss(in[0]);
    const Tensor gx = grad({y}, {in[0]}, {.create_graph = true, .grad_outputs = {in[1]}})[0];
    Generator g(3);
    return sum(mul(gx, randn(gx.shape(), DType::Float64, &g)));
  };
}

CrossEntropyOptions ce(Reduction r, double eps = 0.0, std::int64_t ignore = -100) {
  CrossEntropyOptions o;
  o.reduction = r;
  o.label_smoothing = eps;
  o.ignore_index = ignore;
  return o;
}

}  // namespace

// ---------------------------------------------------------------- cross_entropy values

TEST_CASE("cross_entropy: values for each reduction", "[ops][nn][loss]") {
  // logits [[1, 2, 3], [1, 0, -1]], targets [0, 1]
  // row 0: logsumexp = 3 + L, loss = 3 + L - 1 = 2.4076059644
  // row 1: logsumexp = 1 + L, loss = 1 + L - 0 = 1.4076059644
  const Tensor x = logits_2x3();
  const Tensor t = int64_tensor({0, 1});
  const double l0 = 2 + kL, l1 = 1 + kL;
  require_values(cross_entropy(x, t, ce(Reduction::None)), {l0, l1}, 1e-12);
  REQUIRE(cross_entropy(x, t, ce(Reduction::None)).shape() == Shape{2});
  REQUIRE(cross_entropy(x, t).item() == Approx((l0 + l1) / 2).epsilon(1e-12));  // default mean
  REQUIRE(cross_entropy(x, t).dim() == 0);
  REQUIRE(cross_entropy(x, t, ce(Reduction::Sum)).item() == Approx(l0 + l1).epsilon(1e-12));
  REQUIRE(cross_entropy(x, t, ce(Reduction::Mean)).item() == Approx(1.9076059644).epsilon(1e-9));
  // float32 gives the same to float precision, in float32.
  Tensor y32 = cross_entropy(x.to(DType::Float32), t, ce(Reduction::None));
  REQUIRE(y32.dtype() == DType::Float32);
  require_values(y32, {l0, l1}, 1e-6);
}

TEST_CASE("cross_entropy: label smoothing", "[ops][nn][loss]") {
  // loss = logsumexp(x) - (1 - eps) x_t - eps / C * sum(x), C = 3, eps = 0.1
  // row 0: 3 + L - 0.9 * 1 - 0.1/3 * 6 = 2.3076059644
  // row 1: 1 + L - 0.9 * 0 - 0.1/3 * 0 = 1.4076059644
  const Tensor x = logits_2x3();
  const Tensor t = int64_tensor({0, 1});
  const double r0 = 3 + kL - 0.9 - 0.2, r1 = 1 + kL;
  require_values(cross_entropy(x, t, ce(Reduction::None, 0.1)), {r0, r1}, 1e-12);
  REQUIRE(cross_entropy(x, t, ce(Reduction::Mean, 0.1)).item() ==
          Approx((r0 + r1) / 2).epsilon(1e-12));
  REQUIRE(cross_entropy(x, t, ce(Reduction::Sum, 0.1)).item() == Approx(r0 + r1).epsilon(1e-12));
  // eps = 1: the target is ignored, loss = logsumexp - mean(x): [3 + L - 2, 1 + L - 0]
  require_values(cross_entropy(x, t, ce(Reduction::None, 1.0)), {1 + kL, 1 + kL}, 1e-12);
  // Smoothing raises the loss of a confident correct prediction: [10, 0, 0], target 0.
  const Tensor c = tensor({10, 0, 0}, {1, 3}, DType::Float64);
  const Tensor t0 = int64_tensor({0});
  // lse = 10 + log(1 + 2e^-10); eps = 0.3: loss = lse - 0.7 * 10 - 0.1 * 10 = lse - 8
  const double lse = 10 + std::log(1 + 2 * std::exp(-10.0));
  REQUIRE(cross_entropy(c, t0, ce(Reduction::Sum, 0.3)).item() == Approx(lse - 8).epsilon(1e-12));
  REQUIRE(cross_entropy(c, t0, ce(Reduction::Sum, 0.0)).item() == Approx(lse - 10).epsilon(1e-9));
}

TEST_CASE("cross_entropy: ignore_index, default -100 and custom", "[ops][nn][loss]") {
  const Tensor x = logits_2x3();
  const double l0 = 2 + kL;
  // Default ignore_index -100: row 1 contributes 0 and the mean is over the 1 valid row.
  const Tensor t = int64_tensor({0, -100});
  require_values(cross_entropy(x, t, ce(Reduction::None)), {l0, 0.0}, 1e-12);
  REQUIRE(cross_entropy(x, t).item() == Approx(l0).epsilon(1e-12));
  REQUIRE(cross_entropy(x, t, ce(Reduction::Sum)).item() == Approx(l0).epsilon(1e-12));
  // With smoothing the ignored row still contributes nothing (row 0: 3 + L - 0.9 - 0.2).
  REQUIRE(cross_entropy(x, t, ce(Reduction::Mean, 0.1)).item() ==
          Approx(3 + kL - 1.1).epsilon(1e-12));
  // Custom ignore_index = 1: targets [0, 1] -> row 1 ignored.
  const Tensor t1 = int64_tensor({0, 1});
  require_values(cross_entropy(x, t1, ce(Reduction::None, 0.0, 1)), {l0, 0.0}, 1e-12);
  REQUIRE(cross_entropy(x, t1, ce(Reduction::Mean, 0.0, 1)).item() == Approx(l0).epsilon(1e-12));
  // With a custom ignore_index, -100 is just an out-of-range target.
  REQUIRE_THROWS_WITH(cross_entropy(x, t, ce(Reduction::Mean, 0.0, 1)),
                      Catch::Contains("-100") && Catch::Contains("sample 1"));
  // Every row ignored: the mean is 0/0 = nan, as in PyTorch; the sum is 0.
  const Tensor none = int64_tensor({-100, -100});
  REQUIRE(std::isnan(cross_entropy(x, none).item()));
  REQUIRE(cross_entropy(x, none, ce(Reduction::Sum)).item() == 0.0);

  // Gradient: ignored rows get zero, the valid row gets (softmax - onehot) / 1.
  Tensor xl = logits_2x3();
  xl.requires_grad_();
  cross_entropy(xl, t).backward();
  // softmax([1, 2, 3]) = [0.0900305732, 0.2447284711, 0.6652409558]
  require_values(xl.grad(), {0.0900305732 - 1, 0.2447284711, 0.6652409558, 0, 0, 0}, 1e-9);
}

TEST_CASE("cross_entropy: backward by hand", "[ops][nn][loss]") {
  // d mean / dx_i = (softmax(x_i) - q_i) / N with q = (1 - eps) onehot(t_i) + eps / C
  // softmax([1, 2, 3]) = [a, b, c] = [0.0900305732, 0.2447284711, 0.6652409558]
  // softmax([1, 0, -1]) = [c, b, a]
  const double a = 0.0900305732, b = 0.2447284711, c = 0.6652409558;
  const Tensor t = int64_tensor({0, 1});
  {
    Tensor x = logits_2x3();
    x.requires_grad_();
    cross_entropy(x, t).backward();
    require_values(x.grad(), {(a - 1) / 2, b / 2, c / 2, c / 2, (b - 1) / 2, a / 2}, 1e-9);
  }
  {
    // eps = 0.3, C = 3: q row 0 = [0.8, 0.1, 0.1], q row 1 = [0.1, 0.8, 0.1]; sum reduction
    Tensor x = logits_2x3();
    x.requires_grad_();
    cross_entropy(x, t, ce(Reduction::Sum, 0.3)).backward();
    require_values(x.grad(), {a - 0.8, b - 0.1, c - 0.1, c - 0.1, b - 0.8, a - 0.1}, 1e-9);
  }
  {
    // Reduction::None with an explicit gradient [2, -1] scales each row.
    Tensor x = logits_2x3();
    x.requires_grad_();
    cross_entropy(x, t, ce(Reduction::None)).backward(tensor({2, -1}, {2}, DType::Float64));
    require_values(x.grad(), {2 * (a - 1), 2 * b, 2 * c, -c, -(b - 1), -a}, 1e-9);
  }
}

TEST_CASE("cross_entropy: stability with huge logits", "[ops][nn][loss]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    // [1000, -1000] with target 1: loss = 2000 (logsumexp = 1000); target 0: loss = 0.
    Tensor x = tensor({1000, -1000, 1000, -1000, -1000, -1000}, {3, 2}, dt);
    x.requires_grad_();
    Tensor l = cross_entropy(x, int64_tensor({1, 0, 1}), ce(Reduction::None));
    REQUIRE(all_finite(l));
    // row 2: [-1000, -1000], target 1: log 2
    require_values(l, {2000.0, 0.0, std::log(2.0)}, 1e-6);
    l.sum().backward();
    REQUIRE(all_finite(x.grad()));
    // softmax - onehot: [1, 0] - [0, 1], [1, 0] - [1, 0], [0.5, 0.5] - [0, 1]
    require_values(x.grad(), {1, -1, 0, 0, 0.5, -0.5}, 1e-6);
  }
}

TEST_CASE("cross_entropy: non-contiguous logits and targets", "[ops][nn][loss]") {
  // logits given as the transpose of a [3, 2] tensor, targets as a strided slice.
  const Tensor xt = tensor({1, 1, 2, 0, 3, -1}, {3, 2}, DType::Float64);
  const Tensor x = xt.t();  // [[1, 2, 3], [1, 0, -1]]
  REQUIRE_FALSE(x.is_contiguous());
  const Tensor t = int64_tensor({0, 7, 1, 7}).slice(0, 0, 4, 2);  // [0, 1]
  REQUIRE_FALSE(t.is_contiguous());
  require_values(cross_entropy(x, t, ce(Reduction::None)), {2 + kL, 1 + kL}, 1e-12);
  require_values(cross_entropy(x, t, ce(Reduction::None, 0.1)), {3 + kL - 1.1, 1 + kL}, 1e-12);
}

TEST_CASE("cross_entropy: changing the targets after the forward does not change the gradient",
          "[ops][nn][loss]") {
  Tensor x = logits_2x3();
  x.requires_grad_();
  Tensor t = int64_tensor({0, 1});
  Tensor loss = cross_entropy(x, t, ce(Reduction::Sum));
  t.set<std::int64_t>({0}, 2);  // the loss was computed for target 0; its gradient must be too
  loss.backward();
  const double a = 0.0900305732, b = 0.2447284711, c = 0.6652409558;
  require_values(x.grad(), {a - 1, b, c, c, b - 1, a}, 1e-9);
}

TEST_CASE("cross_entropy: one tape entry, also for non-contiguous logits", "[ops][nn][loss]") {
  Tensor x = leaf({3, 4}, 5);
  const Tensor xt = x.t();  // [4, 3]
  const std::size_t before = tape().size();
  Tensor loss = cross_entropy(xt, int64_tensor({0, 1, 2, 0}));
  REQUIRE(tape().size() == before + 1);
  REQUIRE(std::string(tape()[tape().size() - 1].name) == "cross_entropy");
  loss.backward();
  REQUIRE(x.grad().shape() == Shape{3, 4});
}

TEST_CASE("cross_entropy: errors", "[ops][nn][loss]") {
  const Tensor x = logits_2x3();
  // Target out of range names the op, the sample, the target and the class count.
  REQUIRE_THROWS_AS(cross_entropy(x, int64_tensor({0, 3})), Error);
  REQUIRE_THROWS_WITH(cross_entropy(x, int64_tensor({0, 3})),
                      Catch::Contains("cross_entropy") && Catch::Contains("target 3") &&
                          Catch::Contains("sample 1") && Catch::Contains("3 classes"));
  REQUIRE_THROWS_WITH(cross_entropy(x, int64_tensor({-1, 0})),
                      Catch::Contains("target -1") && Catch::Contains("sample 0"));
  // Checked in every reduction mode.
  REQUIRE_THROWS_AS(cross_entropy(x, int64_tensor({5, 0}), ce(Reduction::None)), Error);
  // Targets must be int64.
  REQUIRE_THROWS_WITH(cross_entropy(x, tensor({0, 1}, {2})),
                      Catch::Contains("cross_entropy") && Catch::Contains("int64"));
  REQUIRE_THROWS_AS(cross_entropy(x, tensor({0, 1}, {2}, DType::Float64)), Error);
  // Shapes: logits must be [N, C], targets [N].
  REQUIRE_THROWS_WITH(cross_entropy(tensor({1, 2, 3}, {3}, DType::Float64), int64_tensor({0})),
                      Catch::Contains("cross_entropy") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(cross_entropy(zeros({2, 3, 4}, DType::Float64), int64_tensor({0, 1})),
                      Catch::Contains("cross_entropy") && Catch::Contains("[2, 3, 4]"));
  REQUIRE_THROWS_WITH(cross_entropy(x, int64_tensor({0, 1, 2})), Catch::Contains("cross_entropy") &&
                                                                     Catch::Contains("[2, 3]") &&
                                                                     Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(cross_entropy(x, int64_tensor({0, 1}, {2, 1})),
                      Catch::Contains("cross_entropy") && Catch::Contains("[2, 1]"));
  // Integer logits, bad smoothing.
  REQUIRE_THROWS_WITH(cross_entropy(int64_tensor({1, 2, 3, 4}, {2, 2}), int64_tensor({0, 1})),
                      Catch::Contains("cross_entropy"));
  for (double eps : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()})
    REQUIRE_THROWS_WITH(cross_entropy(x, int64_tensor({0, 1}), ce(Reduction::Mean, eps)),
                        Catch::Contains("label_smoothing"));
  REQUIRE_THROWS_WITH(cross_entropy(Tensor(), int64_tensor({0})), Catch::Contains("cross_entropy"));
}

TEST_CASE("cross_entropy equals nll_loss(log_softmax(x)) in float64", "[ops][nn][loss]") {
  Generator g(77);
  const Tensor base = normal({6, 5}, 0, 3, DType::Float64, &g);
  const Tensor t = int64_tensor({4, 0, -100, 2, 3, 1});
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    for (std::int64_t ignore : {std::int64_t{-100}, std::int64_t{3}}) {
      const Tensor tt = ignore == -100 ? t : int64_tensor({4, 0, 3, 2, 3, 1});
      INFO("reduction " << static_cast<int>(r) << " ignore " << ignore);
      Tensor x1 = base.clone(), x2 = base.clone();
      x1.requires_grad_();
      x2.requires_grad_();
      const Tensor a = cross_entropy(x1, tt, ce(r, 0.0, ignore));
      const Tensor b = nll_loss(log_softmax(x2, 1), tt, r, ignore);
      REQUIRE(a.shape() == b.shape());
      require_values(a, b.to_vector<double>(), 1e-12);
      const Tensor w = r == Reduction::None ? tensor({1, -2, 3, 0.5, 2, -1}, {6}, DType::Float64)
                                            : scalar_tensor(1.0, DType::Float64);
      a.backward(w);
      b.backward(w);
      require_values(x1.grad(), x2.grad().to_vector<double>(), 1e-12);
    }
  }
}

// ---------------------------------------------------------------- cross_entropy gradchecks

TEST_CASE("gradcheck: cross_entropy reductions, shapes and smoothing", "[ops][nn][gradcheck]") {
  struct Case {
    Shape shape;
    std::vector<std::int64_t> targets;
  };
  const std::vector<Case> cases{
      {{1, 3}, {2}}, {{4, 5}, {0, 4, 2, 1}}, {{6, 2}, {1, 0, 0, 1, 1, 0}}, {{3, 7}, {6, -100, 0}}};
  for (const auto& c : cases) {
    const Tensor t = int64_tensor(c.targets);
    Tensor x = leaf(c.shape, 61, -3, 3);
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      for (double eps : {0.0, 0.2}) {
        INFO("shape " << shape_str(c.shape) << " reduction " << static_cast<int>(r) << " eps "
                      << eps);
        const CrossEntropyOptions o = ce(r, eps);
        REQUIRE_GRADCHECK([t, o](const TensorList& in) { return cross_entropy(in[0], t, o); },
                          TensorList{x});
      }
    }
  }
}

TEST_CASE("gradcheck: cross_entropy non-contiguous logits and custom ignore_index",
          "[ops][nn][gradcheck]") {
  const Tensor t = int64_tensor({0, 2, 1, 2});
  Tensor xt = leaf({3, 4}, 62, -2, 2);  // used transposed: [4, 3]
  Tensor xs = leaf({4, 7}, 63, -2, 2);  // columns 0, 2, 4 -> [4, 3]
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    INFO("reduction " << static_cast<int>(r));
    const CrossEntropyOptions o = ce(r, 0.1, 2);  // rows with target 2 are ignored
    REQUIRE_GRADCHECK([t, o](const TensorList& in) { return cross_entropy(in[0].t(), t, o); },
                      TensorList{xt});
    REQUIRE_GRADCHECK(
        [t, o](const TensorList& in) { return cross_entropy(in[0].slice(1, 0, 7, 2), t, o); },
        TensorList{xs});
  }
}

TEST_CASE("gradcheck: cross_entropy second order", "[ops][nn][gradcheck]") {
  const Tensor t = int64_tensor({2, 0, -100, 1});
  Tensor x = leaf({4, 3}, 64, -2, 2);
  Tensor xt = leaf({3, 4}, 65, -2, 2);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    for (double eps : {0.0, 0.3}) {
      INFO("reduction " << static_cast<int>(r) << " eps " << eps);
      const CrossEntropyOptions o = ce(r, eps);
      REQUIRE_GRADCHECK([t, o](const TensorList& in) { return cross_entropy(in[0], t, o); },
                        TensorList{x}, second_order());
      REQUIRE_GRADCHECK([t, o](const TensorList& in) { return cross_entropy(in[0].t(), t, o); },
                        TensorList{xt}, second_order());
    }
  }
}

TEST_CASE("gradcheck: cross_entropy double backward in the incoming gradient",
          "[ops][nn][gradcheck]") {
  const Tensor t = int64_tensor({2, 0, -100, 1});
  Tensor x = leaf({4, 3}, 66, -2, 2);
  Tensor v = leaf({4}, 67);
  Tensor vs = leaf({}, 68);
  const CrossEntropyOptions none = ce(Reduction::None, 0.1);
  REQUIRE_GRADCHECK(grad_dot([t, none](const Tensor& a) { return cross_entropy(a, t, none); }),
                    TensorList{x, v});
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    const CrossEntropyOptions o = ce(r, 0.1);
    REQUIRE_GRADCHECK(grad_dot([t, o](const Tensor& a) { return cross_entropy(a, t, o); }),
                      TensorList{x, vs});
  }
}

// ---------------------------------------------------------------- nll_loss

TEST_CASE("nll_loss: values, reductions and ignore_index", "[ops][nn][loss]") {
  // log_probs [[-0.5, -1, -2], [-3, -0.1, -4]], targets [0, 1]: per-sample [0.5, 0.1]
  const Tensor lp = tensor({-0.5, -1, -2, -3, -0.1, -4}, {2, 3}, DType::Float64);
  const Tensor t = int64_tensor({0, 1});
  require_values(nll_loss(lp, t, Reduction::None), {0.5, 0.1}, 1e-15);
  REQUIRE(nll_loss(lp, t).item() == Approx(0.3).epsilon(1e-14));  // default mean
  REQUIRE(nll_loss(lp, t, Reduction::Sum).item() == Approx(0.6).epsilon(1e-14));
  // Default ignore_index -100: [0.5, 0], mean over 1 valid sample = 0.5
  const Tensor ti = int64_tensor({0, -100});
  require_values(nll_loss(lp, ti, Reduction::None), {0.5, 0.0}, 1e-15);
  REQUIRE(nll_loss(lp, ti).item() == Approx(0.5).epsilon(1e-14));
  REQUIRE(nll_loss(lp, ti, Reduction::Sum).item() == Approx(0.5).epsilon(1e-14));
  // Custom ignore_index 0: targets [0, 1] -> [0, 0.1], mean 0.1
  require_values(nll_loss(lp, t, Reduction::None, 0), {0.0, 0.1}, 1e-15);
  REQUIRE(nll_loss(lp, t, Reduction::Mean, 0).item() == Approx(0.1).epsilon(1e-14));
  // float32
  require_values(nll_loss(lp.to(DType::Float32), t, Reduction::None), {0.5, 0.1}, 1e-6);
  REQUIRE(nll_loss(lp.to(DType::Float32), t).dtype() == DType::Float32);
  // Targets are not modified by the ignore handling.
  REQUIRE(ti.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, -100});
  // Non-contiguous log_probs (a transpose) and targets (a slice).
  const Tensor lpt = tensor({-0.5, -3, -1, -0.1, -2, -4}, {3, 2}, DType::Float64).t();
  require_values(nll_loss(lpt, int64_tensor({0, 9, 1}).slice(0, 0, 3, 2), Reduction::None),
                 {0.5, 0.1}, 1e-15);
}

TEST_CASE("nll_loss: backward by hand", "[ops][nn][loss]") {
  // d mean / d lp[i, t_i] = -1 / N_valid, 0 elsewhere and on ignored rows.
  Tensor lp = tensor({-0.5, -1, -2, -3, -0.1, -4, -1, -1, -1}, {3, 3}, DType::Float64);
  lp.requires_grad_();
  nll_loss(lp, int64_tensor({2, -100, 0})).backward();
  require_values(lp.grad(), {0, 0, -0.5, 0, 0, 0, -0.5, 0, 0}, 1e-15);
}

TEST_CASE("nll_loss: errors", "[ops][nn][loss]") {
  const Tensor lp = zeros({2, 3}, DType::Float64);
  REQUIRE_THROWS_WITH(nll_loss(lp, int64_tensor({0, 3})), Catch::Contains("nll_loss") &&
                                                              Catch::Contains("sample 1") &&
                                                              Catch::Contains("3 classes"));
  REQUIRE_THROWS_WITH(nll_loss(lp, int64_tensor({-2, 0})), Catch::Contains("target -2"));
  REQUIRE_THROWS_WITH(nll_loss(lp, tensor({0, 1}, {2})),
                      Catch::Contains("nll_loss") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(nll_loss(lp, int64_tensor({0})),
                      Catch::Contains("nll_loss") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(nll_loss(zeros({6}, DType::Float64), int64_tensor({0})),
                      Catch::Contains("nll_loss") && Catch::Contains("[6]"));
}

TEST_CASE("gradcheck: nll_loss", "[ops][nn][gradcheck]") {
  const Tensor t = int64_tensor({1, -100, 0, 3});
  Tensor x = leaf({4, 5}, 71, -3, -0.1);
  Tensor xt = leaf({5, 4}, 72, -3, -0.1);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    INFO("reduction " << static_cast<int>(r));
    REQUIRE_GRADCHECK([t, r](const TensorList& in) { return nll_loss(in[0], t, r); },
                      TensorList{x});
    const Tensor t0 = int64_tensor({1, 2, 0, 3});  // ignore_index 0: sample 2 is ignored
    REQUIRE_GRADCHECK([t0, r](const TensorList& in) { return nll_loss(in[0].t(), t0, r, 0); },
                      TensorList{xt});
    // Composed with log_softmax, and differentiated twice.
    REQUIRE_GRADCHECK(
        [t, r](const TensorList& in) { return nll_loss(log_softmax(in[0], 1), t, r); },
        TensorList{x}, second_order());
  }
}

// ---------------------------------------------------------------- mse_loss

TEST_CASE("mse_loss: values, reductions and backward", "[ops][nn][loss]") {
  // input [1, 2, 3], target [0, 2, 5]: d = [1, 0, -2], d^2 = [1, 0, 4]
  Tensor x = tensor({1, 2, 3}, {3}, DType::Float64);
  Tensor y = tensor({0, 2, 5}, {3}, DType::Float64);
  require_values(mse_loss(x, y, Reduction::None), {1, 0, 4}, 0);
  REQUIRE(mse_loss(x, y).item() == Approx(5.0 / 3).epsilon(1e-15));
  REQUIRE(mse_loss(x, y, Reduction::Sum).item() == 5.0);
  REQUIRE(mse_loss(x.to(DType::Float32), y.to(DType::Float32)).dtype() == DType::Float32);
  // d mean / dx = 2 d / 3 = [2/3, 0, -4/3]; d / dtarget is the negative
  x.requires_grad_();
  y.requires_grad_();
  mse_loss(x, y).backward();
  require_values(x.grad(), {2.0 / 3, 0, -4.0 / 3}, 1e-15);
  require_values(y.grad(), {-2.0 / 3, 0, 4.0 / 3}, 1e-15);
  // Mean over every element of a 2-D input, non-contiguous: [[1, 3], [2, 4]] vs zeros
  const Tensor m = tensor({1, 2, 3, 4}, {2, 2}, DType::Float64).t();
  REQUIRE(mse_loss(m, zeros({2, 2}, DType::Float64)).item() == Approx(30.0 / 4));
}

TEST_CASE("mse_loss: errors", "[ops][nn][loss]") {
  const Tensor x = zeros({3}, DType::Float64);
  REQUIRE_THROWS_AS(mse_loss(x, zeros({2}, DType::Float64)), Error);
  REQUIRE_THROWS_WITH(mse_loss(x, zeros({2}, DType::Float64)), Catch::Contains("mse_loss") &&
                                                                   Catch::Contains("[3]") &&
                                                                   Catch::Contains("[2]"));
  // No silent broadcasting ([3] against [1, 3] or [3, 1]).
  REQUIRE_THROWS_WITH(mse_loss(x, zeros({3, 1}, DType::Float64)),
                      Catch::Contains("mse_loss") && Catch::Contains("[3, 1]"));
  REQUIRE_THROWS_AS(mse_loss(x, zeros({1, 3}, DType::Float64)), Error);
  REQUIRE_THROWS_AS(mse_loss(x, Tensor()), Error);
  // dtypes: floating and equal, reported by mse_loss itself.
  REQUIRE_THROWS_WITH(mse_loss(int64_tensor({1, 2, 3}), int64_tensor({1, 2, 3})),
                      Catch::Contains("mse_loss") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(mse_loss(x, zeros({3}, DType::Float32)),
                      Catch::Contains("mse_loss") && Catch::Contains("float32"));
}

TEST_CASE("gradcheck: mse_loss", "[ops][nn][gradcheck]") {
  for (const Shape& s : {Shape{5}, Shape{3, 4}, Shape{2, 3, 2}}) {
    Tensor a = leaf(s, 81), b = leaf(s, 82);
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      INFO("shape " << shape_str(s) << " reduction " << static_cast<int>(r));
      REQUIRE_GRADCHECK([r](const TensorList& in) { return mse_loss(in[0], in[1], r); },
                        TensorList{a, b});
      REQUIRE_GRADCHECK([r](const TensorList& in) { return mse_loss(in[0], in[1], r); },
                        TensorList{a, b}, second_order());
    }
  }
  // Non-contiguous: transposed input against a sliced target.
  Tensor at = leaf({4, 3}, 83), bs = leaf({3, 8}, 84);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) { return mse_loss(in[0].t(), in[1].slice(1, 0, 8, 2)); },
      TensorList{at, bs}, second_order());
  Tensor v = leaf({}, 85);
  Tensor tgt = leaf({3, 4}, 86);
  tgt.requires_grad_(false);
  REQUIRE_GRADCHECK(grad_dot([tgt](const Tensor& a) { return mse_loss(a, tgt); }),
                    TensorList{leaf({3, 4}, 87), v});
}

// ---------------------------------------------------------------- binary_cross_entropy_with_logits

TEST_CASE("binary_cross_entropy_with_logits: values", "[ops][nn][loss]") {
  // loss = -(y log s(x) + (1 - y) log(1 - s(x))), s = sigmoid:
  // x = 0.5, y = 1:   -log s(0.5)                           = 0.4740769842
  // x = -1,  y = 0:   -log(1 - s(-1)) = -log s(1)           = 0.3132616875
  // x = 2,   y = 0.3: -(0.3 log s(2) + 0.7 log(1 - s(2)))   = 1.5269280110
  const Tensor x = tensor({0.5, -1, 2}, {3}, DType::Float64);
  const Tensor y = tensor({1, 0, 0.3}, {3}, DType::Float64);
  std::vector<double> want;
  for (auto [xi, yi] : {std::pair{0.5, 1.0}, std::pair{-1.0, 0.0}, std::pair{2.0, 0.3}}) {
    const double s = 1 / (1 + std::exp(-xi));
    want.push_back(-(yi * std::log(s) + (1 - yi) * std::log(1 - s)));
  }
  require_values(binary_cross_entropy_with_logits(x, y, Reduction::None), want, 1e-12);
  require_values(binary_cross_entropy_with_logits(x, y, Reduction::None),
                 {0.4740769842, 0.3132616875, 1.5269280110}, 1e-9);
  REQUIRE(binary_cross_entropy_with_logits(x, y).item() ==
          Approx((want[0] + want[1] + want[2]) / 3).epsilon(1e-12));
  REQUIRE(binary_cross_entropy_with_logits(x, y, Reduction::Sum).item() ==
          Approx(want[0] + want[1] + want[2]).epsilon(1e-12));
  require_values(
      binary_cross_entropy_with_logits(x.to(DType::Float32), y.to(DType::Float32), Reduction::None),
      want, 1e-6);
  // 2-D, non-contiguous logits.
  const Tensor x2 = tensor({0.5, 2, -1, 0}, {2, 2}, DType::Float64).t();  // [[0.5, -1], [2, 0]]
  const Tensor y2 = tensor({1, 0, 0.3, 0.5}, {2, 2}, DType::Float64);
  // x = 0, y = 0.5: log 2
  require_values(binary_cross_entropy_with_logits(x2, y2, Reduction::None),
                 {want[0], want[1], want[2], std::log(2.0)}, 1e-12);
}

TEST_CASE("binary_cross_entropy_with_logits: stable at x = +-100", "[ops][nn][loss]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    // x = 100, y = 1: log(1 + e^-100) ~ 3.7e-44; x = 100, y = 0: 100
    // x = -100, y = 0: ~ 3.7e-44;                x = -100, y = 1: 100
    Tensor x = tensor({100, 100, -100, -100}, {4}, dt);
    Tensor y = tensor({1, 0, 0, 1}, {4}, dt);
    x.requires_grad_();
    Tensor l = binary_cross_entropy_with_logits(x, y, Reduction::None);
    REQUIRE(all_finite(l));
    require_values(l, {0.0, 100.0, 0.0, 100.0}, 1e-6);
    l.sum().backward();
    REQUIRE(all_finite(x.grad()));
    // sigmoid(x) - y = [1 - 1, 1 - 0, 0 - 0, 0 - 1]
    require_values(x.grad(), {0.0, 1.0, 0.0, -1.0}, 1e-6);
  }
}

TEST_CASE("binary_cross_entropy_with_logits: gradients by hand", "[ops][nn][loss]") {
  // At x = 0: d/dx = sigmoid(0) - y = 0.5 - y.
  Tensor x = zeros({3}, DType::Float64);
  x.requires_grad_();
  const Tensor y = tensor({0, 0.25, 1}, {3}, DType::Float64);
  binary_cross_entropy_with_logits(x, y, Reduction::Sum).backward();
  require_values(x.grad(), {0.5, 0.25, -0.5}, 1e-15);
  // Mean divides by N = 3.
  Tensor x2 = zeros({3}, DType::Float64);
  x2.requires_grad_();
  binary_cross_entropy_with_logits(x2, y).backward();
  require_values(x2.grad(), {0.5 / 3, 0.25 / 3, -0.5 / 3}, 1e-15);
  // With respect to the targets: d/dy = -x.
  Tensor xs = tensor({0.5, -1, 2}, {3}, DType::Float64);
  Tensor ys = tensor({1, 0, 0.3}, {3}, DType::Float64);
  xs.requires_grad_();
  ys.requires_grad_();
  binary_cross_entropy_with_logits(xs, ys, Reduction::Sum).backward();
  require_values(ys.grad(), {-0.5, 1, -2}, 1e-15);
  // and d/dx = sigmoid(x) - y: [0.6224593312 - 1, 0.2689414214 - 0, 0.8807970780 - 0.3]
  require_values(xs.grad(), {0.6224593312 - 1, 0.2689414214, 0.8807970780 - 0.3}, 1e-9);
  // Targets alone requiring grad.
  Tensor yt = tensor({0.2, 0.7}, {2}, DType::Float64);
  yt.requires_grad_();
  binary_cross_entropy_with_logits(tensor({3, -4}, {2}, DType::Float64), yt, Reduction::Sum)
      .backward();
  require_values(yt.grad(), {-3, 4}, 1e-15);
}

TEST_CASE("binary_cross_entropy_with_logits: errors", "[ops][nn][loss]") {
  const Tensor x = zeros({2, 3}, DType::Float64);
  REQUIRE_THROWS_WITH(binary_cross_entropy_with_logits(x, zeros({3, 2}, DType::Float64)),
                      Catch::Contains("binary_cross_entropy_with_logits") &&
                          Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
  REQUIRE_THROWS_AS(binary_cross_entropy_with_logits(x, zeros({3}, DType::Float64)), Error);
  REQUIRE_THROWS_AS(binary_cross_entropy_with_logits(x, zeros({2, 3}, DType::Float32)), Error);
  REQUIRE_THROWS_WITH(binary_cross_entropy_with_logits(int64_tensor({0, 1}), int64_tensor({0, 1})),
                      Catch::Contains("binary_cross_entropy_with_logits"));
}

TEST_CASE("gradcheck: binary_cross_entropy_with_logits", "[ops][nn][gradcheck]") {
  for (const Shape& s : {Shape{5}, Shape{3, 4}, Shape{2, 2, 3}}) {
    Tensor x = leaf(s, 91, -4, 4), y = leaf(s, 92, 0.05, 0.95);
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      INFO("shape " << shape_str(s) << " reduction " << static_cast<int>(r));
      auto fn = [r](const TensorList& in) {
        return binary_cross_entropy_with_logits(in[0], in[1], r);
      };
      REQUIRE_GRADCHECK(fn, TensorList{x, y});
      REQUIRE_GRADCHECK(fn, TensorList{x, y}, second_order());
    }
  }
  // Non-contiguous logits (transposed) and targets (sliced), large |x| too.
  Tensor xt = leaf({4, 3}, 93, -30, 30), ys = leaf({3, 8}, 94, 0, 1);
  auto nc = [](const TensorList& in) {
    return binary_cross_entropy_with_logits(in[0].t(), in[1].slice(1, 1, 8, 2));
  };
  REQUIRE_GRADCHECK(nc, TensorList{xt, ys});
  REQUIRE_GRADCHECK(nc, TensorList{xt, ys}, second_order());
  // Only the logits require grad.
  Tensor xo = leaf({6}, 95, -3, 3);
  const Tensor yc = tensor({0, 1, 0.5, 0.2, 1, 0}, {6}, DType::Float64);
  REQUIRE_GRADCHECK(
      [yc](const TensorList& in) { return binary_cross_entropy_with_logits(in[0], yc); },
      TensorList{xo}, second_order());
  // Differentiable in the incoming gradient as well.
  Tensor v = leaf({6}, 96);
  REQUIRE_GRADCHECK(grad_dot([yc](const Tensor& a) {
                      return binary_cross_entropy_with_logits(a, yc, Reduction::None);
                    }),
                    TensorList{xo, v});
}
