// A new learnable activation, registered by this program without touching the library, then
// gradchecked and trained. "leaky_tanh" is f(x) = tanh(x) + a * x with a learnable leak a
// (shared or per channel), written both ways (docs/adding-an-activation.md walks through them):
//
//   leaky_tanh           fused: scalar f, df/dx (given x and y = f(x)) and df/da
//   leaky_tanh_composed  composed from tapegrad ops: autograd derives the backward
//
//   ./build/release/examples/custom_activation [--epochs 300] [--require-accuracy 0.9]
#include <CLI/CLI.hpp>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/activations/pointwise.hpp"
#include "tapegrad/io/onnx_graph.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/sequential.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

// ---------------------------------------------------------------- the fused way

struct LeakyTanhFn {
  static constexpr int kParams = 1;  // a
  template <class T>
  static T f(T x, const T* a) {
    return std::tanh(x) + a[0] * x;
  }
  // tanh(x) = y - a x, so f'(x) = 1 - tanh(x)^2 + a needs no second tanh.
  template <class T>
  static T dfdx(T x, T y, const T* a) {
    const T t = y - a[0] * x;
    return T(1) - t * t + a[0];
  }
  template <class T>
  static void dfdp(T x, T, const T*, T* d) {
    d[0] = x;
  }
};

class LeakyTanh : public act::Activation {
 public:
  LeakyTanh(std::int64_t n, double init, DType dt) : Activation("leaky_tanh") {
    a = register_parameter("a", full({n}, init, dt));
  }
  Tensor forward(const Tensor& x) override {
    return act::pointwise<LeakyTanhFn>(x, {a}, "leaky_tanh");
  }
  // Optional: the same function in ONNX operators, so that io::export_onnx can write a model
  // that uses it (docs/onnx.md). `a` becomes a constant that broadcasts along x's channels.
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override {
    const std::string ax = g.node("Mul", {x, g.channel_constant("a", a.to_vector<double>(), x)});
    return g.node("Add", {g.node("Tanh", {x}), ax});
  }
  Tensor a;
};

TG_REGISTER_ACTIVATION({.name = "leaky_tanh",
                        .family = act::Family::Learnable,
                        .formula = "f(x) = tanh(x) + a * x",
                        .latex = "f(x) = \\tanh(x) + a x",
                        .keys = {{"init", "0.1", "initial leak a"},
                                 {"per_channel", "false", "one a per channel"}},
                        .params = {{"a", "shared or per-channel", "0.1", ""}},
                        .gain = std::nullopt,
                        .gain_note = "none established",
                        .reference = {"tapegrad examples", 2026, "custom_activation.cpp"}},
                       [](const act::Spec& s, std::int64_t c, DType dt) {
                         return std::make_shared<LeakyTanh>(
                             s.get_bool("per_channel", false) ? c : 1, s.get_double("init", 0.1),
                             dt);
                       });

// ---------------------------------------------------------------- the composed way

class LeakyTanhComposed : public act::Activation {
 public:
  LeakyTanhComposed(std::int64_t n, double init, DType dt) : Activation("leaky_tanh_composed") {
    a = register_parameter("a", full({n}, init, dt));
  }
  Tensor forward(const Tensor& x) override {
    // a is [C]; as [C, 1, ...] it lines up with dimension 1 of x.
    Shape s(static_cast<std::size_t>(std::max<std::int64_t>(x.dim() - 1, 1)), 1);
    s[0] = a.numel();
    return add(tanh(x), mul(x, a.numel() == 1 ? a : a.reshape(s)));
  }
  Tensor a;
};

TG_REGISTER_ACTIVATION({.name = "leaky_tanh_composed",
                        .family = act::Family::Learnable,
                        .formula = "f(x) = tanh(x) + a * x",
                        .latex = "f(x) = \\tanh(x) + a x",
                        .keys = {{"init", "0.1", "initial leak a"},
                                 {"per_channel", "false", "one a per channel"}},
                        .params = {{"a", "shared or per-channel", "0.1", ""}},
                        .gain = std::nullopt,
                        .gain_note = "none established",
                        .reference = {"tapegrad examples", 2026, "custom_activation.cpp"}},
                       [](const act::Spec& s, std::int64_t c, DType dt) {
                         return std::make_shared<LeakyTanhComposed>(
                             s.get_bool("per_channel", false) ? c : 1, s.get_double("init", 0.1),
                             dt);
                       });

// Three spiral arms of n points each (as examples/spiral.cpp).
std::pair<Tensor, Tensor> make_spiral(std::int64_t n, Generator& gen) {
  std::vector<float> xs;
  std::vector<std::int64_t> ys;
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t i = 0; i < n; ++i) {
      const double r = static_cast<double>(i) / static_cast<double>(n - 1);
      const double t = 4.0 * (static_cast<double>(k) + r) + 0.2 * gen.normal();
      xs.push_back(static_cast<float>(r * std::sin(t)));
      xs.push_back(static_cast<float>(r * std::cos(t)));
      ys.push_back(k);
    }
  return {from_vector(xs, {3 * n, 2}), from_vector(ys, {3 * n})};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Register a learnable activation in a program and train with it"};
  int epochs = 300, hidden = 64;
  double lr = 0.02, require = 0;
  std::string spec = "leaky_tanh(per_channel=true)";
  app.add_option("--epochs", epochs, "full-batch Adam steps")->check(CLI::PositiveNumber);
  app.add_option("--hidden", hidden, "hidden units")->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam learning rate");
  app.add_option("--activation", spec,
                 "activation spec (any registered one, e.g. leaky_tanh_composed)");
  app.add_option("--require-accuracy", require,
                 "exit 1 if the final training accuracy is below this");
  CLI11_PARSE(app, argc, argv);

  try {
    // 1. The registry knows the new activations; the two ways agree and both gradcheck.
    auto fused = act::make("leaky_tanh(init=0.3, per_channel=true)", 3, DType::Float64);
    auto composed = act::make("leaky_tanh_composed(init=0.3, per_channel=true)", 3, DType::Float64);
    Generator g(1);
    Tensor x = uniform({2, 3, 4}, -3, 3, DType::Float64, &g).requires_grad_();
    const double diff = max(abs(sub((*fused)(x), (*composed)(x)))).item();
    const bool ok_fused =
        gradcheck([&](const TensorList&) { return (*fused)(x); }, {x, fused->parameters()[0]}).ok;
    const bool ok_composed =
        gradcheck([&](const TensorList&) { return (*composed)(x); }, {x, composed->parameters()[0]})
            .ok;
    fmt::print("leaky_tanh: fused and composed differ by {:.1e}; gradcheck fused {}, composed {}\n",
               diff, ok_fused ? "ok" : "FAILED", ok_composed ? "ok" : "FAILED");
    if (diff > 1e-12 || !ok_fused || !ok_composed) return 1;

    // 2. Train a 2-hidden-layer MLP with it; its parameters get their own group, no weight decay.
    Generator gen(0);
    const auto [X, Y] = make_spiral(100, gen);
    nn::Sequential net{std::make_shared<nn::Linear>(2, hidden), act::make(spec, hidden),
                       std::make_shared<nn::Linear>(hidden, hidden), act::make(spec, hidden),
                       std::make_shared<nn::Linear>(hidden, 3)};
    optim::Adam opt({{nn::non_activation_parameters(net), {{"weight_decay", 1e-4}}},
                     {nn::activation_parameters(net), {{"weight_decay", 0.0}}}},
                    {.lr = lr});
    const Tensor a0 = nn::activation_parameters(net)[0].clone();
    double loss = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      opt.zero_grad();
      Tensor l = cross_entropy(net(X), Y);
      l.backward();
      opt.step();
      loss = l.item();
    }
    NoGradGuard ng;
    const double acc = mean(eq(argmax(net(X), 1), Y).to(DType::Float32)).item();
    const Tensor a1 = nn::activation_parameters(net)[0];
    fmt::print("{}: {} epochs, loss {:.4f}, training accuracy {:.3f}\n", spec, epochs, loss, acc);
    fmt::print(
        "first layer's a: mean {:.4f} at init -> mean {:.4f}, range [{:.4f}, {:.4f}] learned\n",
        mean(a0).item(), mean(a1).item(), min(a1).item(), max(a1).item());
    if (acc < require) {
      fmt::print(stderr, "accuracy {:.3f} is below the required {:.3f}\n", acc, require);
      return 1;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "custom_activation: {}\n", e.what());
    return 2;
  }
  return 0;
}
