// The activation catalogue: every registered activation is found by iterating the registry and
// gradchecked (input and every parameter, shared and per-channel), so a newly registered one is
// covered with no edit here. Then values against published formulas, PyTorch's kink
// conventions, numerical stability, metadata completeness, and the PAU / rational initial fits.
#include "helpers.hpp"
#include "tapegrad/activations/accuracy.hpp"

#include <cstring>
#include <limits>
#include <map>
#include <numbers>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/activations/pointwise.hpp"

using namespace tg;
using tgtest::leaf;

namespace {

bool has_key(const act::ActivationInfo& info, const std::string& key) {
  for (const auto& k : info.keys)
    if (k.key == key) return true;
  return false;
}

Tensor param(act::Activation& a, const std::string& name) {
  for (const auto& [n, p] : a.named_parameters())
    if (n == name) return p;
  FAIL("activation " << a.type_name() << " has no parameter " << name);
  return {};
}

// Every x where f' (or a parameter derivative) jumps. 0 for every activation (relu-likes, the
// |x| of PAU's denominator, prelu, ...), fixed ones by formula, learnable ones from their
// current parameter values.
std::vector<double> kinks(act::Activation& a) {
  static const std::map<std::string, std::vector<double>> fixed{{"relu6", {6.0}},
                                                                {"hardtanh", {-1.0, 1.0}},
                                                                {"hardswish", {-3.0, 3.0}},
                                                                {"hardsigmoid", {-3.0, 3.0}}};
  std::vector<double> out{0.0};
  if (auto it = fixed.find(a.type_name()); it != fixed.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  auto add_values = [&](const std::string& pname) {
    for (double v : param(a, pname).to_vector<double>()) out.push_back(v);
  };
  if (a.type_name() == "apl") add_values("b");
  if (a.type_name() == "srelu") {
    add_values("t_l");
    add_values("t_r");
  }
  return out;
}

// Moves the points of x that lie within `gap` of a kink to kink +- gap.
void shift_from_kinks(Tensor& x, const std::vector<double>& ks, double gap = 0.05) {
  std::vector<double> v = x.to_vector<double>(), d(v.size(), 0.0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    double xi = v[i];
    for (double k : ks)
      if (std::abs(xi - k) < gap) xi = k + (xi >= k ? gap : -gap);
    d[i] = xi - v[i];
  }
  NoGradGuard ng;
  x.add_(tensor(d, x.shape(), DType::Float64));
}

// Parameters away from 0 (PAU's |b_k| at b_k ~ 5e-7 is a kink a finite difference would straddle)
// and jittered, so that per-channel values differ and slopes are not exactly 0 or 1.
void nudge_parameters(act::Activation& a, std::uint64_t seed) {
  Generator g(seed);
  NoGradGuard ng;
  for (Tensor p : a.parameters()) {
    std::vector<double> v = p.to_vector<double>(), d(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double jitter = 0.02 * (2.0 * g.uniform_double() - 1.0);
      const double target = std::abs(v[i]) < 0.01 ? (v[i] < 0 ? -0.05 : 0.05) : v[i];
      d[i] = target + jitter - v[i];
    }
    p.add_(tensor(d, p.shape(), p.dtype()));
  }
}

std::vector<std::string> specs_for(const std::string& name) {
  std::vector<std::string> specs{name};
  if (has_key(act::Registry::instance().get(name).info, "per_channel"))
    specs.push_back(name + "(per_channel=true)");
  return specs;
}

double value_at(const std::string& spec, double x) {
  auto a = act::make(spec, 1, DType::Float64);
  return (*a)(tensor({x}, {1}, DType::Float64)).at({0});
}

// f'(x) by backward, at exactly the given points (kinks included).
std::vector<double> derivative_at(const std::string& spec, const std::vector<double>& xs) {
  auto a = act::make(spec, 1, DType::Float64);
  Tensor x = tensor(xs, {static_cast<std::int64_t>(xs.size())}, DType::Float64).requires_grad_();
  sum((*a)(x)).backward();
  return x.grad().to_vector<double>();
}

}  // namespace

TEST_CASE("catalogue: the whole catalogue is registered", "[activations]") {
  const auto names = act::Registry::instance().names();
  for (const char* n :
       {"identity",   "sigmoid",  "tanh",        "relu",        "relu6",        "leaky_relu",
        "elu",        "selu",     "celu",        "gelu",        "gelu_tanh",    "silu",
        "mish",       "softplus", "hardswish",   "hardsigmoid", "hardtanh",     "softsign",
        "logsigmoid", "prelu",    "scaled_relu", "swish_beta",  "pelu",         "learnable_celu",
        "apl",        "srelu",    "pau",         "rational",    "sigmoid_beta", "tanh_beta"}) {
    INFO(n);
    REQUIRE(std::find(names.begin(), names.end(), n) != names.end());
  }
}

TEST_CASE("gradcheck: every registered activation, input and parameters, shared and per-channel",
          "[activations]") {
  std::uint64_t seed = 100;
  for (const std::string& name : act::Registry::instance().names()) {
    for (const std::string& spec : specs_for(name)) {
      INFO("activation spec: " << spec);
      auto a = act::make(spec, 3, DType::Float64);
      TensorList params = a->parameters();
      if (a->info().family == act::Family::Fixed) REQUIRE(params.empty());
      if (a->info().family == act::Family::Learnable) REQUIRE(!params.empty());

      // At initialisation, w.r.t. the input.
      Tensor x = leaf({2, 3, 4}, ++seed, -4.0, 4.0);
      shift_from_kinks(x, kinks(*a));
      REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(x); }, TensorList{x});

      // Parameters moved off 0 and jittered, w.r.t. the input and every parameter.
      nudge_parameters(*a, ++seed);
      Tensor x2 = leaf({2, 3, 4}, ++seed, -4.0, 4.0);
      shift_from_kinks(x2, kinks(*a));
      TensorList inputs{x2};
      inputs.insert(inputs.end(), params.begin(), params.end());
      REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(x2); }, inputs);

      // A non-contiguous input (a transposed view taken inside fn).
      Tensor xt = leaf({4, 3, 2}, ++seed, -4.0, 4.0);
      shift_from_kinks(xt, kinks(*a));
      TensorList inputs_t{xt};
      inputs_t.insert(inputs_t.end(), params.begin(), params.end());
      REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(xt.transpose(0, 2)); }, inputs_t);
    }
  }
}

TEST_CASE("gradcheck: fixed activations with non-default hyper-parameters", "[activations]") {
  // These run the hyper-parameter path (constants passed as tensors) instead of the defaults.
  const std::vector<std::pair<std::string, std::vector<double>>> cases{
      {"leaky_relu(slope=0.2)", {0.0}},
      {"elu(alpha=2)", {0.0}},
      {"celu(alpha=0.5)", {0.0}},
      {"softplus(beta=2, threshold=3)", {1.5}},  // beta * x > threshold switches at x = 1.5
      {"hardtanh(min_val=-2, max_val=0.5)", {-2.0, 0.5}}};
  std::uint64_t seed = 500;
  for (const auto& [spec, ks] : cases) {
    INFO(spec);
    auto a = act::make(spec, 1, DType::Float64);
    Tensor x = leaf({3, 5}, ++seed, -4.0, 4.0);
    std::vector<double> all = ks;
    all.push_back(0.0);
    shift_from_kinks(x, all);
    REQUIRE_GRADCHECK([&](const TensorList&) { return (*a)(x); }, TensorList{x});
  }
}

TEST_CASE("catalogue: float32 agrees with float64 for every activation", "[activations]") {
  for (const std::string& name : act::Registry::instance().names()) {
    INFO(name);
    auto a64 = act::make(name, 1, DType::Float64);
    auto a32 = act::make(name, 1, DType::Float32);
    const Tensor x = linspace(-5.0, 5.0, 41, DType::Float64);
    const auto y64 = (*a64)(x).to_vector<double>();
    const auto y32 = (*a32)(x.to(DType::Float32)).to_vector<double>();
    for (std::size_t i = 0; i < y64.size(); ++i)
      REQUIRE(y32[i] == Approx(y64[i]).epsilon(1e-5).margin(1e-5));
  }
}

TEST_CASE("catalogue: float32 derivatives agree with float64 for every activation",
          "[activations]") {
  // The float32 backward may use its own formulas (silu's sigmoid from y / x, softplus's from y):
  // it must agree with the float64 one (std:: math) on the usual range, near 0 (where y / x is
  // 0 / 0), in the tails and at subnormal inputs.
  std::vector<double> xs;
  for (int i = 0; i <= 40; ++i) xs.push_back(-5.0 + 0.25 * i);
  for (double v : {1e-3, 1e-20, 1e-39, 1e-45, 12.0, 20.0, 30.0, 60.0, 87.5, 100.0}) {
    xs.push_back(v);
    xs.push_back(-v);
  }
  xs.push_back(-0.0);
  const auto n = static_cast<std::int64_t>(xs.size());
  std::vector<std::string> specs = act::Registry::instance().names();
  for (const char* s : {"softplus(beta=2)", "softplus(beta=0.5, threshold=5)", "elu(alpha=2)",
                        "celu(alpha=2)", "leaky_relu(slope=0.2)"})
    specs.emplace_back(s);
  for (const std::string& spec : specs) {
    INFO(spec);
    auto a64 = act::make(spec, 1, DType::Float64);
    auto a32 = act::make(spec, 1, DType::Float32);
    // The float64 reference at the float32 inputs (1e-45 rounds to the smallest subnormal).
    const Tensor x32 = tensor(xs, {n}, DType::Float64).to(DType::Float32).requires_grad_();
    const Tensor x64 = x32.detach().to(DType::Float64).requires_grad_();
    sum((*a64)(x64)).backward();
    sum((*a32)(x32)).backward();
    const auto g64 = x64.grad().to_vector<double>();
    const auto g32 = x32.grad().to_vector<double>();
    const auto xv = x64.detach().to_vector<double>();
    for (std::size_t i = 0; i < g64.size(); ++i) {
      INFO("x = " << xv[i]);
      REQUIRE(g32[i] == Approx(g64[i]).epsilon(2e-5).margin(1e-6));
    }
  }
}

TEST_CASE("fixed activations: values against published formulas", "[activations]") {
  const double e = std::numbers::e;
  // identity(3) = 3
  REQUIRE(value_at("identity", 3.0) == 3.0);
  // sigmoid(0) = 1/2; sigmoid(2) = 1 / (1 + e^-2) = 0.8807970779778823
  REQUIRE(value_at("sigmoid", 0.0) == Approx(0.5));
  REQUIRE(value_at("sigmoid", 2.0) == Approx(1.0 / (1.0 + std::exp(-2.0))));
  REQUIRE(value_at("sigmoid", 2.0) == Approx(0.8807970779778823));
  // tanh(1) = (e - 1/e) / (e + 1/e) = 0.7615941559557649
  REQUIRE(value_at("tanh", 1.0) == Approx((e - 1 / e) / (e + 1 / e)));
  // relu: max(0, x)
  REQUIRE(value_at("relu", -1.0) == 0.0);
  REQUIRE(value_at("relu", 2.5) == 2.5);
  // relu6: min(max(0, x), 6)
  REQUIRE(value_at("relu6", 7.0) == 6.0);
  REQUIRE(value_at("relu6", 3.0) == 3.0);
  REQUIRE(value_at("relu6", -1.0) == 0.0);
  // leaky_relu(-2) = 0.01 * -2 = -0.02; with slope 0.2: -0.4
  REQUIRE(value_at("leaky_relu", -2.0) == Approx(-0.02));
  REQUIRE(value_at("leaky_relu(slope=0.2)", -2.0) == Approx(-0.4));
  REQUIRE(value_at("leaky_relu", 2.0) == 2.0);
  // elu(-1) = e^-1 - 1 = -0.6321205588285577; alpha = 2: 2 (e^-1 - 1)
  REQUIRE(value_at("elu", -1.0) == Approx(std::exp(-1.0) - 1.0));
  REQUIRE(value_at("elu(alpha=2)", -1.0) == Approx(2.0 * (std::exp(-1.0) - 1.0)));
  REQUIRE(value_at("elu", 1.5) == 1.5);
  // selu: scale = 1.0507009873554804934, alpha = 1.6732632423543772848 (Klambauer et al.)
  // selu(1) = 1.0507009873554805; selu(-1) = scale * alpha * (e^-1 - 1) = -1.1113307378125625
  REQUIRE(value_at("selu", 1.0) == Approx(1.0507009873554805));
  REQUIRE(value_at("selu", -1.0) == Approx(-1.1113307378125625));
  // celu(alpha=2)(-1) = 2 (e^{-1/2} - 1) = -0.7869386805747332; celu(alpha=1) = elu
  REQUIRE(value_at("celu(alpha=2)", -1.0) == Approx(-0.7869386805747332));
  REQUIRE(value_at("celu", -1.0) == Approx(std::exp(-1.0) - 1.0));
  // gelu(1) = Phi(1) = 0.8413447460685429; gelu(-1) = -Phi(-1) = -0.15865525393145707
  REQUIRE(value_at("gelu", 1.0) == Approx(0.841344746));
  REQUIRE(value_at("gelu", -1.0) == Approx(-0.15865525393145707));
  // gelu_tanh(1) = 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411919906082768
  REQUIRE(value_at("gelu_tanh", 1.0) == Approx(0.8411919906082768));
  // silu(1) = 1 / (1 + e^-1) = 0.7310585786300049
  REQUIRE(value_at("silu", 1.0) == Approx(0.7310585786300049));
  // mish(1) = tanh(ln(1 + e)) = 0.8650983882673103
  REQUIRE(value_at("mish", 1.0) == Approx(0.8650983882673103));
  // softplus(0) = ln 2; beta = 2: ln(1 + e^2) / 2 = 1.0634640055214863; above the threshold: x
  REQUIRE(value_at("softplus", 0.0) == Approx(std::log(2.0)));
  REQUIRE(value_at("softplus(beta=2)", 1.0) == Approx(1.0634640055214863));
  REQUIRE(value_at("softplus", 30.0) == 30.0);
  REQUIRE(value_at("softplus(beta=1, threshold=1)", 1.5) == 1.5);
  // hardswish(1) = 1 * (1 + 3) / 6 = 2/3; 0 below -3; x above 3
  REQUIRE(value_at("hardswish", 1.0) == Approx(2.0 / 3.0));
  REQUIRE(value_at("hardswish", -4.0) == 0.0);
  REQUIRE(value_at("hardswish", 4.0) == 4.0);
  // hardsigmoid(0) = 3/6; hardsigmoid(1) = 4/6; saturates at 0 and 1
  REQUIRE(value_at("hardsigmoid", 0.0) == Approx(0.5));
  REQUIRE(value_at("hardsigmoid", 1.0) == Approx(4.0 / 6.0));
  REQUIRE(value_at("hardsigmoid", 5.0) == 1.0);
  REQUIRE(value_at("hardsigmoid", -5.0) == 0.0);
  // hardtanh: clamp to [-1, 1], or to [min_val, max_val]
  REQUIRE(value_at("hardtanh", 2.0) == 1.0);
  REQUIRE(value_at("hardtanh", -0.5) == -0.5);
  REQUIRE(value_at("hardtanh(min_val=-2, max_val=2)", 3.0) == 2.0);
  // softsign(1) = 1/2; softsign(-3) = -3/4
  REQUIRE(value_at("softsign", 1.0) == Approx(0.5));
  REQUIRE(value_at("softsign", -3.0) == Approx(-0.75));
  // logsigmoid(0) = -ln 2; logsigmoid(-1) = -ln(1 + e) = -1.3132616875182228
  REQUIRE(value_at("logsigmoid", 0.0) == Approx(-std::log(2.0)));
  REQUIRE(value_at("logsigmoid", -1.0) == Approx(-1.3132616875182228));
}

TEST_CASE("fixed activations: stable for large |x| (no inf, no NaN)", "[activations]") {
  // sigmoid(-800) = 0 and sigmoid(800) = 1 (e^800 overflows a double); logsigmoid(-800) = -800;
  // softplus(-800) = 0; silu / mish / gelu near their limits.
  REQUIRE(value_at("sigmoid", -800.0) == 0.0);
  REQUIRE(value_at("sigmoid", 800.0) == 1.0);
  REQUIRE(value_at("logsigmoid", -800.0) == Approx(-800.0));
  REQUIRE(value_at("logsigmoid", 800.0) == Approx(0.0).margin(1e-300));
  REQUIRE(value_at("softplus", -800.0) == Approx(0.0).margin(1e-300));
  REQUIRE(value_at("softplus(threshold=1000)", 800.0) == Approx(800.0));
  REQUIRE(value_at("silu", -800.0) == Approx(0.0).margin(1e-300));
  REQUIRE(value_at("mish", 800.0) == Approx(800.0));
  for (const std::string& name : act::Registry::instance().names()) {
    INFO(name);
    for (double g : derivative_at(name, {-800.0, -30.0, 30.0, 800.0})) REQUIRE(std::isfinite(g));
    auto a = act::make(name, 1, DType::Float32);
    for (double v : (*a)(tensor({-100.0, -20.0, 20.0, 100.0})).to_vector<double>())
      REQUIRE(std::isfinite(v));
  }
}

TEST_CASE("relu: NaN propagates and -0.0 becomes +0.0, as PyTorch's relu", "[activations]") {
  for (DType dt : {DType::Float32, DType::Float64}) {
    auto a = act::make("relu", 1, dt);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto v = (*a)(tensor({nan, -0.0, -2.0, 3.0}, {4}, dt)).to_vector<double>();
    REQUIRE(std::isnan(v[0]));
    REQUIRE((v[1] == 0.0 && !std::signbit(v[1])));
    REQUIRE((v[2] == 0.0 && !std::signbit(v[2])));
    REQUIRE(v[3] == 3.0);
  }
}

TEST_CASE("fixed activations: derivatives at the kinks are PyTorch's", "[activations]") {
  // relu: threshold_backward passes grad where result > 0 -> relu'(0) = 0.
  tgtest::require_values(tensor(derivative_at("relu", {0.0, -1.0, 1.0})), {0.0, 0.0, 1.0});
  // leaky_relu_backward: x > 0 ? grad : grad * slope -> leaky_relu'(0) = slope.
  tgtest::require_values(tensor(derivative_at("leaky_relu", {0.0})), {0.01});
  tgtest::require_values(tensor(derivative_at("leaky_relu(slope=0.3)", {0.0, -2.0})), {0.3, 0.3});
  // relu6 = hardtanh(x, 0, 6); hardtanh_backward: (x <= min || x >= max) ? 0 : grad.
  tgtest::require_values(tensor(derivative_at("relu6", {0.0, 6.0, 3.0})), {0.0, 0.0, 1.0});
  tgtest::require_values(tensor(derivative_at("hardtanh", {-1.0, 1.0, 0.0})), {0.0, 0.0, 1.0});
  tgtest::require_values(
      tensor(derivative_at("hardtanh(min_val=-2, max_val=0.5)", {-2.0, 0.5, 0.0})),
      {0.0, 0.0, 1.0});
  // hardswish_backward (PyTorch's vectorised CPU kernel): x < -3 -> 0; x < 3 -> x/3 + 1/2;
  // else 1: -3 -> -1/2, 3 -> 1.
  tgtest::require_values(tensor(derivative_at("hardswish", {-3.0, 3.0, -4.0, 4.0, 0.0})),
                         {-0.5, 1.0, 0.0, 1.0, 0.5});
  // hardsigmoid_backward: (x > -3 && x < 3) ? 1/6 : 0.
  tgtest::require_values(tensor(derivative_at("hardsigmoid", {-3.0, 3.0, 0.0})),
                         {0.0, 0.0, 1.0 / 6.0});
  // elu_backward, x <= 0 branch at 0: alpha * scale * input_scale * e^0.
  tgtest::require_values(tensor(derivative_at("elu", {0.0})), {1.0});
  tgtest::require_values(tensor(derivative_at("elu(alpha=2)", {0.0})), {2.0});
  // selu'(0) = scale * alpha = 1.0507009873554805 * 1.6732632423543772 = 1.7580993408473766
  tgtest::require_values(tensor(derivative_at("selu", {0.0})), {1.7580993408473766});
  // celu'(0) = (1/alpha) * alpha * e^0 = 1
  tgtest::require_values(tensor(derivative_at("celu(alpha=2)", {0.0})), {1.0});
  // softsign'(0) = 1 / (1 + 0)^2
  tgtest::require_values(tensor(derivative_at("softsign", {0.0})), {1.0});
  // Smooth ones at 0: sigmoid' = 1/4, tanh' = 1, gelu' = Phi(0) = 1/2, silu' = 1/2,
  // softplus' = 1/2, logsigmoid' = 1/2, mish'(0) = tanh(ln 2) = 0.6
  tgtest::require_values(tensor(derivative_at("sigmoid", {0.0})), {0.25});
  tgtest::require_values(tensor(derivative_at("tanh", {0.0})), {1.0});
  tgtest::require_values(tensor(derivative_at("gelu", {0.0})), {0.5});
  tgtest::require_values(tensor(derivative_at("silu", {0.0})), {0.5});
  tgtest::require_values(tensor(derivative_at("softplus", {0.0})), {0.5});
  tgtest::require_values(tensor(derivative_at("logsigmoid", {0.0})), {0.5});
  tgtest::require_values(tensor(derivative_at("mish", {0.0})), {0.6});
  // Above the softplus threshold the gradient is exactly 1, as PyTorch.
  tgtest::require_values(tensor(derivative_at("softplus", {25.0})), {1.0});
}

TEST_CASE("learnable activations: kink conventions", "[activations]") {
  // srelu at init (t_l = 0, a_l = 0.2, t_r = 1, a_r = 1): the closed intervals x <= t_l and
  // x >= t_r take the outer slopes.
  tgtest::require_values(tensor(derivative_at("srelu(a_r=0.5)", {0.0, 1.0, 0.5})), {0.2, 0.5, 1.0});
  // apl with one hinge at b = 0 and a = 0: relu, whose derivative at 0 is 0.
  tgtest::require_values(tensor(derivative_at("apl(s=1)", {0.0, 1.0})), {0.0, 1.0});
  // pelu and learnable_celu at init are elu: derivative 1 at 0.
  tgtest::require_values(tensor(derivative_at("pelu", {0.0})), {1.0});
  tgtest::require_values(tensor(derivative_at("learnable_celu", {0.0})), {1.0});
}

TEST_CASE("learnable activations: values and initial parameters", "[activations]") {
  // swish_beta(init=2)(1) = 1 / (1 + e^-2) = 0.8807970779778823
  REQUIRE(value_at("swish_beta(init=2)", 1.0) == Approx(0.8807970779778823));
  // pelu(init_a=2, init_b=0.5): x >= 0: (a/b) x = 4 x; x < 0: a (e^{x/b} - 1) = 2 (e^-2 - 1)
  REQUIRE(value_at("pelu(init_a=2, init_b=0.5)", 1.5) == Approx(6.0));
  REQUIRE(value_at("pelu(init_a=2, init_b=0.5)", -1.0) == Approx(2.0 * (std::exp(-2.0) - 1.0)));
  // learnable_celu(init=2)(-1) = 2 (e^{-1/2} - 1)
  REQUIRE(value_at("learnable_celu(init=2)", -1.0) == Approx(-0.7869386805747332));
  // srelu at init: -1 -> 0.2 * -1; 0.5 -> 0.5; 3 -> 1 + 1 * (3 - 1) = 3
  REQUIRE(value_at("srelu", -1.0) == Approx(-0.2));
  REQUIRE(value_at("srelu", 0.5) == Approx(0.5));
  REQUIRE(value_at("srelu(a_r=0.5)", 3.0) == Approx(2.0));
  // apl(s=2): hinges at b = -0.5, 0.5, a = 0, so relu at init
  auto apl = act::make("apl(s=2, per_channel=true)", 3, DType::Float64);
  REQUIRE(param(*apl, "a").shape() == Shape{2, 3});
  tgtest::require_values(param(*apl, "b"), {-0.5, -0.5, -0.5, 0.5, 0.5, 0.5});
  REQUIRE(value_at("apl", -2.0) == 0.0);
  // Per channel: beta = (0.5, 1, 2) on channel c; x = 1 -> 1 / (1 + e^-beta_c)
  auto sw = act::make("swish_beta(per_channel=true)", 3, DType::Float64);
  {
    NoGradGuard ng;
    param(*sw, "beta").add_(tensor({-0.5, 0.0, 1.0}, {3}, DType::Float64));
  }
  tgtest::require_values(
      (*sw)(ones({2, 3}, DType::Float64)),
      {1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-2.0)),
       1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-2.0))});
  // pelu's a and b are kept positive through softplus: a_raw = softplus^-1(1) = ln(e - 1)
  auto pe = act::make("pelu", 1, DType::Float64);
  tgtest::require_values(param(*pe, "a_raw"), {std::log(std::numbers::e - 1.0)});
  // sigmoid_beta(init=2)(1) = 1 / (1 + e^-2) = 0.8807970779778823; at beta = 1 it is sigmoid
  REQUIRE(value_at("sigmoid_beta(init=2)", 1.0) == Approx(0.8807970779778823));
  REQUIRE(value_at("sigmoid_beta", 0.0) == 0.5);
  REQUIRE(value_at("sigmoid_beta(init=0.5)", -4.0) == Approx(0.11920292202211755));
  // tanh_beta(init=2)(0.5) = tanh(1) = 0.7615941559557649; tanh_beta(init=0.5)(-2) = -tanh(1)
  REQUIRE(value_at("tanh_beta(init=2)", 0.5) == Approx(0.7615941559557649));
  REQUIRE(value_at("tanh_beta(init=0.5)", -2.0) == Approx(-0.7615941559557649));
  // f' = beta s(bx) s(-bx): beta / 4 at 0; at x = 1, beta = 2: 2 s(2) s(-2) = 0.2099871708...
  // (s(2) = 0.8807970779778823, s(-2) = 0.11920292202211755). tanh_beta' = beta sech^2(bx):
  // beta at 0; at x = 0.5, beta = 2: 2 (1 - tanh(1)^2) = 2 * 0.41997434161402614.
  tgtest::require_values(tensor(derivative_at("sigmoid_beta(init=2)", {0.0, 1.0})),
                         {0.5, 2 * 0.8807970779778823 * 0.11920292202211755});
  tgtest::require_values(tensor(derivative_at("tanh_beta(init=2)", {0.0, 0.5})),
                         {2.0, 2 * 0.41997434161402614});
  // d/dbeta at x = 1, beta = 2: x s(2) s(-2) = 0.10499358540350652; tanh_beta at x = 0.5,
  // beta = 2: x sech^2(1) = 0.5 * 0.41997434161402614. Per channel: one beta per channel.
  for (const auto& [spec, want] :
       {std::pair<std::string, double>{"sigmoid_beta(init=2, per_channel=true)",
                                       0.8807970779778823 * 0.11920292202211755},
        std::pair<std::string, double>{"tanh_beta(init=2, per_channel=true)",
                                       0.5 * 0.41997434161402614}}) {
    INFO(spec);
    auto a = act::make(spec, 2, DType::Float64);
    const double x0 = spec.rfind("tanh", 0) == 0 ? 0.5 : 1.0;
    Tensor x = tensor({x0, 0.0}, {1, 2}, DType::Float64);
    sum((*a)(x)).backward();
    REQUIRE(param(*a, "beta").shape() == Shape{2});
    tgtest::require_values(param(*a, "beta").grad(), {want, 0.0});
  }
}

TEST_CASE("sigmoid_beta and tanh_beta: extreme inputs saturate, no NaN but from NaN",
          "[activations]") {
  // The gates of recurrent layers see large pre-activations: f must reach 0 / 1 (or -1 / 1) and
  // f' and d/dbeta must reach 0, at |x| = 1e4, 1e30, the largest floats and +-inf, in float32
  // and float64, through the vectorised loop (4099 elements: 4096 + a scalar tail of 3) and the
  // scalar one (13 elements; and per channel, one element per beta). d/dbeta = x f'/beta must
  // not be inf * 0 at x = +-inf. Moderate points against long double formulas.
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> pattern{1e4,   -1e4,  inf, -inf, 1e30,  -1e30, 3e38,
                                    -3e38, 1e300, 0.0, -0.0, 1e-30, 88.0,  -88.0,
                                    20.0,  -20.0, 0.5, -2.0, 700.0, -700.0};
  struct Ref {
    long double f, df, dp;  // f, df/dx, df/dbeta
  };
  auto reference = [](bool tanh_like, long double b, long double x) {
    const long double u = b * x;
    if (tanh_like) {
      const long double e = std::exp(-2 * std::fabs(u)), q = 4 * e / ((1 + e) * (1 + e));
      return Ref{std::tanh(u), b * q, q == 0 ? 0.0L : x * q};
    }
    const long double e = std::exp(-std::fabs(u)), q = e / ((1 + e) * (1 + e));
    return Ref{u >= 0 ? 1 / (1 + e) : e / (1 + e), b * q, q == 0 ? 0.0L : x * q};
  };
  for (const char* name : {"sigmoid_beta", "tanh_beta"})
    for (double beta : {1.0, 2.5})
      for (DType dt : {DType::Float32, DType::Float64})
        for (std::int64_t n : {std::int64_t{13}, std::int64_t{4099}})
          for (bool per_channel : {false, true}) {
            const bool f32 = dt == DType::Float32;
            const std::string spec = fmt::format("{}(init={}, per_channel={})", name, beta,
                                                 per_channel ? "true" : "false");
            INFO(spec << (f32 ? " float32" : " float64") << ", n = " << n);
            std::vector<double> xv(static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = pattern[i % pattern.size()];
            // x as [1, n]: per channel, every element has its own beta (and gradient).
            auto a = act::make(spec, per_channel ? n : 1, dt);
            Tensor x = tensor(xv, {1, n}, dt).requires_grad_();
            Tensor y = (*a)(x);
            y.backward(ones({1, n}, dt));
            const auto xs = x.detach().to_vector<double>();  // 3e38 and 1e300 as stored
            const auto ys = y.to_vector<double>(), gs = x.grad().to_vector<double>();
            const auto ps = param(*a, "beta").grad().to_vector<double>();
            const bool tanh_like = std::string(name) == "tanh_beta";
            const double tol = f32 ? 1e-4 : 1e-12;  // b x rounds: |b x| ulps in e^-|b x|
            const double tiny =
                f32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
            long double dp_sum = 0;
            for (std::size_t i = 0; i < xs.size(); ++i) {
              INFO("x = " << xs[i] << ": f " << ys[i] << ", f' " << gs[i]);
              const Ref r = reference(tanh_like, beta, xs[i]);
              REQUIRE(std::isfinite(ys[i]));
              REQUIRE(std::isfinite(gs[i]));
              REQUIRE(ys[i] == Approx(static_cast<double>(r.f)).epsilon(tol).margin(tiny));
              REQUIRE(gs[i] == Approx(static_cast<double>(r.df)).epsilon(tol).margin(tiny));
              if (std::fabs(xs[i]) >= 1e4) {  // saturated exactly
                REQUIRE(gs[i] == 0.0);
                REQUIRE(std::fabs(ys[i]) == (tanh_like || xs[i] > 0 ? 1.0 : 0.0));
              }
              if (per_channel) {
                REQUIRE(std::isfinite(ps[i]));
                REQUIRE(ps[i] == Approx(static_cast<double>(r.dp)).epsilon(tol).margin(tiny));
              }
              dp_sum += r.dp;
            }
            if (!per_channel) {
              REQUIRE(std::isfinite(ps[0]));
              REQUIRE(ps[0] == Approx(static_cast<double>(dp_sum)).epsilon(tol).margin(tiny));
            }
          }
  // NaN in, NaN out, there and only there (f, f' and, through the sum, d/dbeta).
  for (const char* name : {"sigmoid_beta", "tanh_beta"})
    for (DType dt : {DType::Float32, DType::Float64}) {
      INFO(name << (dt == DType::Float32 ? " float32" : " float64"));
      std::vector<double> xv(4099, 1.5);
      for (std::size_t i : {std::size_t{3}, std::size_t{100}, std::size_t{4097}}) xv[i] = nan;
      xv[5] = inf;
      xv[6] = -inf;
      auto a = act::make(name, 1, dt);
      Tensor x = tensor(xv, {4099}, dt).requires_grad_();
      Tensor y = (*a)(x);
      y.backward(ones({4099}, dt));
      const auto ys = y.to_vector<double>(), gs = x.grad().to_vector<double>();
      for (std::size_t i = 0; i < xv.size(); ++i) {
        INFO("x = " << xv[i]);
        REQUIRE(std::isnan(ys[i]) == std::isnan(xv[i]));
        REQUIRE(std::isnan(gs[i]) == std::isnan(xv[i]));
      }
      REQUIRE(std::isnan(param(*a, "beta").grad().to_vector<double>()[0]));
    }
}

TEST_CASE("pau and rational: initial curves are the published fits", "[activations]") {
  // PAU starts as Molina et al.'s Pade fit to leaky_relu(0.01): on [-3, 3] it stays within 0.035,
  // the worst point being x = 0, where f(0) = a_0 = 0.0335583603.
  {
    auto a = act::make("pau", 1, DType::Float64);
    const Tensor x = linspace(-3.0, 3.0, 121, DType::Float64);
    const auto y = (*a)(x).to_vector<double>(), xs = x.to_vector<double>();
    double worst = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
      worst = std::max(worst, std::abs(y[i] - (xs[i] > 0 ? xs[i] : 0.01 * xs[i])));
    INFO("max |pau - leaky_relu| on [-3, 3] = " << worst);
    REQUIRE(worst < 0.035);
    REQUIRE(value_at("pau", 0.0) == Approx(0.0335583603));
  }
  // rational starts as Boulle et al.'s type (3, 2) fit to relu, made on [-1, 1]: within 0.025
  // there. (Outside it drifts: f(x) ~ 0.5 x as x -> inf, so [-3, 3] is not the fit's interval.)
  {
    auto a = act::make("rational", 1, DType::Float64);
    const Tensor x = linspace(-1.0, 1.0, 81, DType::Float64);
    const auto y = (*a)(x).to_vector<double>(), xs = x.to_vector<double>();
    double worst = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
      worst = std::max(worst, std::abs(y[i] - std::max(xs[i], 0.0)));
    INFO("max |rational - relu| on [-1, 1] = " << worst);
    REQUIRE(worst < 0.025);
    // f(1) = (0.0218 + 0.5 + 1.5957 + 1.1915) / (1 + 0 + 2.383) = 3.309 / 3.383
    REQUIRE(value_at("rational", 1.0) == Approx(3.309 / 3.383));
  }
}

TEST_CASE("catalogue: metadata is complete for every registration", "[activations]") {
  for (const std::string& name : act::Registry::instance().names()) {
    INFO(name);
    const act::ActivationInfo& info = act::Registry::instance().get(name).info;
    REQUIRE(info.name == name);
    REQUIRE(!info.formula.empty());
    REQUIRE(!info.latex.empty());
    REQUIRE(info.reference.year > 0);
    REQUIRE(!info.reference.authors.empty());
    REQUIRE(!info.reference.title.empty());
    REQUIRE((info.gain.has_value() || !info.gain_note.empty()));
    REQUIRE(!info.gain_note.empty());
    for (const auto& k : info.keys) {
      INFO(k.key);
      REQUIRE(!k.default_value.empty());
      REQUIRE(!k.help.empty());
    }
    auto a = act::make(name, 2, DType::Float64);
    if (info.family == act::Family::Learnable) {
      REQUIRE(!info.params.empty());
      REQUIRE(a->named_parameters().size() == info.params.size());
      for (std::size_t i = 0; i < info.params.size(); ++i)
        REQUIRE(a->named_parameters()[i].first == info.params[i].name);
    } else {
      REQUIRE(info.params.empty());
    }
    // The instance's gain at default settings is the registered one.
    REQUIRE(a->gain().has_value() == info.gain.has_value());
    if (info.gain) REQUIRE(*a->gain() == Approx(*info.gain));
  }
}

TEST_CASE("catalogue: gains are PyTorch's calculate_gain where it has one", "[activations]") {
  REQUIRE(act::make("relu")->gain().value() == Approx(std::numbers::sqrt2));
  REQUIRE(act::make("leaky_relu")->gain().value() == Approx(std::sqrt(2.0 / (1.0 + 0.01 * 0.01))));
  REQUIRE(act::make("leaky_relu(slope=0.2)")->gain().value() == Approx(std::sqrt(2.0 / 1.04)));
  REQUIRE(act::make("tanh")->gain().value() == Approx(5.0 / 3.0));
  REQUIRE(act::make("sigmoid")->gain().value() == Approx(1.0));
  REQUIRE(act::make("selu")->gain().value() == Approx(0.75));
  REQUIRE(act::make("identity")->gain().value() == Approx(1.0));
  REQUIRE(!act::make("gelu")->gain().has_value());
  REQUIRE(act::make("apl")->gain().value() == Approx(std::numbers::sqrt2));
  // The learnable slopes have the fixed activation's gain at beta = 1, where they are it.
  REQUIRE(act::make("tanh_beta")->gain().value() == Approx(5.0 / 3.0));
  REQUIRE(act::make("tanh_beta(per_channel=true)", 4)->gain().value() == Approx(5.0 / 3.0));
  REQUIRE(!act::make("tanh_beta(init=2)")->gain().has_value());
  REQUIRE(act::make("sigmoid_beta")->gain().value() == Approx(1.0));
  REQUIRE(!act::make("sigmoid_beta(init=0.5)")->gain().has_value());
}

TEST_CASE("catalogue: bad hyper-parameters are errors that name the activation", "[activations]") {
  REQUIRE_THROWS_WITH(act::make("softplus(beta=0)"),
                      Catch::Contains("softplus") && Catch::Contains("beta must be > 0"));
  REQUIRE_THROWS_WITH(act::make("hardtanh(min_val=1, max_val=-1)"),
                      Catch::Contains("hardtanh") && Catch::Contains("max_val"));
  REQUIRE_THROWS_WITH(act::make("celu(alpha=0)"),
                      Catch::Contains("celu") && Catch::Contains("nonzero"));
  REQUIRE_THROWS_WITH(act::make("apl(s=0)"), Catch::Contains("apl") && Catch::Contains("1 to 8"));
  REQUIRE_THROWS_WITH(act::make("apl(s=9)"), Catch::Contains("1 to 8"));
  REQUIRE_THROWS_WITH(act::make("pau(m=4)"), Catch::Contains("only m=5, n=4"));
  REQUIRE_THROWS_WITH(act::make("pelu(init_a=-1)"),
                      Catch::Contains("pelu") && Catch::Contains("> 0"));
  REQUIRE_THROWS_WITH(act::make("learnable_celu(init=0)"), Catch::Contains("> 0"));
  REQUIRE_THROWS_WITH(act::make("srelu(t_l=1, t_r=0)"), Catch::Contains("t_r"));
  REQUIRE_THROWS_WITH(act::make("relu(slope=1)"), Catch::Contains("it takes no parameters"));
  REQUIRE_THROWS_WITH(act::make("leaky_relu(slop=1)"), Catch::Contains("did you mean 'slope'?"));
  REQUIRE_THROWS_WITH(act::make("softplus(beta=abc)"), Catch::Contains("not a number"));
  auto pc = act::make("pau(per_channel=true)", 4);
  REQUIRE_THROWS_WITH((*pc)(ones({2, 3})), Catch::Contains("pau") && Catch::Contains("3 channels"));
  REQUIRE_THROWS_WITH((*act::make("relu"))(int64_tensor({1, 2})),
                      Catch::Contains("relu") && Catch::Contains("float"));
}

TEST_CASE("fused path: streaming stores for large outputs give the same bits", "[activations]") {
  // Outputs of at least act::detail::stream_min_bytes() are computed into a stack buffer and
  // written with non-temporal stores. Threshold 0 sends every output that way; the values and
  // every gradient must not change. [3, 5, 4099]: chunks of 4096 and 3, and rows that start off
  // a 32-byte boundary, so the stores' unaligned head and tail run too.
  struct Restore {
    ~Restore() { act::detail::set_stream_min_bytes(-1); }
  } restore;
  const std::int64_t dflt = act::detail::stream_min_bytes();
  REQUIRE(dflt > 0);
  REQUIRE(dflt <= (std::int64_t{32} << 20));
  std::uint64_t seed = 7000;
  for (const std::string& name : act::Registry::instance().names())
    for (const std::string& spec : specs_for(name))
      for (DType dt : {DType::Float32, DType::Float64}) {
        INFO("activation spec: " << spec << (dt == DType::Float32 ? " float32" : " float64"));
        ++seed;
        auto run = [&](std::int64_t threshold) {
          act::detail::set_stream_min_bytes(threshold);
          Generator gen(seed);
          auto a = act::make(spec, 5, dt);
          nudge_parameters(*a, seed);
          Tensor x = randn({3, 5, 4099}, dt, &gen).requires_grad_();
          const Tensor g = randn({3, 5, 4099}, dt, &gen);
          Tensor y = (*a)(x);
          y.backward(g);
          TensorList out{y.detach(), x.grad()};
          for (const Tensor& p : a->parameters()) out.push_back(p.grad());
          return out;
        };
        const TensorList plain = run(-1), streamed = run(0);
        REQUIRE(plain.size() == streamed.size());
        for (std::size_t i = 0; i < plain.size(); ++i) {
          INFO("output " << i << " (0: y, 1: dL/dx, then the parameters' gradients)");
          REQUIRE(plain[i].defined() == streamed[i].defined());
          if (!plain[i].defined()) continue;
          const Tensor p = plain[i].contiguous(), s = streamed[i].contiguous();
          REQUIRE(p.numel() == s.numel());
          REQUIRE(std::memcmp(p.raw_data(), s.raw_data(),
                              static_cast<std::size_t>(p.numel()) * dtype_size(dt)) == 0);
        }
      }
}

TEST_CASE("fused path: two-valued derivatives from the bit mask give the x-path's bits",
          "[activations]") {
  // relu, relu6, leaky_relu, hardtanh and hardsigmoid write one bit per element in the forward
  // and take dL/dx from those bits and dL/dy alone. With the mask path turned off the backward
  // reads x instead; both must give the same bits, streamed or not, in float32 and float64, on
  // sizes that leave partial bytes and chunks (4099 = 4096 + 3), with inputs exactly on the kinks,
  // +-0, NaN and +-inf, and with a dL/dy that holds NaN and inf too.
  struct Restore {
    ~Restore() {
      act::detail::set_two_valued_masks(true);
      act::detail::set_stream_min_bytes(-1);
    }
  } restore;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> special{0.0, -0.0, 6.0, -3.0, 3.0, -1.0,
                                    1.0, -2.0, 0.5, nan,  inf, -inf};
  std::uint64_t seed = 9100;
  for (const char* spec : {"relu", "relu6", "leaky_relu", "leaky_relu(slope=0.2)", "hardtanh",
                           "hardtanh(min_val=-2, max_val=0.5)", "hardsigmoid"})
    for (DType dt : {DType::Float32, DType::Float64})
      for (std::int64_t n : {std::int64_t{13}, std::int64_t{4099}, std::int64_t{3 * 4096}})
        for (std::int64_t threshold : {std::int64_t{-1}, std::int64_t{0}}) {
          INFO(spec << (dt == DType::Float32 ? " float32" : " float64") << ", n = " << n
                    << ", streaming threshold " << threshold);
          ++seed;
          Generator gen(seed);
          std::vector<double> xv = (randn({n}, DType::Float64, &gen) * 3.0).to_vector<double>();
          std::vector<double> gv = randn({n}, DType::Float64, &gen).to_vector<double>();
          for (std::size_t i = 0; i < special.size() && i < xv.size(); ++i) {
            xv[i * 7 % xv.size()] = special[i];
            gv[i * 5 % gv.size()] = i % 3 == 0 ? nan : (i % 3 == 1 ? inf : gv[i * 5 % gv.size()]);
          }
          const Tensor g = tensor(gv, {n}, dt);
          auto run = [&](bool masks) {
            act::detail::set_two_valued_masks(masks);
            act::detail::set_stream_min_bytes(threshold);
            auto a = act::make(spec, 1, dt);
            Tensor x = tensor(xv, {n}, dt).requires_grad_();
            Tensor y = (*a)(x);
            y.backward(g);
            return TensorList{y.detach(), x.grad()};
          };
          const TensorList bits = run(true), xpath = run(false);
          for (std::size_t i = 0; i < 2; ++i) {
            INFO((i == 0 ? "y" : "dL/dx"));
            REQUIRE(std::memcmp(bits[i].raw_data(), xpath[i].raw_data(),
                                static_cast<std::size_t>(n) * dtype_size(dt)) == 0);
          }
        }
}

TEST_CASE("elu family: f' for x <= 0 is computed from x, accurate in the tails", "[activations]") {
  // f' = scale alpha e^(x / alpha') for x <= 0 (elu: alpha' = 1, celu: alpha' = alpha), computed
  // from x: from y as y + alpha it would cancel where y rounds to -alpha (elu'(-50) = 1.9e-22
  // came out 0). Against the long double value: at most 2 ulps where the result is normal;
  // +-0, subnormals, the tails, +-inf and NaN included, in float32 and float64.
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> xv{0.0,    -0.0, 1e-45, -1e-45, 5e-324, -5e-324, 1e-30, -1e-30,
                         0.5,    -0.5, 3.0,   -3.0,   20.0,   -20.0,   -50.0, -90.0,
                         -800.0, 88.0, inf,   -inf,   -7.9,   nan};
  Generator gen(77);
  for (double v : (randn({200}, DType::Float64, &gen) * 4.0).to_vector<double>()) xv.push_back(v);
  const auto n = static_cast<std::int64_t>(xv.size());
  struct Case {
    const char* spec;
    double scale, alpha, inner;  // f' = scale alpha e^(x / inner) for x <= 0
    bool celu;
  };
  const double ss = 1.0507009873554804934193349852946, sa = 1.6732632423543772848170429916717;
  for (const Case& c :
       {Case{"elu", 1, 1, 1, false}, Case{"elu(alpha=0.5)", 1, 0.5, 1, false},
        Case{"elu(alpha=0)", 1, 0, 1, false}, Case{"elu(alpha=-0.5)", 1, -0.5, 1, false},
        Case{"selu", ss, sa, 1, false}, Case{"celu", 1, 1, 1, true},
        Case{"celu(alpha=2)", 1, 2, 2, true}, Case{"celu(alpha=-1.5)", 1, -1.5, -1.5, true}})
    for (DType dt : {DType::Float32, DType::Float64}) {
      INFO(c.spec << (dt == DType::Float32 ? " float32" : " float64"));
      auto a = act::make(c.spec, 1, dt);
      Tensor x = tensor(xv, {n}, dt).requires_grad_();
      Tensor y = (*a)(x);
      y.backward(ones({n}, dt));
      const auto xs = x.detach().to_vector<double>(), gs = x.grad().to_vector<double>();
      for (std::int64_t i = 0; i < n; ++i) {
        const long double xi = xs[static_cast<std::size_t>(i)];
        const double got = gs[static_cast<std::size_t>(i)];
        INFO("x = " << xs[static_cast<std::size_t>(i)] << ", f' = " << got);
        if (std::isnan(xs[static_cast<std::size_t>(i)])) {
          REQUIRE(std::isnan(got));
          continue;
        }
        const long double want = xi > 0 ? (c.celu ? 1.0L : static_cast<long double>(c.scale))
                                        : static_cast<long double>(c.scale) *
                                              (c.celu ? 1.0L : c.alpha) *
                                              std::exp(xi / static_cast<long double>(c.inner));
        const long double lim = dt == DType::Float32 ? std::numeric_limits<float>::max()
                                                     : std::numeric_limits<double>::max();
        if (std::fabs(want) > lim) {
          REQUIRE(std::isinf(got));
          continue;
        }
        // celu rounds x / alpha first: |x / alpha| half-ulps of relative error in the exp.
        const long double slack = c.celu ? std::fabs(xi / static_cast<long double>(c.inner)) : 0;
        REQUIRE(std::fabs(got - want) <= (2 + slack) * act::ulp_of(want, dt));
      }
    }
}

TEST_CASE("fused path: a two-valued backward does not read x, so x may change after the forward",
          "[activations]") {
  // The mask records which side of the kink each x was on; changing x in place afterwards
  // (allowed: no tape entry saved it) leaves the gradient as the forward's x gives it.
  Tensor w = tensor({-1.0, 2.0, -3.0, 4.0}, {4}).requires_grad_();
  Tensor x = w * 1.0;
  Tensor y = (*act::make("relu"))(x);
  {
    NoGradGuard ng;
    x.mul_(-1.0);
  }
  y.backward(ones({4}));
  tgtest::require_values(w.grad(), {0.0, 1.0, 0.0, 1.0});
}
