// Fixed activations: PyTorch's formulas, defaults and kink conventions, all on the fused path.
//
// Each one is a `Core` struct with scalar f(x, h) and dfdx(x, y, h), where h holds its
// hyper-parameters (leaky_relu's slope, softplus's beta and threshold, ...). At the default
// hyper-parameters the core runs with kParams = 0 and the defaults are compile-time constants;
// other values go in as constant one-element tensors whose gradient is zero. The derivative at a
// kink is PyTorch's (aten/src/ATen/native/cpu/Activation.cpp and FunctionsManual.cpp), noted
// beside each core.
#include <cmath>
#include <numbers>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/activations/pointwise.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/io/onnx_graph.hpp"
#include "tapegrad/kernels/vecmath.hpp"

namespace tg::act {

namespace {

// Speed: the cores are inlined into the fused loops of pointwise.hpp, which GCC vectorises when
// they are branch-free. So the float32 math is kernels/vecmath.hpp's (std:: math is a scalar call
// per element; the float64 overloads there are std::, so gradcheck sees the exact functions), and
// a piecewise formula computes every piece and then selects: with -ftrapping-math GCC will not
// vectorise a loop that multiplies only on one side of a branch (x > 0 ? x : a * x).
using vm::select;

// ------------------------------------------------------------------ the fused plumbing

template <class Core, double... D>
struct DefaultFn {
  static constexpr int kParams = 0;
  template <class T>
  static T f(T x, const T*) {
    const T h[] = {T(D)..., T(0)};
    return Core::f(x, h);
  }
  template <class T>
  static T dfdx(T x, T y, const T*) {
    const T h[] = {T(D)..., T(0)};
    return Core::dfdx(x, y, h);
  }
  template <class T>
  static void dfdp(T, T, const T*, T*) {}
  static constexpr bool kTwoValued = requires { requires Core::kTwoValued; };
  template <class T>
  static bool high(T x, const T*) {
    const T h[] = {T(D)..., T(0)};
    return Core::high(x, h);
  }
  template <class T>
  static void values(const T*, T& lo, T& hi) {
    const T h[] = {T(D)..., T(0)};
    Core::values(h, lo, hi);
  }
};

template <class Core, int H>
struct HyperFn {
  static constexpr int kParams = H;
  template <class T>
  static T f(T x, const T* h) {
    return Core::f(x, h);
  }
  template <class T>
  static T dfdx(T x, T y, const T* h) {
    return Core::dfdx(x, y, h);
  }
  // Hyper-parameters are constants: they never require grad, the zeros are never used.
  template <class T>
  static void dfdp(T, T, const T*, T* d) {
    for (int k = 0; k < H; ++k) d[k] = T(0);
  }
  static constexpr bool kTwoValued = requires { requires Core::kTwoValued; };
  template <class T>
  static bool high(T x, const T* h) {
    return Core::high(x, h);
  }
  template <class T>
  static void values(const T* h, T& lo, T& hi) {
    Core::values(h, lo, hi);
  }
};

// Defined below, after the cores.
std::string fixed_onnx(const std::string& name, io::OnnxGraph& g, const std::string& x,
                       const std::vector<double>& h);

struct Identity;

template <class Core, double... D>
class Fixed final : public Activation {
 public:
  Fixed(const std::string& name, const char* op_name, std::vector<double> hyper)
      : Activation(name), op_(op_name), hyper_(std::move(hyper)) {}

  Tensor forward(const Tensor& x) override {
    // As nn.Identity: the input itself, no copy and no tape entry.
    if constexpr (std::is_same_v<Core, Identity>) return x;
    if (hyper_ == std::vector<double>{D...}) return pointwise<DefaultFn<Core, D...>>(x, {}, op_);
    std::vector<Tensor> hs;
    for (double h : hyper_)
      hs.push_back(full({1}, h, is_floating(x.dtype()) ? x.dtype() : DType::Float32));
    return pointwise<HyperFn<Core, static_cast<int>(sizeof...(D))>>(x, hs, op_);
  }

  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    return fixed_onnx(type_name(), g, x, hyper_);
  }

  bool commutes_with_max_pool() const override {
    if constexpr (requires { Core::kCommutesWithMaxPool; })
      return Core::kCommutesWithMaxPool && hyper_.empty();
    else
      return false;
  }

  std::optional<double> gain() const override {
    if constexpr (requires(const double* h) { Core::gain(h); })
      return Core::gain(hyper_.data());
    else
      return Activation::gain();
  }

 private:
  const char* op_;
  std::vector<double> hyper_;
};

// The factory: reads the hyper-parameters named by the registration's keys (in order), checks
// them, builds the module.
template <class Core, double... D>
Factory fixed() {
  return [](const Spec& s, std::int64_t, DType) -> std::shared_ptr<Activation> {
    const Registration& r = Registry::instance().get(s.name());
    constexpr double defaults[] = {D..., 0.0};
    std::vector<double> h;
    for (std::size_t i = 0; i < sizeof...(D); ++i) {
      const double v = s.get_double(r.info.keys.at(i).key, defaults[i]);
      if (!std::isfinite(v))
        fail("activation '{}': {} must be finite, got {}", s.name(), r.info.keys[i].key, v);
      h.push_back(v);
    }
    if constexpr (requires(const std::vector<double>& v) { Core::check(v); }) {
      const std::string problem = Core::check(h);
      if (!problem.empty()) fail("activation '{}': {}", s.name(), problem);
    }
    return std::make_shared<Fixed<Core, D...>>(r.info.name, r.info.name.c_str(), std::move(h));
  };
}

// ------------------------------------------------------------------ the cores

// Base of the cores whose derivative takes one of two values (relu, relu6, leaky_relu, hardtanh,
// hardsigmoid): the core gives high(x, h), which value applies, and values(h, lo, hi); dfdx is
// defined from them, so the fused path's bit-mask backward (pointwise.hpp) gives the same bits.
template <class Core>
struct TwoValued {
  static constexpr bool kTwoValued = true;
  template <class T>
  static T dfdx(T x, T, const T* h) {
    T lo, hi;
    Core::values(h, lo, hi);
    return select(Core::high(x, h), hi, lo);
  }
};

struct Identity {
  template <class T>
  static T f(T x, const T*) {
    return x;
  }
  template <class T>
  static T dfdx(T, T, const T*) {
    return T(1);
  }
};

struct Sigmoid {
  template <class T>
  static T f(T x, const T*) {
    return vm::sigmoid(x);
  }
  // y (1 - y), as PyTorch: reads y only. Where y rounds to 1 (x above 17 in float32) this is 0
  // while f' = e^-x: its error is absolute, about an ulp of 1 (docs/activations.md).
  template <class T>
  static T dfdx(T, T y, const T*) {
    return y * (T(1) - y);
  }
};

struct Tanh {
  template <class T>
  static T f(T x, const T*) {
    return vm::tanh(x);
  }
  // 1 - y^2, as PyTorch: reads y only. Where y rounds to +-1 (|x| above 9 in float32) this is 0
  // while f' is about 4 e^(-2|x|): its error is absolute, about an ulp of 1.
  template <class T>
  static T dfdx(T, T y, const T*) {
    return T(1) - y * y;
  }
};

// relu'(0) = 0: threshold_backward passes the gradient where the result is > 0.
struct ReLU : TwoValued<ReLU> {
  // NaN propagates, as PyTorch's relu (and tapegrad's relu op): hiding it would hide a diverged
  // run. -0.0 becomes +0.0. Max-pooling then commutes with it bit for bit (nn::Module).
  static constexpr bool kCommutesWithMaxPool = true;
  template <class T>
  static T f(T x, const T*) {
    return select(x <= T(0), T(0), x);
  }
  template <class T>
  static bool high(T x, const T*) {
    return x > T(0);
  }
  template <class T>
  static void values(const T*, T& lo, T& hi) {
    lo = T(0);
    hi = T(1);
  }
};

// relu6 is hardtanh(x, 0, 6) in PyTorch; hardtanh_backward zeroes the gradient at both bounds
// (self <= min || self >= max), so relu6'(0) = relu6'(6) = 0.
struct ReLU6 : TwoValued<ReLU6> {
  template <class T>
  static T f(T x, const T*) {
    return vm::min(vm::max(x, T(0)), T(6));
  }
  template <class T>
  static bool high(T x, const T*) {
    return (x > T(0)) & (x < T(6));
  }
  template <class T>
  static void values(const T*, T& lo, T& hi) {
    lo = T(0);
    hi = T(1);
  }
};

// leaky_relu_backward: x > 0 ? grad : grad * slope, so leaky_relu'(0) = slope.
struct LeakyReLU : TwoValued<LeakyReLU> {
  template <class T>
  static T f(T x, const T* h) {
    return select(x > T(0), x, h[0] * x);
  }
  template <class T>
  static bool high(T x, const T*) {
    return x > T(0);
  }
  template <class T>
  static void values(const T* h, T& lo, T& hi) {
    lo = h[0];
    hi = T(1);
  }
  static std::optional<double> gain(const double* h) {
    return std::sqrt(2.0 / (1.0 + h[0] * h[0]));
  }
};

// elu_backward: x <= 0 ? alpha e^x : 1, so elu'(0) = alpha.
// The elu family's derivatives on the negative side are computed from x, not from y as
// y + alpha: that sum cancels as y approaches -alpha (e^x = 1.9e-22 at x = -50 came out 0 in
// float64, and float32 selu'(-7.9) was 1.6e-4 off relative). Reading x instead of y moves the
// same bytes (the backward reads one of them and dL/dy); the exp costs a little compute
// (docs/benchmarks.md). NaN propagates: min(NaN, 0) is NaN.
struct ELU {
  template <class T>
  static T f(T x, const T* h) {
    return select(x > T(0), x, h[0] * vm::expm1(x));
  }
  template <class T>
  static T dfdx(T x, T, const T* h) {
    return select(x > T(0), T(1), h[0] * vm::exp_min0(x));
  }
};

inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;

// selu'(0) = scale * alpha (elu_backward with the SELU constants, x <= 0 branch).
struct SELU {
  template <class T>
  static T f(T x, const T*) {
    return select(x > T(0), T(kSeluScale) * x, T(kSeluScale * kSeluAlpha) * vm::expm1(x));
  }
  template <class T>
  static T dfdx(T x, T, const T*) {
    return select(x > T(0), T(kSeluScale), T(kSeluScale * kSeluAlpha) * vm::exp_min0(x));
  }
};

// celu'(0) = 1 (elu_backward with input_scale 1/alpha: e^(x / alpha) at x = 0).
struct CELU {
  template <class T>
  static T f(T x, const T* h) {
    return select(x > T(0), x, h[0] * vm::expm1(x / h[0]));
  }
  template <class T>
  static T dfdx(T x, T, const T* h) {
    // x (1 / alpha): the reciprocal is loop-invariant, a division per element is not. With
    // alpha < 0 the exponent is positive and needs the full exp. (The test is decided at compile
    // time for the default alpha = 1; otherwise it is the same for every element.)
    if (h[0] > T(0)) return select(x > T(0), T(1), vm::exp_min0(x * (T(1) / h[0])));
    return select(x > T(0), T(1), vm::exp(vm::min(x, T(0)) * (T(1) / h[0])));
  }
  static std::string check(const std::vector<double>& h) {
    return h[0] == 0 ? "alpha must be nonzero (CELU divides by it)" : "";
  }
};

// gelu = x Phi(x). Phi from vm::normal_cdf, which for x < 0 computes Phi(x) = erfc(-x/sqrt2)/2
// without forming 1 + erf (that sum cancels: float32 gelu(-5.6) came out 3.4e-7 off where the
// value is -6e-8, some values with the wrong sign) and e^(-x^2/2) from x^2 split exactly.
struct GELU {
  template <class T>
  static T f(T x, const T*) {
    return x * vm::normal_cdf(x);
  }
  // Phi(x) = y / x, which saves the Phi; below |x| = 2^-100 Phi is 1/2 in float and double
  // (and y / x would be 0 / 0 or lose the bits of a subnormal y).
  template <class T>
  static T dfdx(T x, T y, const T*) {
    const T cdf = select(std::abs(x) < T(0x1p-100), T(0.5), y / x);
    return cdf + x * vm::normal_pdf(x);
  }
};

inline constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2 / pi)

// With u = sqrt(2/pi) (x + 0.044715 x^3): (1 + tanh u) / 2 = sigmoid(2u), and 1 - tanh^2 u =
// 4 sigmoid(2u) sigmoid(-2u). Written with sigmoids, nothing cancels where tanh u is near -1
// (x below about -5: 1 + tanh u lost every digit) or near 1.
struct GELUTanh {
  template <class T>
  static T u2(T x) {
    return T(2 * kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
  }
  template <class T>
  static T f(T x, const T*) {
    return x * vm::sigmoid(u2(x));
  }
  // Beyond |x| = 30 the derivative is 0 or 1 in float64 too; clamping keeps x^3 finite.
  template <class T>
  static T dfdx(T x_in, T, const T*) {
    const T x = vm::min(vm::max(x_in, T(-30)), T(30));
    const T v = u2(x);
    const T s = vm::sigmoid(v), sn = vm::sigmoid(-v);
    return s + T(2 * kSqrt2OverPi) * x * s * sn * (T(1) + T(3 * 0.044715) * x * x);
  }
};

struct SiLU {
  template <class T>
  static T f(T x, const T*) {
    return x * vm::sigmoid(x);
  }
  // silu' = s (1 + x (1 - s)) = s + y (1 - s) with s = sigmoid(x) = y / x: no second exp. For
  // large x, 1 - s keeps few digits, but y (1 - s) is then small beside s: at most about x ulps
  // (docs/activations.md). Below |x| = 2^-100, s is 1/2 in float and double (and y / x would be
  // 0 / 0 or lose the bits of a subnormal y).
  template <class T>
  static T dfdx(T x, T y, const T*) {
    const T s = select(std::abs(x) < T(0x1p-100), T(0.5), y / x);
    return s + y * (T(1) - s);
  }
};

// mish' = t + x sigma(x) (1 - t^2) with t = tanh(softplus(x)).
struct Mish {
  // float: with n = e^x, tanh(log(1 + n)) = n (n + 2) / (n (n + 2) + 2), one exp for t and
  // sigma(x) = n / (1 + n); above x = 20 both are 1 in float.
  static void parts(float x, float& t, float& s) {
    const float n = vm::exp(vm::min(x, 20.0f));
    const float a = n * (n + 2.0f);
    t = a / (a + 2.0f);
    s = n / (1.0f + n);
    t = select(x != x, x, t);
  }
  static void parts(double x, double& t, double& s) {
    t = std::tanh(vm::softplus(x));
    s = vm::sigmoid(x);
  }
  template <class T>
  static T f(T x, const T*) {
    T t, s;
    parts(x, t, s);
    return x * t;
  }
  template <class T>
  static T dfdx(T x, T, const T*) {
    T t, s;
    parts(x, t, s);
    return t + x * s * (T(1) - t * t);
  }
};

// Above the threshold softplus is the identity, exactly as PyTorch (forward and backward).
struct Softplus {
  template <class T>
  static T f(T x, const T* h) {
    const T z = h[0] * x;
    return select(z > h[1], x, vm::softplus(z) / h[0]);
  }
  // sigmoid(z) from u = beta y = softplus(z), with no division: 1 - e^-u for z >= 0 and
  // e^(z - u) for z < 0 (sigmoid(z) = e^z sigmoid(-z)); both exponents are <= 0.
  template <class T>
  static T dfdx(T x, T y, const T* h) {
    const T z = h[0] * x;
    const T u = h[0] * y;
    const bool pos = z >= T(0);
    const T e = vm::exp_nonpositive(select(pos, -u, z - u));
    const T s = select(pos, T(1) - e, e);
    return select(z != z, z, select(z > h[1], T(1), s));
  }
  static std::string check(const std::vector<double>& h) {
    return h[0] <= 0 ? "beta must be > 0" : "";
  }
};

// hardswish_backward as PyTorch's vectorised CPU kernel (what a tensor of more than a few
// elements gets): x < -3 -> 0, x < 3 -> x/3 + 1/2, else 1. So the derivative is -1/2 at x = -3
// and 1 at x = 3. (PyTorch 1.13's scalar path, used for tiny tensors, gives 3/2 at x = 3.)
struct Hardswish {
  template <class T>
  static T f(T x, const T*) {
    return x * vm::min(vm::max(x + T(3), T(0)), T(6)) / T(6);
  }
  template <class T>
  static T dfdx(T x, T, const T*) {
    const T mid = x / T(3) + T(0.5);
    return select(x < T(-3), T(0), select(x < T(3), mid, T(1)));
  }
};

// hardsigmoid_backward: (x > -3 && x < 3) ? 1/6 : 0, so 0 at both bounds.
struct Hardsigmoid : TwoValued<Hardsigmoid> {
  template <class T>
  static T f(T x, const T*) {
    return vm::min(vm::max(x + T(3), T(0)), T(6)) / T(6);
  }
  template <class T>
  static bool high(T x, const T*) {
    return (x > T(-3)) & (x < T(3));
  }
  template <class T>
  static void values(const T*, T& lo, T& hi) {
    lo = T(0);
    hi = T(1) / T(6);
  }
};

// hardtanh_backward: (x <= min || x >= max) ? 0 : grad, so 0 at both bounds.
struct Hardtanh : TwoValued<Hardtanh> {
  template <class T>
  static T f(T x, const T* h) {
    return vm::min(vm::max(x, h[0]), h[1]);
  }
  template <class T>
  static bool high(T x, const T* h) {
    return (x > h[0]) & (x < h[1]);
  }
  template <class T>
  static void values(const T*, T& lo, T& hi) {
    lo = T(0);
    hi = T(1);
  }
  static std::string check(const std::vector<double>& h) {
    return h[1] <= h[0] ? fmt::format("max_val ({}) must be greater than min_val ({})", h[1], h[0])
                        : "";
  }
};

struct Softsign {
  template <class T>
  static T f(T x, const T*) {
    return x / (T(1) + std::abs(x));
  }
  template <class T>
  static T dfdx(T x, T, const T*) {
    const T d = T(1) + std::abs(x);
    return T(1) / (d * d);
  }
};

// log sigma(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|): no overflow, no log(0).
struct LogSigmoid {
  template <class T>
  static T f(T x, const T*) {
    return -vm::softplus(-x);
  }
  // sigmoid(-x) from y = -softplus(-x), as Softplus::dfdx with z = -x and u = -y.
  template <class T>
  static T dfdx(T x, T y, const T*) {
    const bool neg = x <= T(0);
    const T e = vm::exp_nonpositive(select(neg, y, y - x));
    return select(x != x, x, select(neg, T(1) - e, e));
  }
};

// ------------------------------------------------------------------ ONNX

// The fixed activation `name` with hyper-parameters h (in the order of its keys) as ONNX
// operators (opset 17), each as PyTorch's torch.onnx exports it where ONNX has the operator.
std::string fixed_onnx(const std::string& name, io::OnnxGraph& g, const std::string& x,
                       const std::vector<double>& h) {
  auto op = [&](const char* type, std::vector<std::string> in,
                std::vector<io::OnnxAttribute> a = {}) {
    return g.node(type, std::move(in), std::move(a));
  };
  auto c = [&](double v) { return g.scalar(v); };
  if (name == "identity") return x;
  if (name == "sigmoid") return op("Sigmoid", {x});
  if (name == "tanh") return op("Tanh", {x});
  if (name == "relu") return op("Relu", {x});
  if (name == "relu6") return op("Clip", {x, c(0), c(6)});
  if (name == "leaky_relu") return op("LeakyRelu", {x}, {{"alpha", h.at(0)}});
  if (name == "elu") return op("Elu", {x}, {{"alpha", h.at(0)}});
  if (name == "selu") return op("Selu", {x}, {{"alpha", kSeluAlpha}, {"gamma", kSeluScale}});
  if (name == "celu") return op("Celu", {x}, {{"alpha", h.at(0)}});
  if (name == "gelu") {  // x/2 (1 + erf(x / sqrt 2)): ONNX's Gelu is opset 20
    const std::string e = op("Erf", {op("Mul", {x, c(std::numbers::sqrt2 / 2)})});
    return op("Mul", {op("Mul", {x, c(0.5)}), op("Add", {e, c(1)})});
  }
  if (name == "gelu_tanh") {
    const std::string x3 = op("Mul", {op("Mul", {x, x}), x});
    const std::string inner = op("Add", {x, op("Mul", {x3, c(0.044715)})});
    const std::string t = op("Tanh", {op("Mul", {inner, c(std::sqrt(2.0 / std::numbers::pi))})});
    return op("Mul", {op("Mul", {x, c(0.5)}), op("Add", {t, c(1)})});
  }
  if (name == "silu") return op("Mul", {x, op("Sigmoid", {x})});
  if (name == "mish") return op("Mul", {x, op("Tanh", {op("Softplus", {x})})});
  if (name == "softplus") {  // x where beta x > threshold, else softplus(beta x) / beta
    const std::string z = op("Mul", {x, c(h.at(0))});
    const std::string soft = op("Div", {op("Softplus", {z}), c(h.at(0))});
    return op("Where", {op("Greater", {z, c(h.at(1))}), x, soft});
  }
  if (name == "hardswish") return op("HardSwish", {x});
  if (name == "hardsigmoid") return op("HardSigmoid", {x}, {{"alpha", 1.0 / 6.0}, {"beta", 0.5}});
  if (name == "hardtanh") return op("Clip", {x, c(h.at(0)), c(h.at(1))});
  if (name == "softsign") return op("Softsign", {x});
  if (name == "logsigmoid") return op("Neg", {op("Softplus", {op("Neg", {x})})});
  fail("onnx export: the fixed activation '{}' has no ONNX form (add it to fixed_onnx in {})", name,
       __FILE__);
}

// ------------------------------------------------------------------ registrations

const Reference kPyTorch{"A. Paszke, S. Gross, F. Massa, et al.", 2019,
                         "PyTorch: An Imperative Style, High-Performance Deep Learning Library"};

TG_REGISTER_ACTIVATION({.name = "identity",
                        .formula = "f(x) = x",
                        .latex = "f(x) = x",
                        .gain = 1.0,
                        .gain_note = "PyTorch calculate_gain('linear')",
                        .reference = kPyTorch},
                       fixed<Identity>());

TG_REGISTER_ACTIVATION({.name = "sigmoid",
                        .formula = "f(x) = 1 / (1 + exp(-x))",
                        .latex = "f(x) = \\frac{1}{1 + e^{-x}}",
                        .gain = 1.0,
                        .gain_note = "PyTorch calculate_gain('sigmoid')",
                        .reference = {"D. E. Rumelhart, G. E. Hinton, R. J. Williams", 1986,
                                      "Learning representations by back-propagating errors"}},
                       fixed<Sigmoid>());

TG_REGISTER_ACTIVATION({.name = "tanh",
                        .formula = "f(x) = tanh(x)",
                        .latex = "f(x) = \\tanh(x)",
                        .gain = 5.0 / 3.0,
                        .gain_note = "PyTorch calculate_gain('tanh')",
                        .reference = {"Y. LeCun, L. Bottou, G. B. Orr, K.-R. Mueller", 1998,
                                      "Efficient BackProp"}},
                       fixed<Tanh>());

TG_REGISTER_ACTIVATION(
    {.name = "relu",
     .formula = "f(x) = max(0, x)",
     .latex = "f(x) = \\max(0, x)",
     .gain = std::numbers::sqrt2,
     .gain_note = "PyTorch calculate_gain('relu') (He et al. 2015)",
     .reference = {"V. Nair, G. E. Hinton", 2010,
                   "Rectified Linear Units Improve Restricted Boltzmann Machines"}},
    fixed<ReLU>());

TG_REGISTER_ACTIVATION({.name = "relu6",
                        .formula = "f(x) = min(max(0, x), 6)",
                        .latex = "f(x) = \\min(\\max(0, x), 6)",
                        .gain = std::nullopt,
                        .gain_note = "none in PyTorch; relu's sqrt(2) is the usual choice",
                        .reference = {"A. Krizhevsky", 2010,
                                      "Convolutional Deep Belief Networks on CIFAR-10"}},
                       fixed<ReLU6>());

TG_REGISTER_ACTIVATION(
    {.name = "leaky_relu",
     .formula = "f(x) = x if x > 0, else slope * x",
     .latex = "f(x) = \\max(0, x) + s \\min(0, x)",
     .keys = {{"slope", "0.01", "slope s for x <= 0 (PyTorch's negative_slope)"}},
     .gain = std::sqrt(2.0 / (1.0 + 0.01 * 0.01)),
     .gain_note = "PyTorch calculate_gain('leaky_relu', s) = sqrt(2 / (1 + s^2))",
     .reference = {"A. L. Maas, A. Y. Hannun, A. Y. Ng", 2013,
                   "Rectifier Nonlinearities Improve Neural Network Acoustic Models"}},
    fixed<LeakyReLU, 0.01>());

TG_REGISTER_ACTIVATION(
    {.name = "elu",
     .formula = "f(x) = x if x > 0, else alpha * (exp(x) - 1)",
     .latex = "f(x) = \\begin{cases} x & x > 0 \\\\ \\alpha (e^{x} - 1) & x \\le 0 \\end{cases}",
     .keys = {{"alpha", "1", "alpha, the value approached as x -> -inf is -alpha"}},
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"D.-A. Clevert, T. Unterthiner, S. Hochreiter", 2016,
                   "Fast and Accurate Deep Network Learning by Exponential Linear Units "
                   "(ELUs)"}},
    fixed<ELU, 1.0>());

TG_REGISTER_ACTIVATION(
    {.name = "selu",
     .formula = "f(x) = scale * (x if x > 0, else alpha * (exp(x) - 1)), "
                "alpha = 1.6732632423543772, scale = 1.0507009873554805",
     .latex = "f(x) = \\lambda \\begin{cases} x & x > 0 \\\\ \\alpha (e^{x} - 1) & x \\le 0 "
              "\\end{cases},\\ \\alpha \\approx 1.6733,\\ \\lambda \\approx 1.0507",
     .gain = 0.75,
     .gain_note = "PyTorch calculate_gain('selu') = 3/4 (for self-normalising nets "
                  "the paper uses LeCun init, gain 1)",
     .reference = {"G. Klambauer, T. Unterthiner, A. Mayr, S. Hochreiter", 2017,
                   "Self-Normalizing Neural Networks"}},
    fixed<SELU>());

TG_REGISTER_ACTIVATION(
    {.name = "celu",
     .formula = "f(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
     .latex = "f(x) = \\max(0, x) + \\min\\left(0, \\alpha (e^{x/\\alpha} - 1)\\right)",
     .keys = {{"alpha", "1", "alpha (nonzero)"}},
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"J. T. Barron", 2017, "Continuously Differentiable Exponential Linear Units"}},
    fixed<CELU, 1.0>());

TG_REGISTER_ACTIVATION(
    {.name = "gelu",
     .formula = "f(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))",
     .latex =
         "f(x) = x \\Phi(x) = \\frac{x}{2}\\left(1 + \\operatorname{erf}(x / \\sqrt{2})\\right)",
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"D. Hendrycks, K. Gimpel", 2016, "Gaussian Error Linear Units (GELUs)"}},
    fixed<GELU>());

TG_REGISTER_ACTIVATION(
    {.name = "gelu_tanh",
     .formula = "f(x) = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))",
     .latex = "f(x) = \\frac{x}{2}\\left(1 + \\tanh\\left(\\sqrt{2/\\pi}\\,(x + "
              "0.044715\\,x^3)\\right)\\right)",
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"D. Hendrycks, K. Gimpel", 2016,
                   "Gaussian Error Linear Units (GELUs) (tanh approximation; PyTorch "
                   "gelu(approximate='tanh'))"}},
    fixed<GELUTanh>());

TG_REGISTER_ACTIVATION({.name = "silu",
                        .formula = "f(x) = x * sigmoid(x)",
                        .latex = "f(x) = x \\sigma(x)",
                        .gain = std::nullopt,
                        .gain_note = "none in PyTorch",
                        .reference = {"S. Elfwing, E. Uchibe, K. Doya", 2018,
                                      "Sigmoid-Weighted Linear Units for Neural Network Function "
                                      "Approximation in Reinforcement Learning"}},
                       fixed<SiLU>());

TG_REGISTER_ACTIVATION(
    {.name = "mish",
     .formula = "f(x) = x * tanh(softplus(x))",
     .latex = "f(x) = x \\tanh\\left(\\ln(1 + e^{x})\\right)",
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"D. Misra", 2019, "Mish: A Self Regularized Non-Monotonic Activation Function"}},
    fixed<Mish>());

TG_REGISTER_ACTIVATION(
    {.name = "softplus",
     .formula = "f(x) = log(1 + exp(beta * x)) / beta, or x where beta * x > threshold",
     .latex =
         "f(x) = \\begin{cases} \\frac{1}{\\beta}\\ln(1 + e^{\\beta x}) & \\beta x \\le t \\\\ x & "
         "\\beta x > t \\end{cases}",
     .keys = {{"beta", "1", "sharpness beta (> 0)"},
              {"threshold", "20", "above beta * x > threshold the function is x"}},
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"C. Dugas, Y. Bengio, F. Belisle, C. Nadeau, R. Garcia", 2001,
                   "Incorporating Second-Order Functional Knowledge for Better Option "
                   "Pricing"}},
    fixed<Softplus, 1.0, 20.0>());

TG_REGISTER_ACTIVATION({.name = "hardswish",
                        .formula = "f(x) = x * relu6(x + 3) / 6",
                        .latex = "f(x) = x \\frac{\\min(\\max(x + 3, 0), 6)}{6}",
                        .gain = std::nullopt,
                        .gain_note = "none in PyTorch",
                        .reference = {"A. Howard, M. Sandler, G. Chu, et al.", 2019,
                                      "Searching for MobileNetV3"}},
                       fixed<Hardswish>());

TG_REGISTER_ACTIVATION({.name = "hardsigmoid",
                        .formula = "f(x) = relu6(x + 3) / 6",
                        .latex = "f(x) = \\frac{\\min(\\max(x + 3, 0), 6)}{6}",
                        .gain = std::nullopt,
                        .gain_note = "none in PyTorch",
                        .reference = {"A. Howard, M. Sandler, G. Chu, et al.", 2019,
                                      "Searching for MobileNetV3"}},
                       fixed<Hardsigmoid>());

TG_REGISTER_ACTIVATION(
    {.name = "hardtanh",
     .formula = "f(x) = min(max(x, min_val), max_val)",
     .latex = "f(x) = \\min(\\max(x, a), b)",
     .keys = {{"min_val", "-1", "lower bound a"}, {"max_val", "1", "upper bound b (> a)"}},
     .gain = std::nullopt,
     .gain_note = "none in PyTorch",
     .reference = {"R. Collobert", 2004, "Large Scale Machine Learning (PhD thesis)"}},
    fixed<Hardtanh, -1.0, 1.0>());

TG_REGISTER_ACTIVATION({.name = "softsign",
                        .formula = "f(x) = x / (1 + |x|)",
                        .latex = "f(x) = \\frac{x}{1 + |x|}",
                        .gain = std::nullopt,
                        .gain_note = "none in PyTorch",
                        .reference = {"J. Bergstra, G. Desjardins, P. Lamblin, Y. Bengio", 2009,
                                      "Quadratic Polynomials Learn Better Image Features"}},
                       fixed<Softsign>());

TG_REGISTER_ACTIVATION({.name = "logsigmoid",
                        .formula = "f(x) = log(sigmoid(x)) = -softplus(-x)",
                        .latex = "f(x) = \\ln \\sigma(x) = -\\ln(1 + e^{-x})",
                        .gain = std::nullopt,
                        .gain_note = "none in PyTorch",
                        .reference = kPyTorch},
                       fixed<LogSigmoid>());

}  // namespace

}  // namespace tg::act
