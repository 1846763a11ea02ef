// Learnable activations. Each is one small class plus one registration line.
#include <cmath>
#include <numbers>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/activations/pointwise.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/io/onnx_graph.hpp"
#include "tapegrad/kernels/vecmath.hpp"
#include "tapegrad/ops/elementwise.hpp"

namespace tg::act {

namespace {

// The number of values a (possibly per-channel) parameter gets.
std::int64_t width(const Spec& s, std::int64_t channels) {
  return s.get_bool("per_channel", false) ? channels : 1;
}

// ---------------------------------------------------------------- ONNX helpers

// The values of a parameter (or of a function of parameters, computed with no tape entry).
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Row k of a [K, W] coefficient table.
std::vector<double> row_values(const Tensor& t, std::int64_t k) {
  const std::vector<double> v = values(t);
  const std::int64_t w = t.shape()[1];
  return {v.begin() + k * w, v.begin() + (k + 1) * w};
}

// c[0] + x (c[1] + x (c[2] + ... + x c[n])), in the order the fused kernels evaluate it.
std::string horner(io::OnnxGraph& g, const std::string& x, const std::vector<std::string>& c) {
  std::string acc = c.back();
  for (std::size_t k = c.size() - 1; k-- > 0;) acc = g.node("Add", {c[k], g.node("Mul", {x, acc})});
  return acc;
}

// ---------------------------------------------------------------- prelu (fused)

struct PReLUFn {
  static constexpr int kParams = 1;
  template <class T>
  static T f(T x, const T* a) {
    return vm::select(x > T(0), x, a[0] * x);
  }
  // At x = 0 the derivative is a, as PyTorch's prelu backward (x > 0 ? 1 : a).
  template <class T>
  static T dfdx(T x, T, const T* a) {
    return vm::select(x > T(0), T(1), a[0]);
  }
  template <class T>
  static void dfdp(T x, T, const T*, T* d) {
    d[0] = vm::select(x > T(0), T(0), x);
  }
};

class PReLU : public Activation {
 public:
  PReLU(std::int64_t n, double init, DType dt) : Activation("prelu") {
    weight = register_parameter("weight", full({n}, init, dt));
  }
  Tensor forward(const Tensor& x) override { return pointwise<PReLUFn>(x, {weight}, "prelu"); }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    return g.node("PRelu", {x, g.channel_constant("weight", values(weight), x)});
  }
  std::optional<double> gain() const override {
    // He et al. (2015): gain sqrt(2 / (1 + a^2)) for the initial slope a.
    const double a = weight.to_vector<double>()[0];
    return std::sqrt(2.0 / (1.0 + a * a));
  }
  Tensor weight;
};

TG_REGISTER_ACTIVATION(
    {.name = "prelu",
     .family = Family::Learnable,
     .formula = "f(x) = x if x > 0, else a * x",
     .latex = "f(x) = \\max(0, x) + a \\min(0, x)",
     .keys = {{"init", "0.25", "initial slope a"},
              {"per_channel", "false", "one slope per channel instead of one shared slope"}},
     .params = {{"weight", "shared or per-channel", "0.25", ""}},
     .gain = std::sqrt(2.0 / (1.0 + 0.25 * 0.25)),
     .gain_note = "sqrt(2 / (1 + a^2)) at the initial slope (He et al. 2015)",
     .reference = {"K. He, X. Zhang, S. Ren, J. Sun", 2015,
                   "Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet "
                   "Classification"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      return std::make_shared<PReLU>(width(s, c), s.get_double("init", 0.25), dt);
    });

// ---------------------------------------------------------------- scaled_relu (composed)

// The simplest learnable activation, written by composing ops: autograd derives the backward.
class ScaledReLU : public Activation {
 public:
  ScaledReLU(std::int64_t n, double init, DType dt) : Activation("scaled_relu") {
    alpha = register_parameter("alpha", full({n}, init, dt));
  }
  Tensor forward(const Tensor& x) override {
    // alpha has shape [C]; view it as [C, 1, ...] so it lines up with dimension 1 of x.
    Shape s(static_cast<std::size_t>(std::max<std::int64_t>(x.dim() - 1, 1)), 1);
    s[0] = alpha.numel();
    return mul(relu(x), alpha.numel() == 1 ? alpha : alpha.reshape(s));
  }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    return g.node("Mul", {g.node("Relu", {x}), g.channel_constant("alpha", values(alpha), x)});
  }
  Tensor alpha;
};

TG_REGISTER_ACTIVATION({.name = "scaled_relu",
                        .family = Family::Learnable,
                        .formula = "f(x) = alpha * max(0, x)",
                        .latex = "f(x) = \\alpha \\max(0, x)",
                        .keys = {{"init", "1", "initial scale alpha"},
                                 {"per_channel", "false", "one scale per channel"}},
                        .params = {{"alpha", "shared or per-channel", "1", ""}},
                        .gain = std::sqrt(2.0),
                        .gain_note = "ReLU's sqrt(2) at alpha = 1",
                        .reference = {"tapegrad", 2026,
                                      "the smallest learnable activation (a teaching example)"}},
                       [](const Spec& s, std::int64_t c, DType dt) {
                         return std::make_shared<ScaledReLU>(width(s, c), s.get_double("init", 1.0),
                                                             dt);
                       });

// ---------------------------------------------------------------- shared helpers

Tensor softplus_op(const Tensor& u) { return softplus_parameter(u); }
// The free value u with softplus(u) = v (v > 0).
double inv_softplus(double v) { return v > 30 ? v : std::log(std::expm1(v)); }

// Row k of a [K, W] coefficient table as a [W] tensor (a view recorded on the tape).
Tensor row(const Tensor& t, std::int64_t k) { return t.slice(0, k, k + 1).reshape({t.shape()[1]}); }

std::vector<Tensor> rows(const Tensor& t) {
  std::vector<Tensor> out;
  for (std::int64_t k = 0; k < t.shape()[0]; ++k) out.push_back(row(t, k));
  return out;
}

// A [K, W] table whose row k is filled with values[k].
Tensor table(const std::vector<double>& values, std::int64_t w, DType dt) {
  std::vector<double> v;
  for (double x : values)
    for (std::int64_t c = 0; c < w; ++c) v.push_back(x);
  return tensor(v, {static_cast<std::int64_t>(values.size()), w}, dt);
}

template <class T>
T sgn(T v) {
  return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
}

const KeyInfo kPerChannel{"per_channel", "false",
                          "one set of parameters per channel (dimension 1)"};

// ---------------------------------------------------------------- swish_beta (fused)

struct SwishBetaFn {
  static constexpr int kParams = 1;
  template <class T>
  static T f(T x, const T* b) {
    return x * vm::sigmoid(b[0] * x);
  }
  // d/dx x s(bx) = s (1 + b x s(-bx)), with s(-bx) = 1 - s(bx) from the same exp (as 1 - s it
  // would lose every digit for large bx).
  template <class T>
  static T dfdx(T x, T, const T* b) {
    T s, sn;
    vm::sigmoid_pair(b[0] * x, s, sn);
    return s * (T(1) + b[0] * x * sn);
  }
  // d/db = x^2 s(bx) s(-bx).
  template <class T>
  static void dfdp(T x, T, const T* b, T* d) {
    T s, sn;
    vm::sigmoid_pair(b[0] * x, s, sn);
    d[0] = (x * s) * (x * sn);  // not x * x first: it overflows where s or sn is 0
  }
};

class SwishBeta : public Activation {
 public:
  SwishBeta(std::int64_t n, double init, DType dt) : Activation("swish_beta") {
    beta = register_parameter("beta", full({n}, init, dt));
  }
  Tensor forward(const Tensor& x) override {
    return pointwise<SwishBetaFn>(x, {beta}, "swish_beta");
  }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    const std::string bx = g.node("Mul", {x, g.channel_constant("beta", values(beta), x)});
    return g.node("Mul", {x, g.node("Sigmoid", {bx})});
  }
  Tensor beta;
};

TG_REGISTER_ACTIVATION(
    {.name = "swish_beta",
     .family = Family::Learnable,
     .formula = "f(x) = x * sigmoid(beta * x)",
     .latex = "f(x) = x \\, \\sigma(\\beta x)",
     .keys = {{"init", "1", "initial beta (beta = 1 is silu)"}, kPerChannel},
     .params = {{"beta", "shared or per-channel", "1", ""}},
     .gain = std::nullopt,
     .gain_note = "none established (at beta = 1 it is silu, which has none in PyTorch)",
     .reference = {"P. Ramachandran, B. Zoph, Q. V. Le", 2017,
                   "Searching for Activation Functions"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      return std::make_shared<SwishBeta>(width(s, c), s.get_double("init", 1.0), dt);
    });

// ---------------------------------------------------------------- sigmoid_beta, tanh_beta (fused)

// Gate nonlinearities with a learnable slope (for LSTM/GRU gates, which must stay in (0, 1) or
// (-1, 1)). Kruschke and Movellan's "gain": the net input is multiplied by a learned beta.
const Reference kGain{"J. K. Kruschke, J. R. Movellan", 1991,
                      "Benefits of Gain: Speeded Learning and Minimal Hidden Layers in "
                      "Back-Propagation Networks"};

// x q with q = f'(x) / beta, which is 0 where |beta x| is large: x = +-inf gives 0, not inf * 0.
// NaN still propagates (q is NaN then, and NaN == 0 is false).
template <class T>
T x_times(T x, T q) {
  return vm::select(q == T(0), T(0), x * q);
}

struct SigmoidBetaFn {
  static constexpr int kParams = 1;
  template <class T>
  static T f(T x, const T* b) {
    return vm::sigmoid(b[0] * x);
  }
  // d/dx = b s(bx) s(-bx). Not from y as y (1 - y): 1 - y loses every digit where y rounds to 1
  // (bx above 17 in float32); sigmoid_pair gives s(-bx) from the same exp, to a few ulps.
  template <class T>
  static T dfdx(T x, T, const T* b) {
    T s, sn;
    vm::sigmoid_pair(b[0] * x, s, sn);
    return b[0] * (s * sn);
  }
  // d/db = x s(bx) s(-bx).
  template <class T>
  static void dfdp(T x, T, const T* b, T* d) {
    T s, sn;
    vm::sigmoid_pair(b[0] * x, s, sn);
    d[0] = x_times(x, s * sn);
  }
};

// One slope for all channels or one per channel; the gain is the fixed activation's at beta = 1
// (where it is that activation) and none established otherwise.
template <class Fn>
class SlopeActivation : public Activation {
 public:
  SlopeActivation(const char* name, std::int64_t n, double init, double gain_at_1, DType dt)
      : Activation(name), name_(name), gain_at_1_(gain_at_1) {
    beta = register_parameter("beta", full({n}, init, dt));
  }
  Tensor forward(const Tensor& x) override { return pointwise<Fn>(x, {beta}, name_); }
  std::optional<double> gain() const override {
    for (double v : beta.to_vector<double>())
      if (v != 1) return std::nullopt;
    return gain_at_1_;
  }
  // sigmoid(beta x) or tanh(beta x).
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    const std::string bx = g.node("Mul", {x, g.channel_constant("beta", values(beta), x)});
    return g.node(std::string_view(name_) == "tanh_beta" ? "Tanh" : "Sigmoid", {bx});
  }
  Tensor beta;

 private:
  const char* name_;
  double gain_at_1_;
};

TG_REGISTER_ACTIVATION(
    {.name = "sigmoid_beta",
     .family = Family::Learnable,
     .formula = "f(x) = sigmoid(beta * x) = 1 / (1 + exp(-beta * x))",
     .latex = "f(x) = \\sigma(\\beta x) = \\frac{1}{1 + e^{-\\beta x}}",
     .keys = {{"init", "1", "initial slope beta (beta = 1 is sigmoid)"}, kPerChannel},
     .params = {{"beta", "shared or per-channel", "1", ""}},
     .gain = 1.0,
     .gain_note = "PyTorch calculate_gain('sigmoid') at beta = 1, where it is sigmoid; none "
                  "established for other beta",
     .reference = kGain},
    [](const Spec& s, std::int64_t c, DType dt) {
      return std::make_shared<SlopeActivation<SigmoidBetaFn>>("sigmoid_beta", width(s, c),
                                                              s.get_double("init", 1.0), 1.0, dt);
    });

struct TanhBetaFn {
  static constexpr int kParams = 1;
  template <class T>
  static T f(T x, const T* b) {
    return vm::tanh(b[0] * x);
  }
  // 1 - tanh^2(u) = 4 s(2u) s(-2u), both from one exp: relative accuracy everywhere. As 1 - t^2
  // (the fixed tanh's, from y) it is 0 where t rounds to +-1 (|u| above 9 in float32) and loses
  // digits well before that.
  template <class T>
  static T sech2(T u) {
    T s, sn;
    vm::sigmoid_pair(T(2) * u, s, sn);
    return T(4) * (s * sn);
  }
  // d/dx = b (1 - t^2).
  template <class T>
  static T dfdx(T x, T, const T* b) {
    return b[0] * sech2(b[0] * x);
  }
  // d/db = x (1 - t^2).
  template <class T>
  static void dfdp(T x, T, const T* b, T* d) {
    d[0] = x_times(x, sech2(b[0] * x));
  }
};

TG_REGISTER_ACTIVATION(
    {.name = "tanh_beta",
     .family = Family::Learnable,
     .formula = "f(x) = tanh(beta * x)",
     .latex = "f(x) = \\tanh(\\beta x)",
     .keys = {{"init", "1", "initial slope beta (beta = 1 is tanh)"}, kPerChannel},
     .params = {{"beta", "shared or per-channel", "1", ""}},
     .gain = 5.0 / 3.0,
     .gain_note = "PyTorch calculate_gain('tanh') at beta = 1, where it is tanh; none "
                  "established for other beta",
     .reference = kGain},
    [](const Spec& s, std::int64_t c, DType dt) {
      return std::make_shared<SlopeActivation<TanhBetaFn>>(
          "tanh_beta", width(s, c), s.get_double("init", 1.0), 5.0 / 3.0, dt);
    });

// ---------------------------------------------------------------- pelu (fused, a, b > 0)

// f = (a / b) x for x >= 0, a (exp(x / b) - 1) for x < 0. Continuous first derivative (a / b at 0).
struct PELUFn {
  static constexpr int kParams = 2;
  template <class T>
  static T f(T x, const T* p) {
    return vm::select(x >= T(0), p[0] / p[1] * x, p[0] * vm::expm1(x / p[1]));
  }
  // The negative side from e = e^(x / b), not from y + a, which cancels for x far below 0.
  template <class T>
  static T dfdx(T x, T, const T* p) {
    const T e = vm::exp_min0(x * (T(1) / p[1]));
    return vm::select(x >= T(0), p[0] / p[1], p[0] * e / p[1]);
  }
  // Both pieces computed, then selected: branch-free, so the fused loop vectorises.
  template <class T>
  static void dfdp(T x, T y, const T* p, T* d) {
    const bool pos = x >= T(0);
    const T e = vm::exp_min0(x * (T(1) / p[1]));
    d[0] = vm::select(pos, x / p[1], y / p[0]);
    d[1] = vm::select(pos, -p[0] * x / (p[1] * p[1]), -p[0] * e * x / (p[1] * p[1]));
  }
};

class PELU : public Activation {
 public:
  PELU(std::int64_t n, double a, double b, DType dt) : Activation("pelu") {
    a_raw = register_parameter("a_raw", full({n}, inv_softplus(a), dt));
    b_raw = register_parameter("b_raw", full({n}, inv_softplus(b), dt));
  }
  Tensor forward(const Tensor& x) override {
    return pointwise<PELUFn>(x, {softplus_op(a_raw), softplus_op(b_raw)}, "pelu");
  }
  // a and b are the constrained values softplus(a_raw), softplus(b_raw); the exponential sees
  // min(x, 0), so the branch that Where discards cannot overflow.
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    NoGradGuard no_grad;
    const Tensor a = softplus_op(a_raw), b = softplus_op(b_raw);
    const std::string pos =
        g.node("Mul", {x, g.channel_constant("a_over_b", values(div(a, b)), x)});
    const std::string e = g.node(
        "Exp",
        {g.node("Div", {g.node("Min", {x, g.scalar(0)}), g.channel_constant("b", values(b), x)})});
    const std::string neg =
        g.node("Mul", {g.channel_constant("a", values(a), x), g.node("Sub", {e, g.scalar(1)})});
    return g.node("Where", {g.node("GreaterOrEqual", {x, g.scalar(0)}), pos, neg});
  }
  Tensor a_raw, b_raw;
};

TG_REGISTER_ACTIVATION(
    {.name = "pelu",
     .family = Family::Learnable,
     .formula = "f(x) = (a / b) * x if x >= 0, else a * (exp(x / b) - 1); a, b > 0",
     .latex = "f(x) = \\begin{cases} \\frac{a}{b} x & x \\ge 0 \\\\ a (e^{x/b} - 1) & x < 0 "
              "\\end{cases},\\ a, b > 0",
     .keys = {{"init_a", "1", "initial a (> 0)"}, {"init_b", "1", "initial b (> 0)"}, kPerChannel},
     .params = {{"a_raw", "shared or per-channel", "softplus^-1(1) = 0.5413",
                 "a = softplus(a_raw) > 0"},
                {"b_raw", "shared or per-channel", "softplus^-1(1) = 0.5413",
                 "b = softplus(b_raw) > 0"}},
     .gain = std::nullopt,
     .gain_note = "none established (at a = b = 1 it is elu, which has none in PyTorch)",
     .reference = {"L. Trottier, P. Giguere, B. Chaib-draa", 2017,
                   "Parametric Exponential Linear Unit for Deep Convolutional Neural Networks"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      const double a = s.get_double("init_a", 1.0), b = s.get_double("init_b", 1.0);
      if (!(a > 0) || !(b > 0))
        fail("activation 'pelu': init_a and init_b must be > 0, got {} and {}", a, b);
      return std::make_shared<PELU>(width(s, c), a, b, dt);
    });

// ---------------------------------------------------------------- learnable_celu (fused)

// f = max(0, x) + min(0, alpha (exp(x / alpha) - 1)), alpha = softplus(alpha_raw) > 0.
struct LearnableCELUFn {
  static constexpr int kParams = 1;
  template <class T>
  static T f(T x, const T* a) {
    return vm::select(x > T(0), x, a[0] * vm::expm1(x / a[0]));
  }
  // As PyTorch's celu: 1 for x > 0, e^(x / alpha) otherwise (1 at x = 0), computed from x: as
  // y / alpha + 1 it cancels for x far below 0 (see ELU in fixed.cpp).
  template <class T>
  static T dfdx(T x, T, const T* a) {
    return vm::select(x > T(0), T(1), vm::exp_min0(x * (T(1) / a[0])));
  }
  // d/dalpha alpha (e^{x/alpha} - 1) = (e^{x/alpha} - 1) - (x / alpha) e^{x/alpha}.
  template <class T>
  static void dfdp(T x, T y, const T* a, T* d) {
    const T u = x * (T(1) / a[0]);
    d[0] = vm::select(x > T(0), T(0), y / a[0] - u * vm::exp_min0(u));
  }
};

class LearnableCELU : public Activation {
 public:
  LearnableCELU(std::int64_t n, double alpha, DType dt) : Activation("learnable_celu") {
    alpha_raw = register_parameter("alpha_raw", full({n}, inv_softplus(alpha), dt));
  }
  Tensor forward(const Tensor& x) override {
    return pointwise<LearnableCELUFn>(x, {softplus_op(alpha_raw)}, "learnable_celu");
  }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    NoGradGuard no_grad;
    const std::string alpha = g.channel_constant("alpha", values(softplus_op(alpha_raw)), x);
    const std::string e = g.node("Exp", {g.node("Div", {g.node("Min", {x, g.scalar(0)}), alpha})});
    const std::string neg = g.node("Mul", {alpha, g.node("Sub", {e, g.scalar(1)})});
    return g.node("Where", {g.node("Greater", {x, g.scalar(0)}), x, neg});
  }
  Tensor alpha_raw;
};

TG_REGISTER_ACTIVATION(
    {.name = "learnable_celu",
     .family = Family::Learnable,
     .formula = "f(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), alpha > 0 learned",
     .latex =
         "f(x) = \\max(0, x) + \\min\\left(0, \\alpha (e^{x/\\alpha} - 1)\\right),\\ \\alpha > 0",
     .keys = {{"init", "1", "initial alpha (> 0)"}, kPerChannel},
     .params = {{"alpha_raw", "shared or per-channel", "softplus^-1(1) = 0.5413",
                 "alpha = softplus(alpha_raw) > 0"}},
     .gain = std::nullopt,
     .gain_note = "none established (at alpha = 1 it is elu, which has none in PyTorch)",
     .reference = {"J. T. Barron", 2017, "Continuously Differentiable Exponential Linear Units"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      const double a = s.get_double("init", 1.0);
      if (!(a > 0)) fail("activation 'learnable_celu': init must be > 0, got {}", a);
      return std::make_shared<LearnableCELU>(width(s, c), a, dt);
    });

// ---------------------------------------------------------------- apl (fused, S hinges)

// f = max(0, x) + sum_s a_s max(0, b_s - x); parameters p[0..S) = a, p[S..2S) = b.
// At a hinge the derivative follows relu's convention (relu'(0) = 0).
template <int S>
struct APLFn {
  static constexpr int kParams = 2 * S;
  template <class T>
  static T f(T x, const T* p) {
    T y = x > T(0) ? x : T(0);
    for (int s = 0; s < S; ++s) y += p[s] * std::max(p[S + s] - x, T(0));
    return y;
  }
  template <class T>
  static T dfdx(T x, T, const T* p) {
    T d = x > T(0) ? T(1) : T(0);
    for (int s = 0; s < S; ++s)
      if (p[S + s] - x > T(0)) d -= p[s];
    return d;
  }
  template <class T>
  static void dfdp(T x, T, const T* p, T* d) {
    for (int s = 0; s < S; ++s) {
      const bool on = p[S + s] - x > T(0);
      d[s] = on ? p[S + s] - x : T(0);
      d[S + s] = on ? p[s] : T(0);
    }
  }
};

inline constexpr std::int64_t kMaxHinges = 8;

class APL : public Activation {
 public:
  APL(std::int64_t n, std::int64_t hinges, DType dt) : Activation("apl") {
    std::vector<double> b;
    for (std::int64_t s = 0; s < hinges; ++s)
      b.push_back(-1.0 + 2.0 * (static_cast<double>(s) + 0.5) / static_cast<double>(hinges));
    a = register_parameter(
        "a", table(std::vector<double>(static_cast<std::size_t>(hinges), 0.0), n, dt));
    this->b = register_parameter("b", table(b, n, dt));
  }
  Tensor forward(const Tensor& x) override {
    std::vector<Tensor> p = rows(a);
    for (const Tensor& r : rows(b)) p.push_back(r);
    switch (a.shape()[0]) {
      case 1:
        return pointwise<APLFn<1>>(x, p, "apl");
      case 2:
        return pointwise<APLFn<2>>(x, p, "apl");
      case 3:
        return pointwise<APLFn<3>>(x, p, "apl");
      case 4:
        return pointwise<APLFn<4>>(x, p, "apl");
      case 5:
        return pointwise<APLFn<5>>(x, p, "apl");
      case 6:
        return pointwise<APLFn<6>>(x, p, "apl");
      case 7:
        return pointwise<APLFn<7>>(x, p, "apl");
      default:
        return pointwise<APLFn<8>>(x, p, "apl");
    }
  }
  // max(0, x) + sum_s a_s max(0, b_s - x), one term per hinge.
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    std::string y = g.node("Relu", {x});
    for (std::int64_t k = 0; k < a.shape()[0]; ++k) {
      const std::string as = g.channel_constant(fmt::format("a{}", k), row_values(a, k), x);
      const std::string bs = g.channel_constant(fmt::format("b{}", k), row_values(b, k), x);
      y = g.node("Add", {y, g.node("Mul", {as, g.node("Relu", {g.node("Sub", {bs, x})})})});
    }
    return y;
  }
  std::optional<double> gain() const override {
    // At a = 0 it is relu.
    for (double v : a.to_vector<double>())
      if (v != 0) return std::nullopt;
    return std::numbers::sqrt2;
  }
  Tensor a, b;
};

TG_REGISTER_ACTIVATION(
    {.name = "apl",
     .family = Family::Learnable,
     .formula = "f(x) = max(0, x) + sum_{s=1..S} a_s * max(0, b_s - x)",
     .latex = "f(x) = \\max(0, x) + \\sum_{s=1}^{S} a_s \\max(0, b_s - x)",
     .keys = {{"s", "2", "number of hinges S (1 to 8)"}, kPerChannel},
     .params = {{"a", "[S, 1] shared or [S, C] per-channel", "0", ""},
                {"b", "[S, 1] shared or [S, C] per-channel",
                 "spread evenly over (-1, 1): b_s = -1 + (2s - 1) / S", ""}},
     .gain = std::numbers::sqrt2,
     .gain_note = "relu's sqrt(2): at a = 0 it is relu",
     .reference = {"F. Agostinelli, M. Hoffman, P. Sadowski, P. Baldi", 2015,
                   "Learning Activation Functions to Improve Deep Neural Networks"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      const std::int64_t hinges = s.get_int("s", 2);
      if (hinges < 1 || hinges > kMaxHinges)
        fail("activation 'apl': s (the number of hinges) must be 1 to {}, got {}", kMaxHinges,
             hinges);
      return std::make_shared<APL>(width(s, c), hinges, dt);
    });

// ---------------------------------------------------------------- srelu (fused)

// Parameters t_l, a_l, t_r, a_r. x >= t_r: t_r + a_r (x - t_r); x <= t_l: t_l + a_l (x - t_l);
// x in between. At x = t_r (t_l) the derivative is a_r (a_l), the paper's closed intervals.
struct SReLUFn {
  static constexpr int kParams = 4;
  template <class T>
  static T f(T x, const T* p) {
    if (x >= p[2]) return p[2] + p[3] * (x - p[2]);
    if (x <= p[0]) return p[0] + p[1] * (x - p[0]);
    return x;
  }
  template <class T>
  static T dfdx(T x, T, const T* p) {
    if (x >= p[2]) return p[3];
    if (x <= p[0]) return p[1];
    return T(1);
  }
  template <class T>
  static void dfdp(T x, T, const T* p, T* d) {
    d[0] = d[1] = d[2] = d[3] = T(0);
    if (x >= p[2]) {
      d[2] = T(1) - p[3];
      d[3] = x - p[2];
    } else if (x <= p[0]) {
      d[0] = T(1) - p[1];
      d[1] = x - p[0];
    }
  }
};

class SReLU : public Activation {
 public:
  SReLU(std::int64_t n, double tl, double al, double tr, double ar, DType dt)
      : Activation("srelu") {
    t_l = register_parameter("t_l", full({n}, tl, dt));
    a_l = register_parameter("a_l", full({n}, al, dt));
    t_r = register_parameter("t_r", full({n}, tr, dt));
    a_r = register_parameter("a_r", full({n}, ar, dt));
  }
  Tensor forward(const Tensor& x) override {
    return pointwise<SReLUFn>(x, {t_l, a_l, t_r, a_r}, "srelu");
  }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    const std::string tl = g.channel_constant("t_l", values(t_l), x);
    const std::string al = g.channel_constant("a_l", values(a_l), x);
    const std::string tr = g.channel_constant("t_r", values(t_r), x);
    const std::string ar = g.channel_constant("a_r", values(a_r), x);
    auto line = [&](const std::string& t, const std::string& a) {  // t + a (x - t)
      return g.node("Add", {t, g.node("Mul", {a, g.node("Sub", {x, t})})});
    };
    const std::string low = g.node("Where", {g.node("LessOrEqual", {x, tl}), line(tl, al), x});
    return g.node("Where", {g.node("GreaterOrEqual", {x, tr}), line(tr, ar), low});
  }
  std::optional<double> gain() const override {
    // Leaky relu's gain when it starts as one (t_l = 0, a_r = 1).
    const double tl = t_l.to_vector<double>()[0], al = a_l.to_vector<double>()[0];
    const double ar = a_r.to_vector<double>()[0];
    if (tl != 0 || ar != 1) return std::nullopt;
    return std::sqrt(2.0 / (1.0 + al * al));
  }
  Tensor t_l, a_l, t_r, a_r;
};

TG_REGISTER_ACTIVATION(
    {.name = "srelu",
     .family = Family::Learnable,
     .formula = "f(x) = t_r + a_r (x - t_r) if x >= t_r; x if t_l < x < t_r; t_l + a_l (x - t_l) "
                "if x <= t_l",
     .latex = "f(x) = \\begin{cases} t_r + a_r (x - t_r) & x \\ge t_r \\\\ x & t_l < x < t_r \\\\ "
              "t_l + a_l (x - "
              "t_l) & x \\le t_l \\end{cases}",
     .keys = {{"t_l", "0", "initial left threshold"},
              {"a_l", "0.2", "initial left slope"},
              {"t_r", "1", "initial right threshold (> t_l)"},
              {"a_r", "1", "initial right slope"},
              kPerChannel},
     .params = {{"t_l", "shared or per-channel", "0", ""},
                {"a_l", "shared or per-channel", "0.2", ""},
                {"t_r", "shared or per-channel", "1", ""},
                {"a_r", "shared or per-channel", "1", ""}},
     .gain = std::sqrt(2.0 / (1.0 + 0.2 * 0.2)),
     .gain_note = "leaky_relu's sqrt(2 / (1 + a_l^2)): with t_l = 0 and a_r = 1 it starts as "
                  "leaky_relu(a_l)",
     .reference = {"X. Jin, C. Xu, J. Feng, Y. Wei, J. Xiong, S. Yan", 2016,
                   "Deep Learning with S-shaped Rectified Linear Activation Units"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      const double tl = s.get_double("t_l", 0.0), al = s.get_double("a_l", 0.2);
      const double tr = s.get_double("t_r", 1.0), ar = s.get_double("a_r", 1.0);
      if (!(tr > tl)) fail("activation 'srelu': t_r ({}) must be greater than t_l ({})", tr, tl);
      return std::make_shared<SReLU>(width(s, c), tl, al, tr, ar, dt);
    });

// ---------------------------------------------------------------- pau (fused, Pade 5/4, safe)

// f = P(x) / Q(x), P = sum_{j=0..5} a_j x^j, Q = 1 + sum_{k=1..4} |b_k| |x|^k (Molina et al.'s
// "safe" PAU: Q >= 1, no poles). p[0..6) = a, p[6..10) = b. Like the reference implementation,
// sign(0) = 0 where |.| is differentiated.
struct PAUFn {
  static constexpr int kParams = 10;
  template <class T>
  static T num(T x, const T* p) {
    return p[0] + x * (p[1] + x * (p[2] + x * (p[3] + x * (p[4] + x * p[5]))));
  }
  template <class T>
  static T den(T x, const T* p) {
    const T ax = std::abs(x);
    return T(1) + ax * (std::abs(p[6]) +
                        ax * (std::abs(p[7]) + ax * (std::abs(p[8]) + ax * std::abs(p[9]))));
  }
  template <class T>
  static T f(T x, const T* p) {
    return num(x, p) / den(x, p);
  }
  template <class T>
  static T dfdx(T x, T y, const T* p) {
    const T dp = p[1] + x * (T(2) * p[2] + x * (T(3) * p[3] + x * (T(4) * p[4] + x * T(5) * p[5])));
    const T ax = std::abs(x);
    const T dq =
        sgn(x) *
        (std::abs(p[6]) +
         ax * (T(2) * std::abs(p[7]) + ax * (T(3) * std::abs(p[8]) + ax * T(4) * std::abs(p[9]))));
    return (dp - y * dq) / den(x, p);
  }
  template <class T>
  static void dfdp(T x, T y, const T* p, T* d) {
    const T q = den(x, p), ax = std::abs(x);
    T xp = T(1) / q;
    for (int j = 0; j < 6; ++j, xp *= x) d[j] = xp;
    T axp = ax / q;
    for (int k = 0; k < 4; ++k, axp *= ax) d[6 + k] = -y * axp * sgn(p[6 + k]);
  }
};

// Molina et al.'s Pade fit to leaky_relu (negative slope 0.01), from the reference implementation
// github.com/ml-research/pau, pau/cuda/python_imp/Pade.py, "pade_optimized_leakyrelu".
const std::vector<double> kPAUNumerator{3.35583603e-02, 5.05000375e-01, 1.65343934e+00,
                                        2.01001052e+00, 9.31901999e-01, 1.52424124e-01};
const std::vector<double> kPAUDenominator{3.30847488e-06, 3.98021568e+00, 5.12471206e-07,
                                          3.01830109e-01};

class PAU : public Activation {
 public:
  PAU(std::int64_t n, DType dt) : Activation("pau") {
    numerator = register_parameter("numerator", table(kPAUNumerator, n, dt));
    denominator = register_parameter("denominator", table(kPAUDenominator, n, dt));
  }
  Tensor forward(const Tensor& x) override {
    std::vector<Tensor> p = rows(numerator);
    for (const Tensor& r : rows(denominator)) p.push_back(r);
    return pointwise<PAUFn>(x, p, "pau");
  }
  // P(x) / (1 + |x| (|b_1| + |x| (|b_2| + ...))), the |b_k| taken here.
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    std::vector<std::string> num, den{g.scalar(1)};
    for (std::int64_t j = 0; j < numerator.shape()[0]; ++j)
      num.push_back(g.channel_constant(fmt::format("a{}", j), row_values(numerator, j), x));
    for (std::int64_t k = 0; k < denominator.shape()[0]; ++k) {
      std::vector<double> b = row_values(denominator, k);
      for (double& v : b) v = std::abs(v);
      den.push_back(g.channel_constant(fmt::format("abs_b{}", k + 1), b, x));
    }
    const std::string q = horner(g, g.node("Abs", {x}), den);
    return g.node("Div", {horner(g, x, num), q});
  }
  Tensor numerator, denominator;
};

TG_REGISTER_ACTIVATION(
    {.name = "pau",
     .family = Family::Learnable,
     .formula = "f(x) = (a_0 + a_1 x + ... + a_5 x^5) / (1 + |b_1| |x| + ... + |b_4| |x|^4)",
     .latex = "f(x) = \\frac{\\sum_{j=0}^{5} a_j x^j}{1 + \\sum_{k=1}^{4} |b_k| \\, |x|^k}",
     .keys = {{"m", "5", "numerator degree (only 5: the published initialisation is for 5/4)"},
              {"n", "4", "denominator degree (only 4)"},
              kPerChannel},
     .params = {{"numerator", "[6, 1] shared or [6, C] per-channel",
                 "a = (0.0336, 0.505, 1.653, 2.010, 0.932, 0.152): Pade fit to leaky_relu(0.01)",
                 ""},
                {"denominator", "[4, 1] shared or [4, C] per-channel",
                 "b = (3.3e-6, 3.980, 5.1e-7, 0.302): Pade fit to leaky_relu(0.01)",
                 "enters as |b_k| (safe PAU: Q >= 1)"}},
     .gain = std::nullopt,
     .gain_note = "none established (it starts close to leaky_relu(0.01), gain about sqrt(2))",
     .reference =
         {"A. Molina, P. Schramowski, K. Kersting", 2020,
          "Pade Activation Units: End-to-end Learning of Flexible Activation Functions in Deep "
          "Networks (initial coefficients: github.com/ml-research/pau, Pade.py, "
          "pade_optimized_leakyrelu)"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      const std::int64_t m = s.get_int("m", 5), n = s.get_int("n", 4);
      if (m != 5 || n != 4)
        fail(
            "activation 'pau': only m=5, n=4 is supported (the published leaky_relu "
            "initialisation), "
            "got m={}, n={}",
            m, n);
      return std::make_shared<PAU>(width(s, c), dt);
    });

// ---------------------------------------------------------------- rational (fused, type 3/2)

// f = P(x) / Q(x), P = a_0 + a_1 x + a_2 x^2 + a_3 x^3, Q = b_0 + b_1 x + b_2 x^2 (Boulle et al.:
// a plain denominator, as published). p[0..4) = a, p[4..7) = b.
struct RationalFn {
  static constexpr int kParams = 7;
  template <class T>
  static T f(T x, const T* p) {
    return (p[0] + x * (p[1] + x * (p[2] + x * p[3]))) / (p[4] + x * (p[5] + x * p[6]));
  }
  template <class T>
  static T dfdx(T x, T y, const T* p) {
    const T q = p[4] + x * (p[5] + x * p[6]);
    const T dp = p[1] + x * (T(2) * p[2] + x * T(3) * p[3]);
    const T dq = p[5] + T(2) * x * p[6];
    return (dp - y * dq) / q;
  }
  template <class T>
  static void dfdp(T x, T y, const T* p, T* d) {
    const T q = p[4] + x * (p[5] + x * p[6]);
    T xp = T(1) / q;
    for (int j = 0; j < 4; ++j, xp *= x) d[j] = xp;
    xp = -y / q;
    for (int k = 0; k < 3; ++k, xp *= x) d[4 + k] = xp;
  }
};

// Boulle et al.'s type (3, 2) fit to relu on [-1, 1], from github.com/NBoulle/RationalNets,
// RationalLayer.py (there highest degree first: P = [1.1915, 1.5957, 0.5, 0.0218], Q = [2.383, 0,
// 1]).
const std::vector<double> kRationalNumerator{0.0218, 0.5, 1.5957, 1.1915};
const std::vector<double> kRationalDenominator{1.0, 0.0, 2.383};

class Rational : public Activation {
 public:
  Rational(std::int64_t n, DType dt) : Activation("rational") {
    numerator = register_parameter("numerator", table(kRationalNumerator, n, dt));
    denominator = register_parameter("denominator", table(kRationalDenominator, n, dt));
  }
  Tensor forward(const Tensor& x) override {
    std::vector<Tensor> p = rows(numerator);
    for (const Tensor& r : rows(denominator)) p.push_back(r);
    return pointwise<RationalFn>(x, p, "rational");
  }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    std::vector<std::string> num, den;
    for (std::int64_t j = 0; j < numerator.shape()[0]; ++j)
      num.push_back(g.channel_constant(fmt::format("a{}", j), row_values(numerator, j), x));
    for (std::int64_t k = 0; k < denominator.shape()[0]; ++k)
      den.push_back(g.channel_constant(fmt::format("b{}", k), row_values(denominator, k), x));
    return g.node("Div", {horner(g, x, num), horner(g, x, den)});
  }
  Tensor numerator, denominator;
};

TG_REGISTER_ACTIVATION(
    {.name = "rational",
     .family = Family::Learnable,
     .formula = "f(x) = (a_0 + a_1 x + a_2 x^2 + a_3 x^3) / (b_0 + b_1 x + b_2 x^2)",
     .latex = "f(x) = \\frac{a_0 + a_1 x + a_2 x^2 + a_3 x^3}{b_0 + b_1 x + b_2 x^2}",
     .keys = {kPerChannel},
     .params = {{"numerator", "[4, 1] shared or [4, C] per-channel",
                 "a = (0.0218, 0.5, 1.5957, 1.1915): type (3,2) fit to relu on [-1, 1]", ""},
                {"denominator", "[3, 1] shared or [3, C] per-channel", "b = (1, 0, 2.383)",
                 "none (as published; Q may reach 0 during training)"}},
     .gain = std::nullopt,
     .gain_note = "none established (it starts close to relu on [-1, 1])",
     .reference =
         {"N. Boulle, Y. Nakatsukasa, A. Townsend", 2020,
          "Rational neural networks (initial coefficients: github.com/NBoulle/RationalNets, "
          "RationalLayer.py)"}},
    [](const Spec& s, std::int64_t c, DType dt) {
      return std::make_shared<Rational>(width(s, c), dt);
    });

}  // namespace

}  // namespace tg::act
