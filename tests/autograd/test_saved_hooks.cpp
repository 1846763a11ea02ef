// Saved-tensor hooks: a scoped pack/unpack pair sees every tensor an op saves for its backward,
// and the backward computes with what unpack returns.
#include <any>
#include <map>
#include <string>

#include "helpers.hpp"
#include "models/models.hpp"
#include "tapegrad/autograd/inspect.hpp"
#include "tapegrad/autograd/saved.hpp"

using namespace tg;
using autograd::SavedTensorHooks;

namespace {

Tensor f64(std::initializer_list<double> v, const Shape& s = {}) {
  return tensor(v, s, DType::Float64);
}

// Identity hooks that count what they see.
struct Counter {
  int packs = 0, unpacks = 0;
  std::size_t bytes = 0;
  SavedTensorHooks hooks() {
    return SavedTensorHooks(
        [this](const Tensor& t) -> std::any {
          ++packs;
          bytes += static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
          return t;
        },
        [this](const std::any& p) {
          ++unpacks;
          return std::any_cast<Tensor>(p);
        });
  }
};

}  // namespace

TEST_CASE("saved hooks: pack sees each saved tensor once, unpack each read, gradients unchanged",
          "[autograd][saved_hooks]") {
  Tensor a = f64({0.5, -1.5, 2.0}).requires_grad_();
  Tensor b = f64({3.0, 0.25, -2.0}).requires_grad_();
  Counter c;
  Tensor loss;
  {
    auto h = c.hooks();
    // mul saves a and b; tanh saves its output; sum saves nothing.
    loss = sum(tanh(mul(a, b)));
  }
  REQUIRE(c.packs == 3);
  REQUIRE(c.bytes == 3 * 3 * sizeof(double));
  REQUIRE(c.unpacks == 0);
  loss.backward();  // the scope has ended: the pair that packed still unpacks
  REQUIRE(c.unpacks == 3);
  // By hand: d/da sum(tanh(ab)) = b (1 - tanh(ab)^2).
  std::vector<double> ga, gb;
  const double av[] = {0.5, -1.5, 2.0}, bv[] = {3.0, 0.25, -2.0};
  for (int i = 0; i < 3; ++i) {
    const double t = std::tanh(av[i] * bv[i]);
    ga.push_back(bv[i] * (1 - t * t));
    gb.push_back(av[i] * (1 - t * t));
  }
  tgtest::require_values(a.grad(), ga, 1e-15);
  tgtest::require_values(b.grad(), gb, 1e-15);
}

TEST_CASE("saved hooks: the backward computes with the unpacked values (quantised saving)",
          "[autograd][saved_hooks]") {
  Tensor a = f64({1.0, 2.0, 3.0}).requires_grad_();
  Tensor b = f64({0.26, -1.74, 4.49});  // saved by mul for a's gradient
  Tensor loss;
  {
    // Save rounded to one decimal: what "quantise what is saved" does, in miniature.
    SavedTensorHooks h(
        [](const Tensor& t) -> std::any {
          std::vector<double> v = t.to_vector<double>();
          for (double& x : v) x = std::round(x * 10) / 10;
          return v;
        },
        [](const std::any& p) {
          const auto& v = std::any_cast<const std::vector<double>&>(p);
          return tensor(v, {static_cast<std::int64_t>(v.size())}, DType::Float64);
        });
    loss = sum(mul(a, b));
  }
  loss.backward();
  // d/da sum(a * b) = b, as it was saved: rounded.
  tgtest::require_values(a.grad(), {0.3, -1.7, 4.5}, 1e-15);
  // The forward used the exact values.
  REQUIRE(loss.item<double>() == Approx(0.26 - 3.48 + 13.47).epsilon(1e-14));
}

TEST_CASE("saved hooks: a whole LeNet-5 with a learnable activation under identity hooks",
          "[autograd][saved_hooks]") {
  auto run = [](bool hooked, Counter* c) {
    Generator gen(7);
    auto model = models::lenet5({.activation = "prelu", .dtype = DType::Float64}, &gen);
    Generator data(3);
    const Tensor x = randn({4, 1, 28, 28}, DType::Float64, &data);
    const Tensor y = tensor({1, 0, 7, 3}, {4}, DType::Int64);
    Tensor loss;
    if (hooked) {
      auto h = c->hooks();
      loss = cross_entropy((*model)(x), y);
    } else {
      loss = cross_entropy((*model)(x), y);
    }
    loss.backward();
    std::map<std::string, std::vector<double>> grads;
    for (auto& [name, p] : model->named_parameters()) grads[name] = p.grad().to_vector<double>();
    return grads;
  };
  Counter c;
  const auto plain = run(false, nullptr);
  const auto hooked = run(true, &c);
  REQUIRE(plain == hooked);  // identity hooks: bit-identical gradients
  // Conv, linear, pooling indices, the activations' inputs and parameters...: many tensors.
  REQUIRE(c.packs >= 20);
  REQUIRE(c.unpacks >= c.packs);
}

TEST_CASE("saved hooks: nothing is packed when nothing records, and scopes nest",
          "[autograd][saved_hooks]") {
  Tensor a = f64({1.0, 2.0}).requires_grad_();
  Counter outer, inner;
  {
    auto h1 = outer.hooks();
    {
      NoGradGuard ng;
      (void)mul(a, a);  // not recorded: no pack
    }
    (void)mul(f64({1.0}), f64({2.0}));  // no input requires grad: no pack
    REQUIRE(outer.packs == 0);
    Tensor l1 = sum(mul(a, a));
    REQUIRE(outer.packs == 2);
    {
      auto h2 = inner.hooks();
      Tensor l2 = sum(sin(a));  // the innermost pair applies
      REQUIRE(inner.packs == 1);
      REQUIRE(outer.packs == 2);
      l2.backward();
      REQUIRE(inner.unpacks == 1);
    }
    REQUIRE(autograd::saved_tensor_hooks_active());
    l1.backward();
    REQUIRE(outer.unpacks == 2);
  }
  REQUIRE(!autograd::saved_tensor_hooks_active());
  // cos(a) + 2a, each element.
  tgtest::require_values(a.grad(), {std::cos(1.0) + 2, std::cos(2.0) + 4}, 1e-15);
}

TEST_CASE("saved hooks: wrong unpacked shapes and create_graph through new tensors are errors",
          "[autograd][saved_hooks]") {
  Tensor a = f64({1.0, 2.0, 3.0}).requires_grad_();
  Tensor loss;
  {
    SavedTensorHooks h([](const Tensor& t) -> std::any { return t; },
                       [](const std::any&) {
                         return f64({1.0, 2.0});
                       });
    loss = sum(mul(a, a));
  }
  REQUIRE_THROWS_WITH(loss.backward(), Catch::Contains("returned a float64 tensor of shape [2]") &&
                                           Catch::Contains("saved float64 tensor of shape [3]"));

  // A copy has no history: differentiating the backward through it is refused...
  Tensor x = f64({0.5, 1.5}).requires_grad_();
  Tensor y;
  {
    SavedTensorHooks h([](const Tensor& t) -> std::any { return t.detach().clone(); },
                       [](const std::any& p) { return std::any_cast<Tensor>(p); });
    y = sum(mul(mul(x, x), x));
  }
  REQUIRE_THROWS_WITH(grad({y}, {x}, {.create_graph = true}),
                      Catch::Contains("create_graph=true through a tensor saved under"));
  // ...while the same tensor given back keeps it: d2/dx2 sum(x^3) = 6x.
  Tensor x2 = f64({0.5, 1.5}).requires_grad_();
  Tensor y2;
  {
    SavedTensorHooks h([](const Tensor& t) -> std::any { return t; },
                       [](const std::any& p) { return std::any_cast<Tensor>(p); });
    y2 = sum(mul(mul(x2, x2), x2));
  }
  const Tensor g = grad({y2}, {x2}, {.create_graph = true})[0];
  sum(g).backward();
  tgtest::require_values(x2.grad(), {3.0, 9.0}, 1e-14);

  REQUIRE_THROWS_WITH(SavedTensorHooks(nullptr, [](const std::any&) { return Tensor(); }),
                      Catch::Contains("must both be functions"));
}

TEST_CASE("saved hooks: gradcheck of ops through a float32 round trip of what they save",
          "[autograd][saved_hooks]") {
  // Saving in float64 and unpacking the same values changes nothing a gradcheck can see; the
  // pack hook runs ops of its own, which are not packed again.
  int packs = 0;
  SavedTensorHooks h(
      [&](const Tensor& t) -> std::any {
        ++packs;
        return t.detach().clone();
      },
      [](const std::any& p) { return std::any_cast<Tensor>(p); });
  Generator gen(5);
  const Tensor x = randn({2, 3}, DType::Float64, &gen).requires_grad_();
  const Tensor w = randn({4, 3}, DType::Float64, &gen).requires_grad_();
  const auto r = gradcheck(
      [](const TensorList& in) { return sum(tanh(linear(in[0], in[1])) * in[0].sum()); }, {x, w});
  INFO(r.message);
  REQUIRE(r.ok);
  REQUIRE(packs > 0);
}
