// Gradients of gradients (create_graph) against closed forms and finite differences.
#include "helpers.hpp"

using namespace tg;

namespace {
// d2/dx2 of f at the points xs, computed by differentiating the recorded first derivative.
std::vector<double> second_derivative(Tensor (*f)(const Tensor&), const std::vector<double>& xs) {
  Tensor x = tensor(xs, {}, DType::Float64).requires_grad_();
  Tensor y = sum(f(x));
  Tensor dx = grad(y, x, {.create_graph = true});
  REQUIRE(dx.requires_grad());
  Tensor d2 = grad(sum(dx), x);
  return d2.to_vector<double>();
}
Tensor cube(const Tensor& x) { return pow(x, 3.0); }
Tensor tanh_f(const Tensor& x) { return tanh(x); }
Tensor sigmoid_f(const Tensor& x) { return sigmoid(x); }
Tensor exp_f(const Tensor& x) { return exp(x); }
const std::vector<double> kXs = {-1.7, -0.3, 0.4, 1.1, 2.5};
}  // namespace

TEST_CASE("second derivative of tanh is -2 tanh (1 - tanh^2)", "[autograd][higher]") {
  const auto d2 = second_derivative(tanh_f, kXs);
  for (std::size_t i = 0; i < kXs.size(); ++i) {
    const double t = std::tanh(kXs[i]);
    REQUIRE(d2[i] == Approx(-2 * t * (1 - t * t)).epsilon(1e-12));
  }
}

TEST_CASE("second derivative of sigmoid is s (1 - s) (1 - 2 s)", "[autograd][higher]") {
  const auto d2 = second_derivative(sigmoid_f, kXs);
  for (std::size_t i = 0; i < kXs.size(); ++i) {
    const double s = 1 / (1 + std::exp(-kXs[i]));
    REQUIRE(d2[i] == Approx(s * (1 - s) * (1 - 2 * s)).epsilon(1e-12));
  }
}

TEST_CASE("second derivative of exp is exp", "[autograd][higher]") {
  const auto d2 = second_derivative(exp_f, kXs);
  for (std::size_t i = 0; i < kXs.size(); ++i)
    REQUIRE(d2[i] == Approx(std::exp(kXs[i])).epsilon(1e-12));
}

TEST_CASE("second derivative of x^3 is 6x, third is 6", "[autograd][higher]") {
  const auto d2 = second_derivative(cube, kXs);
  for (std::size_t i = 0; i < kXs.size(); ++i) REQUIRE(d2[i] == Approx(6 * kXs[i]).epsilon(1e-12));
  Tensor x = tensor({0.7}, {}, DType::Float64).requires_grad_();
  Tensor d1 = grad(sum(pow(x, 3.0)), x, {.create_graph = true});
  Tensor d2t = grad(sum(d1), x, {.create_graph = true});
  Tensor d3 = grad(sum(d2t), x);
  tgtest::require_values(d1, {3 * 0.49}, 1e-12);
  tgtest::require_values(d2t, {6 * 0.7}, 1e-12);
  tgtest::require_values(d3, {6.0}, 1e-12);
}

TEST_CASE("Hessian-vector product of a small MLP loss matches finite differences of the gradient",
          "[autograd][higher]") {
  // loss(W1, b1, W2) = mean((tanh(X W1 + b1) W2 - Y)^2). Hv = d/dt grad(theta + t v) at t = 0.
  Generator g(42);
  const Tensor X = randn({8, 3}, DType::Float64, &g), Y = randn({8, 2}, DType::Float64, &g);
  Tensor W1 = randn({3, 5}, DType::Float64, &g).requires_grad_();
  Tensor b1 = randn({5}, DType::Float64, &g).requires_grad_();
  Tensor W2 = randn({5, 2}, DType::Float64, &g).requires_grad_();
  const TensorList params{W1, b1, W2};
  TensorList v;
  for (const Tensor& p : params) v.push_back(randn(p.shape(), DType::Float64, &g));
  auto loss_of = [&](const TensorList& ps) {
    Tensor h = tanh(add(matmul(X, ps[0]), ps[1]));
    Tensor d = sub(matmul(h, ps[2]), Y);
    return mean(mul(d, d));
  };

  // Analytic: Hv = grad(<grad(loss), v>).
  TensorList gr = grad({loss_of(params)}, params, {.create_graph = true});
  Tensor gv = scalar_tensor(0.0, DType::Float64);
  for (std::size_t i = 0; i < gr.size(); ++i) gv = add(gv, sum(mul(gr[i], v[i])));
  TensorList hv = grad({gv}, params);

  // Numeric: (grad(theta + eps v) - grad(theta - eps v)) / (2 eps).
  const double eps = 1e-5;
  auto grad_at = [&](double t) {
    TensorList shifted;
    for (std::size_t i = 0; i < params.size(); ++i) {
      NoGradGuard ng;
      shifted.push_back(add(params[i], mul(v[i], t)).detach().requires_grad_());
    }
    return grad({loss_of(shifted)}, shifted);
  };
  const TensorList gp = grad_at(eps), gm = grad_at(-eps);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto a = hv[i].to_vector<double>();
    const auto p = gp[i].to_vector<double>(), m = gm[i].to_vector<double>();
    for (std::size_t k = 0; k < a.size(); ++k) {
      INFO("param " << i << " element " << k);
      REQUIRE(a[k] == Approx((p[k] - m[k]) / (2 * eps)).epsilon(1e-6).margin(1e-8));
    }
  }
}

TEST_CASE("gradcheck: second order of a composite expression", "[autograd][higher]") {
  Tensor a = tgtest::leaf({3, 4}, 3), b = tgtest::leaf({4}, 4);
  REQUIRE_GRADCHECK(
      [](const TensorList& in) { return sum(mul(sigmoid(mul(in[0], in[1])), tanh(in[0]))); },
      TensorList{a, b}, {.check_second_order = true});
}

TEST_CASE("create_graph backward is correct when the tape grows past its prune threshold",
          "[autograd][higher]") {
  // Regression: the tape used to prune itself while a create_graph backward was appending
  // entries, shifting the indices the engine walks.
  Tensor x = tensor({1.0, 2.0, 3.0}, {}, DType::Float64).requires_grad_();
  for (int i = 0; i < 4090; ++i) (void)mul(x, 2.0);  // dead entries, not yet pruned
  Tensor p = x;
  for (int k = 0; k < 5; ++k) p = mul(p, x);  // x^6
  Tensor g = grad({sum(p)}, {x}, {.create_graph = true})[0];
  tgtest::require_values(g, {6.0, 192.0, 1458.0}, 1e-12);  // 6 x^5
  Tensor g2 = grad({sum(g)}, {x})[0];
  tgtest::require_values(g2, {30.0, 480.0, 2430.0}, 1e-12);  // 30 x^4
  tape().clear();
}
