// Optimizer trajectories against references written here from the published (PyTorch 1.13)
// update equations, in plain double arithmetic on std::vector. The problem: a float64 parameter
// vector x with loss  sum_i 0.5 * c_i * (x_i - t_i)^2 + sin(x_i), so
//   grad_i = c_i * (x_i - t_i) + cos(x_i),
// recomputed from the current parameters before every step.
#include <cmath>
#include <functional>

#include "helpers.hpp"
#include "tapegrad/optim/optim.hpp"

using namespace tg;
using namespace tg::optim;

namespace {

using Vec = std::vector<double>;

const Vec kX0 = {0.5, -1.2, 2.0, 0.1, -0.3, 1.7};
const Vec kC = {1.0, 2.0, 0.5, 3.0, 1.5, 0.8};
const Vec kT = {0.3, -0.5, 1.0, 0.0, 0.2, -1.0};

Vec problem_grad(const Vec& x, std::size_t offset = 0) {
  Vec g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t k = (i + offset) % kC.size();
    g[i] = kC[k] * (x[i] - kT[k]) + std::cos(x[i]);
  }
  return g;
}

Tensor param(const Vec& x, DType dtype = DType::Float64) {
  Tensor p = tensor(x, {static_cast<std::int64_t>(x.size())}, dtype);
  p.requires_grad_();
  return p;
}

void set_problem_grad(Tensor& p, std::size_t offset = 0) {
  const Vec g = problem_grad(p.to_vector<double>(), offset);
  p.set_grad(tensor(g, p.shape(), p.dtype()));
}

// SGD:  g = grad + wd*x;  momentum: buf = g (first step) else buf = mu*buf + (1-damp)*g,
//       g = nesterov ? g + mu*buf : buf;  x = x - lr*g
struct RefSGD {
  double lr, mu = 0, damp = 0, wd = 0;
  bool nesterov = false;
  Vec buf;
  void step(Vec& x, const Vec& grad) {
    if (buf.empty() && mu != 0) buf.assign(x.size(), 0.0);
    const bool first = step_count++ == 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      double g = grad[i] + wd * x[i];
      if (mu != 0) {
        buf[i] = first ? g : mu * buf[i] + (1 - damp) * g;
        g = nesterov ? g + mu * buf[i] : buf[i];
      }
      x[i] -= lr * g;
    }
  }
  int step_count = 0;
};

// Adam at step t:  g = grad + wd*x (Adam) or x = x*(1 - lr*wd) first (AdamW);
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  vmax = max(vmax, v) (amsgrad, used for v)
//   x = x - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
struct RefAdam {
  double lr, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0;
  bool amsgrad = false, decoupled = false;
  Vec m, v, vmax;
  int t = 0;
  void step(Vec& x, const Vec& grad) {
    if (m.empty()) m = v = vmax = Vec(x.size(), 0.0);
    ++t;
    for (std::size_t i = 0; i < x.size(); ++i) {
      double g = grad[i];
      if (decoupled)
        x[i] *= 1 - lr * wd;
      else
        g += wd * x[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      vmax[i] = std::max(vmax[i], v[i]);
      const double second = amsgrad ? vmax[i] : v[i];
      const double denom = std::sqrt(second) / std::sqrt(1 - std::pow(b2, t)) + eps;
      x[i] -= lr / (1 - std::pow(b1, t)) * m[i] / denom;
    }
  }
};

// RMSprop:  g = grad + wd*x;  sq = a*sq + (1-a)*g^2
//   centered: ga = a*ga + (1-a)*g, avg = sqrt(sq - ga^2) + eps;  else avg = sqrt(sq) + eps
//   momentum: buf = mu*buf + g/avg, x = x - lr*buf;  else x = x - lr*g/avg
struct RefRMSprop {
  double lr, alpha = 0.99, eps = 1e-8, wd = 0, mu = 0;
  bool centered = false;
  Vec sq, ga, buf;
  void step(Vec& x, const Vec& grad) {
    if (sq.empty()) sq = ga = buf = Vec(x.size(), 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double g = grad[i] + wd * x[i];
      sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
      double avg;
      if (centered) {
        ga[i] = alpha * ga[i] + (1 - alpha) * g;
        avg = std::sqrt(sq[i] - ga[i] * ga[i]) + eps;
      } else {
        avg = std::sqrt(sq[i]) + eps;
      }
      if (mu > 0) {
        buf[i] = mu * buf[i] + g / avg;
        x[i] -= lr * buf[i];
      } else {
        x[i] -= lr * g / avg;
      }
    }
  }
};

void require_close(const Tensor& p, const Vec& want, double rel) {
  const Vec got = p.to_vector<double>();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(got[i] == Approx(want[i]).epsilon(rel).margin(1e-12));
  }
}

// Runs `steps` steps of opt on p and of ref_step on a copy of p's start values, comparing after
// every step; also checks that the parameters really moved.
template <class Ref>
void check_trajectory(Optimizer& opt, Tensor p, Ref ref, int steps = 12, double rel = 1e-6) {
  Vec x = p.to_vector<double>();
  const Vec start = x;
  for (int s = 0; s < steps; ++s) {
    INFO("step " << s + 1);
    set_problem_grad(p);
    ref.step(x, problem_grad(x));
    opt.step();
    require_close(p, x, rel);
  }
  double moved = 0;
  for (std::size_t i = 0; i < x.size(); ++i) moved += std::abs(x[i] - start[i]);
  REQUIRE(moved > 1e-3);
}

}  // namespace

TEST_CASE("SGD trajectory: plain", "[optim]") {
  Tensor p = param(kX0);
  SGD opt({p}, {.lr = 0.1});
  check_trajectory(opt, p, RefSGD{.lr = 0.1});
}

TEST_CASE("SGD trajectory: momentum", "[optim]") {
  Tensor p = param(kX0);
  SGD opt({p}, {.lr = 0.05, .momentum = 0.9});
  check_trajectory(opt, p, RefSGD{.lr = 0.05, .mu = 0.9});
}

TEST_CASE("SGD trajectory: momentum with dampening", "[optim]") {
  Tensor p = param(kX0);
  SGD opt({p}, {.lr = 0.05, .momentum = 0.8, .dampening = 0.3});
  check_trajectory(opt, p, RefSGD{.lr = 0.05, .mu = 0.8, .damp = 0.3});
}

TEST_CASE("SGD trajectory: nesterov", "[optim]") {
  Tensor p = param(kX0);
  SGD opt({p}, {.lr = 0.05, .momentum = 0.9, .nesterov = true});
  check_trajectory(opt, p, RefSGD{.lr = 0.05, .mu = 0.9, .nesterov = true});
}

TEST_CASE("SGD trajectory: weight decay", "[optim]") {
  Tensor p = param(kX0);
  SGD opt({p}, {.lr = 0.1, .weight_decay = 0.05});
  check_trajectory(opt, p, RefSGD{.lr = 0.1, .wd = 0.05});
}

TEST_CASE("SGD trajectory: nesterov, weight decay", "[optim]") {
  Tensor p = param(kX0);
  SGD opt({p}, {.lr = 0.03, .momentum = 0.7, .weight_decay = 0.1, .nesterov = true});
  check_trajectory(opt, p, RefSGD{.lr = 0.03, .mu = 0.7, .wd = 0.1, .nesterov = true});
}

TEST_CASE("Adam trajectory: plain", "[optim]") {
  Tensor p = param(kX0);
  Adam opt({p}, {.lr = 0.05});
  check_trajectory(opt, p, RefAdam{.lr = 0.05});
}

TEST_CASE("Adam trajectory: betas, eps and weight decay (L2 in the gradient)", "[optim]") {
  Tensor p = param(kX0);
  Adam opt({p}, {.lr = 0.02, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-3, .weight_decay = 0.1});
  check_trajectory(opt, p, RefAdam{.lr = 0.02, .b1 = 0.8, .b2 = 0.95, .eps = 1e-3, .wd = 0.1});
}

TEST_CASE("Adam trajectory: amsgrad", "[optim]") {
  // A large lr makes the parameters oscillate, so v shrinks on some steps and vmax matters.
  Tensor p = param(kX0);
  Adam opt({p}, {.lr = 0.5, .beta2 = 0.9, .amsgrad = true});
  check_trajectory(opt, p, RefAdam{.lr = 0.5, .b2 = 0.9, .amsgrad = true}, 20);
  // And amsgrad does change the trajectory here (otherwise the test above proves nothing).
  Tensor q = param(kX0);
  Adam plain({q}, {.lr = 0.5, .beta2 = 0.9});
  for (int s = 0; s < 20; ++s) {
    set_problem_grad(q);
    plain.step();
  }
  double diff = 0;
  const Vec a = p.to_vector<double>(), b = q.to_vector<double>();
  for (std::size_t i = 0; i < a.size(); ++i) diff += std::abs(a[i] - b[i]);
  REQUIRE(diff > 1e-3);
}

TEST_CASE("Adam trajectory: amsgrad with weight decay", "[optim]") {
  Tensor p = param(kX0);
  Adam opt({p}, {.lr = 0.3, .weight_decay = 0.2, .amsgrad = true});
  check_trajectory(opt, p, RefAdam{.lr = 0.3, .wd = 0.2, .amsgrad = true}, 15);
}

TEST_CASE("AdamW trajectory: default decoupled weight decay", "[optim]") {
  Tensor p = param(kX0);
  AdamW opt({p}, {.lr = 0.05});  // weight_decay defaults to 1e-2
  check_trajectory(opt, p, RefAdam{.lr = 0.05, .wd = 1e-2, .decoupled = true});
}

TEST_CASE("AdamW trajectory: strong decay and amsgrad", "[optim]") {
  Tensor p = param(kX0);
  AdamW opt({p}, {.lr = 0.1, .beta1 = 0.5, .weight_decay = 0.5, .amsgrad = true});
  check_trajectory(opt, p,
                   RefAdam{.lr = 0.1, .b1 = 0.5, .wd = 0.5, .amsgrad = true, .decoupled = true});
}

TEST_CASE("AdamW differs from Adam with the same weight decay", "[optim]") {
  Tensor a = param(kX0), b = param(kX0);
  Adam adam({a}, {.lr = 0.1, .weight_decay = 0.5});
  AdamW adamw({b}, {.lr = 0.1, .weight_decay = 0.5});
  for (int s = 0; s < 5; ++s) {
    set_problem_grad(a);
    set_problem_grad(b);
    adam.step();
    adamw.step();
  }
  double diff = 0;
  for (std::size_t i = 0; i < kX0.size(); ++i)
    diff += std::abs(a.at({static_cast<std::int64_t>(i)}) - b.at({static_cast<std::int64_t>(i)}));
  REQUIRE(diff > 1e-3);
}

TEST_CASE("RMSprop trajectory: plain", "[optim]") {
  Tensor p = param(kX0);
  RMSprop opt({p}, {.lr = 0.01});
  check_trajectory(opt, p, RefRMSprop{.lr = 0.01});
}

TEST_CASE("RMSprop trajectory: momentum", "[optim]") {
  Tensor p = param(kX0);
  RMSprop opt({p}, {.lr = 0.01, .alpha = 0.9, .momentum = 0.8});
  check_trajectory(opt, p, RefRMSprop{.lr = 0.01, .alpha = 0.9, .mu = 0.8});
}

TEST_CASE("RMSprop trajectory: centered", "[optim]") {
  Tensor p = param(kX0);
  RMSprop opt({p}, {.lr = 0.01, .eps = 1e-4, .centered = true});
  check_trajectory(opt, p, RefRMSprop{.lr = 0.01, .eps = 1e-4, .centered = true});
}

TEST_CASE("RMSprop trajectory: weight decay", "[optim]") {
  Tensor p = param(kX0);
  RMSprop opt({p}, {.lr = 0.02, .weight_decay = 0.3});
  check_trajectory(opt, p, RefRMSprop{.lr = 0.02, .wd = 0.3});
}

TEST_CASE("RMSprop trajectory: centered, momentum and weight decay", "[optim]") {
  Tensor p = param(kX0);
  RMSprop opt({p},
              {.lr = 0.005, .alpha = 0.95, .weight_decay = 0.1, .momentum = 0.5, .centered = true});
  check_trajectory(opt, p,
                   RefRMSprop{.lr = 0.005, .alpha = 0.95, .wd = 0.1, .mu = 0.5, .centered = true});
}

TEST_CASE("float32 parameters follow the double reference closely", "[optim]") {
  // Same equations in float: agreement to float precision over 12 steps.
  {
    Tensor p = param(kX0, DType::Float32);
    SGD opt({p}, {.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01});
    check_trajectory(opt, p, RefSGD{.lr = 0.05, .mu = 0.9, .wd = 0.01}, 12, 1e-4);
  }
  {
    Tensor p = param(kX0, DType::Float32);
    Adam opt({p}, {.lr = 0.05, .amsgrad = true});
    check_trajectory(opt, p, RefAdam{.lr = 0.05, .amsgrad = true}, 12, 1e-4);
  }
  {
    Tensor p = param(kX0, DType::Float32);
    RMSprop opt({p}, {.lr = 0.01, .momentum = 0.5, .centered = true});
    check_trajectory(opt, p, RefRMSprop{.lr = 0.01, .mu = 0.5, .centered = true}, 12, 1e-4);
  }
}

TEST_CASE("parameter groups with different lr and weight decay", "[optim]") {
  // Group 0 holds x[0..3), group 1 holds x[3..6) (their gradients use c, t from offset 3).
  const Vec x0a(kX0.begin(), kX0.begin() + 3), x0b(kX0.begin() + 3, kX0.end());

  SECTION("SGD with momentum") {
    Tensor a = param(x0a), b = param(x0b);
    SGD opt(std::vector<ParamGroup>{{{a}, {}}, {{b}, {{"lr", 0.2}, {"weight_decay", 0.1}}}},
            {.lr = 0.05, .momentum = 0.9});
    RefSGD ra{.lr = 0.05, .mu = 0.9}, rb{.lr = 0.2, .mu = 0.9, .wd = 0.1};
    Vec xa = x0a, xb = x0b;
    for (int s = 0; s < 10; ++s) {
      set_problem_grad(a, 0);
      set_problem_grad(b, 3);
      ra.step(xa, problem_grad(xa, 0));
      rb.step(xb, problem_grad(xb, 3));
      opt.step();
      require_close(a, xa, 1e-6);
      require_close(b, xb, 1e-6);
    }
    // Defaults were filled into each group's options.
    REQUIRE(opt.param_groups()[0].options.at("lr") == 0.05);
    REQUIRE(opt.param_groups()[0].options.at("weight_decay") == 0);
    REQUIRE(opt.param_groups()[1].options.at("lr") == 0.2);
    REQUIRE(opt.param_groups()[1].options.at("momentum") == 0.9);
  }

  SECTION("Adam, second group added later, lr changed between steps") {
    Tensor a = param(x0a), b = param(x0b);
    Adam opt({a}, {.lr = 0.05, .weight_decay = 0.01});
    opt.add_param_group({{b}, {{"lr", 0.1}, {"weight_decay", 0.0}, {"amsgrad", 1}}});
    RefAdam ra{.lr = 0.05, .wd = 0.01}, rb{.lr = 0.1, .amsgrad = true};
    Vec xa = x0a, xb = x0b;
    for (int s = 0; s < 10; ++s) {
      if (s == 5) {
        opt.param_groups()[1].options["lr"] = 0.02;
        rb.lr = 0.02;
      }
      set_problem_grad(a, 0);
      set_problem_grad(b, 3);
      ra.step(xa, problem_grad(xa, 0));
      rb.step(xb, problem_grad(xb, 3));
      opt.step();
      require_close(a, xa, 1e-6);
      require_close(b, xb, 1e-6);
    }
  }
}

TEST_CASE("gradients from backward() drive the optimizer", "[optim]") {
  // loss = sum(0.5 * c * (x - t)^2 + sin(x)) through autograd; same trajectory as the reference.
  Tensor p = param(kX0);
  const Tensor c = tensor(kC, {6}, DType::Float64), t = tensor(kT, {6}, DType::Float64);
  Adam opt({p}, {.lr = 0.05, .weight_decay = 0.01});
  RefAdam ref{.lr = 0.05, .wd = 0.01};
  Vec x = kX0;
  for (int s = 0; s < 10; ++s) {
    opt.zero_grad();
    const Tensor d = sub(p, t);
    const Tensor loss =
        add(mul(mul(d, d), mul(c, scalar_tensor(0.5, DType::Float64))), sin(p)).sum();
    loss.backward();
    opt.step();
    ref.step(x, problem_grad(x));
    require_close(p, x, 1e-6);
  }
  REQUIRE(tape().size() == 0);  // step() recorded nothing
}

TEST_CASE("non-contiguous parameter and gradient", "[optim]") {
  // A 2x3 parameter stored transposed (a leaf that is a non-contiguous view) and an expanded
  // (stride-0) gradient: the update is still x -= lr * g element by element.
  Tensor base = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, DType::Float64);
  Tensor p = base.t().detach();
  p.requires_grad_();
  REQUIRE_FALSE(p.is_contiguous());
  // p = [[1, 3, 5], [2, 4, 6]]; grad = [0.5, -1, 2] broadcast over rows.
  p.set_grad(tensor({0.5, -1, 2}, {1, 3}, DType::Float64).expand({2, 3}));
  SGD opt({p}, {.lr = 0.1});
  opt.step();
  // [[1-0.05, 3+0.1, 5-0.2], [2-0.05, 4+0.1, 6-0.2]]
  tgtest::require_values(p, {0.95, 3.1, 4.8, 1.95, 4.1, 5.8}, 1e-12);
  // The update went through the view into the original storage: base = p^T.
  tgtest::require_values(base, {0.95, 1.95, 3.1, 4.1, 4.8, 5.8}, 1e-12);
}

TEST_CASE("gradient of another dtype is converted", "[optim]") {
  Tensor p = param({1.0, 2.0});
  p.set_grad(tensor({0.5, -0.25}, {2}, DType::Float32));
  SGD opt({p}, {.lr = 1.0});
  opt.step();
  tgtest::require_values(p, {0.5, 2.25}, 1e-12);  // 1 - 0.5, 2 + 0.25
}

TEST_CASE("large parameter (threaded update) matches the reference", "[optim]") {
  // 100000 elements: more than one parallel block, so the threaded path runs.
  const std::size_t n = 100000;
  Vec x0(n);
  for (std::size_t i = 0; i < n; ++i) x0[i] = std::sin(0.001 * static_cast<double>(i)) * 2;
  Tensor p = param(x0);
  Adam opt({p}, {.lr = 0.01, .weight_decay = 0.01, .amsgrad = true});
  RefAdam ref{.lr = 0.01, .wd = 0.01, .amsgrad = true};
  Vec x = x0;
  for (int s = 0; s < 3; ++s) {
    const Vec g = problem_grad(x);
    p.set_grad(tensor(g, {static_cast<std::int64_t>(n)}, DType::Float64));
    ref.step(x, g);
    opt.step();
  }
  const Vec got = p.to_vector<double>();
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::abs(got[i] - x[i]) > 1e-6 * std::abs(x[i]) + 1e-12) ++bad;
  REQUIRE(bad == 0);
}
