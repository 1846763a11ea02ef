// Function transforms (autograd/func.hpp) against central finite differences, closed forms and
// each other.
#include "helpers.hpp"
#include "tapegrad/autograd/func.hpp"

using namespace tg;

namespace {

// f(x, W) = sum(tanh(x W)^2), x [3, 4], W [4, 2].
Tensor f_tanh(const TensorList& in) { return sum(square(tanh(matmul(in[0], in[1])))); }
// Broadcasting, vector-valued: a [3, 1], b [4] -> [3, 4].
Tensor f_bcast(const TensorList& in) {
  return add(mul(sin(in[0]), exp(in[1])), mul(in[0], square(in[1])));
}
// Vector-valued, nonlinear in every input: x [5] -> [3].
Tensor f_vec(const TensorList& in) {
  Generator g(9);
  const Tensor M = randn({5, 3}, DType::Float64, &g);
  return mul(tanh(matmul(in[0].reshape({1, 5}), M)).reshape({3}), sum(square(in[0])));
}

TensorList args_tanh() { return {tgtest::leaf({3, 4}, 1), tgtest::leaf({4, 2}, 2)}; }
TensorList args_bcast() { return {tgtest::leaf({3, 1}, 3), tgtest::leaf({4}, 4)}; }
TensorList args_vec() { return {tgtest::leaf({5}, 5)}; }

Shape cat_shape(const Shape& a, const Shape& b) {
  Shape s = a;
  s.insert(s.end(), b.begin(), b.end());
  return s;
}

// d f / d inputs[i] by central differences (eps 1e-6), shape out.shape ++ inputs[i].shape.
Tensor numeric_jacobian(const func::Fn& f, const TensorList& inputs, std::size_t i) {
  NoGradGuard ng;
  const double eps = 1e-6;
  TensorList xs;
  for (const Tensor& x : inputs) xs.push_back(x.detach());
  const Shape out_shape = f(xs).shape();
  const std::vector<double> base = inputs[i].to_vector<double>();
  const std::size_t n = base.size();
  const std::size_t m = static_cast<std::size_t>(numel_of(out_shape));
  std::vector<double> J(m * n);
  for (std::size_t p = 0; p < n; ++p) {
    std::vector<double> v = base;
    v[p] = base[p] + eps;
    xs[i] = tensor(v, inputs[i].shape(), DType::Float64);
    const auto hi = f(xs).to_vector<double>();
    v[p] = base[p] - eps;
    xs[i] = tensor(v, inputs[i].shape(), DType::Float64);
    const auto lo = f(xs).to_vector<double>();
    for (std::size_t k = 0; k < m; ++k) J[k * n + p] = (hi[k] - lo[k]) / (2 * eps);
  }
  return tensor(J, cat_shape(out_shape, inputs[i].shape()), DType::Float64);
}

void require_close(const Tensor& a, const Tensor& b, double tol) {
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (std::size_t k = 0; k < va.size(); ++k) {
    INFO("element " << k << ": " << va[k] << " vs " << vb[k]);
    REQUIRE(std::abs(va[k] - vb[k]) <= tol * (1 + std::abs(vb[k])));
  }
}

// J (shape out ++ in) as an [m, n] matrix times a vector t of n (a.k.a. J t), and v^T J.
Tensor mat(const Tensor& J, std::int64_t m) { return J.reshape({m, J.numel() / m}); }

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no tg::Error)";
}

}  // namespace

TEST_CASE("jacobian (both modes) agrees with finite differences", "[autograd][func]") {
  struct Case {
    const char* name;
    func::Fn f;
    TensorList args;
  };
  const std::vector<Case> cases = {{"tanh", f_tanh, args_tanh()},
                                   {"broadcast", f_bcast, args_bcast()},
                                   {"vector", f_vec, args_vec()}};
  for (const Case& c : cases) {
    INFO(c.name);
    const TensorList rev = func::jacobian(c.f, c.args);
    const TensorList fwd = func::jacobian(c.f, c.args, {.mode = func::JacobianMode::forward});
    REQUIRE(rev.size() == c.args.size());
    for (std::size_t i = 0; i < c.args.size(); ++i) {
      INFO("input " << i);
      const Tensor num = numeric_jacobian(c.f, c.args, i);
      require_close(rev[i], num, 1e-6);
      require_close(fwd[i], num, 1e-6);
      require_close(rev[i], fwd[i], 1e-12);
    }
  }
  // Layout: [out..., in...] with out = [3, 4] and in = [3, 1] for the broadcast case.
  const TensorList J = func::jacobian(f_bcast, args_bcast());
  REQUIRE(J[0].shape() == Shape{3, 4, 3, 1});
  REQUIRE(J[1].shape() == Shape{3, 4, 4});
  // d out[1, 2] / d a[0] = 0 (another row), d out[1, 2] / d b[3] = 0 (another column).
  REQUIRE(J[0].at({1, 2, 0, 0}) == 0.0);
  REQUIRE(J[1].at({1, 2, 3}) == 0.0);
  REQUIRE(J[1].at({1, 2, 2}) != 0.0);
}

TEST_CASE("vjp is v^T J and jvp is J t", "[autograd][func]") {
  const TensorList args = args_bcast();
  Generator g(21);
  const Tensor v = randn({3, 4}, DType::Float64, &g);
  const TensorList ts = {randn({3, 1}, DType::Float64, &g), randn({4}, DType::Float64, &g)};

  const auto [y, vj] = func::vjp(f_bcast, args, v);
  const auto [y2, jv] = func::jvp(f_bcast, args, ts);
  require_close(y, f_bcast(args).detach(), 0);
  require_close(y2, y, 0);
  REQUIRE(jv.shape() == Shape{3, 4});

  Tensor jt = zeros({12}, DType::Float64);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Tensor Jm = mat(numeric_jacobian(f_bcast, args, i), 12);
    // v^T J_i
    const Tensor vtj = matmul(v.reshape({1, 12}), Jm).reshape(args[i].shape());
    require_close(vj[i], vtj, 1e-6);
    jt = add(jt, matmul(Jm, ts[i].reshape({-1, 1})).reshape({12}));
  }
  require_close(jv, jt.reshape({3, 4}), 1e-6);

  // Scalar f: vjp with the default v is the gradient; jvp is <grad, t>.
  const TensorList a = args_tanh();
  const auto r = func::vjp(f_tanh, a);
  for (std::size_t i = 0; i < a.size(); ++i)
    require_close(r.vjps[i], numeric_jacobian(f_tanh, a, i), 1e-6);
  const TensorList ta = {ones({3, 4}, DType::Float64), full({4, 2}, 0.5, DType::Float64)};
  const Tensor dot = add(sum(mul(r.vjps[0], ta[0])), sum(mul(r.vjps[1], ta[1])));
  require_close(func::jvp(f_tanh, a, ta).jvp, dot, 1e-12);
}

TEST_CASE("hessian: closed form, symmetry, finite differences, jacobian of the gradient",
          "[autograd][func]") {
  SECTION("sum(x^3) has H = diag(6x)") {
    const Tensor x = tgtest::leaf({4}, 7);
    const Tensor H = func::hessian([](const Tensor& t) { return sum(pow(t, 3.0)); }, x);
    REQUIRE(H.shape() == Shape{4, 4});
    const auto xv = x.to_vector<double>();
    for (std::int64_t i = 0; i < 4; ++i)
      for (std::int64_t j = 0; j < 4; ++j)
        REQUIRE(H.at({i, j}) == Approx(i == j ? 6 * xv[i] : 0.0).margin(1e-12));
  }
  SECTION("f(x, W) = sum(tanh(x W)^2)") {
    const TensorList a = args_tanh();
    const auto H = func::hessian(f_tanh, a);
    REQUIRE(H.size() == 2);
    REQUIRE(H[0][1].shape() == Shape{3, 4, 4, 2});
    REQUIRE(H[1][0].shape() == Shape{4, 2, 3, 4});
    // Symmetry: H[i][j][a, b] == H[j][i][b, a].
    require_close(mat(H[0][1], 12), mat(H[1][0], 8).t().contiguous(), 1e-12);
    require_close(mat(H[0][0], 12), mat(H[0][0], 12).t().contiguous(), 1e-12);
    require_close(mat(H[1][1], 8), mat(H[1][1], 8).t().contiguous(), 1e-12);
    // The Jacobian of the gradient, by finite differences and by func::jacobian.
    for (std::size_t i = 0; i < 2; ++i) {
      const func::Fn grad_i = [i](const TensorList& in) {
        return func::vjp(f_tanh, in, {}, {.create_graph = true}).vjps[i];
      };
      const TensorList JG = func::jacobian(grad_i, a);
      for (std::size_t j = 0; j < 2; ++j) {
        INFO("block " << i << ", " << j);
        require_close(H[i][j], numeric_jacobian(grad_i, a, j), 1e-6);
        require_close(H[i][j], JG[j], 1e-12);
      }
    }
  }
}

TEST_CASE("hessian_vector_product is H v", "[autograd][func]") {
  const TensorList a = args_tanh();
  Generator g(33);
  const TensorList v = {randn({3, 4}, DType::Float64, &g), randn({4, 2}, DType::Float64, &g)};
  const auto H = func::hessian(f_tanh, a);
  const auto r = func::hessian_vector_product(f_tanh, a, v);
  require_close(r.output, f_tanh(a).detach(), 0);
  for (std::size_t i = 0; i < 2; ++i) {
    Tensor hv = zeros({a[i].numel()}, DType::Float64);
    for (std::size_t j = 0; j < 2; ++j)
      hv = add(hv, matmul(mat(H[i][j], a[i].numel()), v[j].reshape({-1, 1})).reshape({-1}));
    require_close(r.hvp[i], hv.reshape(a[i].shape()), 1e-12);
  }
  const auto l = func::vector_hessian_product(f_tanh, a, v);
  for (std::size_t i = 0; i < 2; ++i) require_close(l.hvp[i], r.hvp[i], 0);
  // Closed form: sum(x^3) gives H v = 6 x v.
  const Tensor x = tgtest::leaf({5}, 8), w = tgtest::leaf({5}, 9).detach();
  const auto c = func::hessian_vector_product(
      [](const TensorList& in) { return sum(pow(in[0], 3.0)); }, {x}, {w});
  require_close(c.hvp[0], mul(mul(x.detach(), w), 6.0), 1e-12);
}

TEST_CASE("transforms leave the inputs and their gradients alone", "[autograd][func]") {
  const TensorList a = args_tanh();
  const Tensor plain = tgtest::leaf({3, 4}, 1).detach();  // does not require grad
  const auto before0 = a[0].to_vector<double>(), before1 = a[1].to_vector<double>();
  tape().prune();
  const std::size_t tape_before = tape().size();
  func::vjp(f_tanh, a);
  func::jvp(f_tanh, a, {ones({3, 4}, DType::Float64), ones({4, 2}, DType::Float64)});
  func::jacobian(f_tanh, a, {.mode = func::JacobianMode::forward});
  func::hessian(f_tanh, a);
  func::hessian_vector_product(f_tanh, a,
                               {ones({3, 4}, DType::Float64), ones({4, 2}, DType::Float64)});
  const auto r = func::vjp(f_tanh, {plain, a[1]});
  REQUIRE(a[0].to_vector<double>() == before0);
  REQUIRE(a[1].to_vector<double>() == before1);
  REQUIRE_FALSE(a[0].grad().defined());
  REQUIRE_FALSE(a[1].grad().defined());
  REQUIRE_FALSE(plain.requires_grad());
  REQUIRE_FALSE(plain.grad().defined());
  REQUIRE(a[0].is_leaf());
  REQUIRE_FALSE(r.output.requires_grad());
  REQUIRE_FALSE(r.vjps[0].requires_grad());
  // Called under NoGradGuard the transforms still work.
  {
    NoGradGuard ng;
    require_close(func::vjp(f_tanh, a).vjps[0], r.vjps[0], 0);
  }
  tape().prune();
  REQUIRE(tape().size() == tape_before);
}

TEST_CASE("create_graph results stay differentiable with respect to the caller's tensors",
          "[autograd][func]") {
  // d/dx of (d/dx sum(x^3)) . 1 = 6x.
  const Tensor x = tgtest::leaf({4}, 12);
  const auto r =
      func::vjp([](const Tensor& t) { return sum(pow(t, 3.0)); }, x, {}, {.create_graph = true});
  REQUIRE(r.vjps[0].requires_grad());
  const Tensor d2 = grad(sum(r.vjps[0]), x);
  require_close(d2, mul(x.detach(), 6.0), 1e-12);
}

TEST_CASE("function transforms report bad arguments", "[autograd][func]") {
  const TensorList a = args_tanh();
  CHECK_THAT(error_of([&] {
               func::jvp(f_tanh, a, {ones({3, 4}, DType::Float64)});
             }),
             Catch::Contains("jvp: f has 2 inputs but 1 tangent was given"));
  CHECK_THAT(error_of([&] {
               func::jvp(f_tanh, a, {ones({3, 4}, DType::Float64), ones({4}, DType::Float64)});
             }),
             Catch::Contains("jvp: tangent 1 has shape [4] but input 1 has shape [4, 2]"));
  CHECK_THAT(error_of([&] {
               func::hessian_vector_product(f_tanh, a, {ones({3, 4}, DType::Float64)});
             }),
             Catch::Contains("hessian_vector_product: f has 2 inputs but 1 v was given"));
  CHECK_THAT(error_of([&] { func::hessian(f_bcast, args_bcast()); }),
             Catch::Contains("hessian: f must return a scalar (one element), but it returned "
                             "shape [3, 4]"));
  CHECK_THAT(error_of([&] {
               func::vjp(f_bcast, args_bcast(), ones({4, 3}, DType::Float64));
             }),
             Catch::Contains("vjp: v has shape [4, 3] but f's output has shape [3, 4]"));
  CHECK_THAT(error_of([&] { func::vjp(f_bcast, args_bcast()); }),
             Catch::Contains("pass v of that shape"));
  CHECK_THAT(error_of([&] {
               func::jacobian([](const Tensor& t) { return t; }, int64_tensor({1, 2}));
             }),
             Catch::Contains("jacobian: input 0 has dtype int64"));
}
