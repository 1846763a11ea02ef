// models/: parameter counts from the papers' layer sizes, output shapes, init statistics,
// errors, a gradcheck of a small MLP, and a LeNet-5 that can fit a small batch.
#include <cmath>

#include "helpers.hpp"
#include "models/models.hpp"
#include "tapegrad/activations/activation.hpp"
#include "tapegrad/nn/linear.hpp"

using namespace tg;

namespace {

double std_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

}  // namespace

TEST_CASE("models: parameter counts", "[models]") {
  Generator gen(1);
  // LeNet-5: conv1 6*25+6 = 156, conv2 16*6*25+16 = 2416, fc 400*120+120 = 48120,
  // 120*84+84 = 10164, 84*10+10 = 850: total 61706.
  REQUIRE(models::lenet5({}, &gen)->num_parameters() == 61706);
  // Four shared PReLU slopes more.
  REQUIRE(models::lenet5({.activation = "prelu"}, &gen)->num_parameters() == 61710);
  // Per-channel: 6 + 16 + 120 + 84 = 226 more.
  REQUIRE(models::lenet5({.activation = "prelu(per_channel=true)"}, &gen)->num_parameters() ==
          61706 + 226);
  // MLP 784-256-128-10: 200960 + 32896 + 1290.
  REQUIRE(models::make("mlp", {}, &gen)->num_parameters() == 235146);
  // Sequence classifiers (28 steps of 28 pixels, hidden 128), as torch.nn counts them:
  // G * 128 * (28 + 128) weights and 2 * G * 128 biases (G = 4, 3, 1), plus the head 128*10+10.
  REQUIRE(models::make("lstm", {.activation = "sigmoid"}, &gen)->num_parameters() ==
          79872 + 1024 + 1290);
  REQUIRE(models::make("gru", {.activation = "sigmoid"}, &gen)->num_parameters() ==
          59904 + 768 + 1290);
  REQUIRE(models::make("rnn", {.activation = "tanh"}, &gen)->num_parameters() ==
          19968 + 256 + 1290);
  // A learnable gate, one slope per hidden unit, shared by the three gates: 128 more.
  REQUIRE(models::make("lstm", {.activation = "sigmoid_beta(per_channel=true)"}, &gen)
              ->num_parameters() == 82186 + 128);
  REQUIRE(models::make("lstm", {.hidden_size = 16, .num_layers = 2}, &gen)->num_parameters() ==
          4 * 16 * (28 + 16) + 4 * 16 * (16 + 16) + 4 * 2 * 16 * 2 + 16 * 10 + 10);
}

TEST_CASE("models: every model maps [N, 1, 28, 28] to [N, 10]", "[models]") {
  Generator gen(2);
  const Tensor x = randn({2, 1, 28, 28}, DType::Float32, &gen);
  for (const std::string& name : models::names()) {
    INFO(name);
    auto net = models::make(name, {.activation = "silu"}, &gen);
    net->eval();
    NoGradGuard ng;
    const Tensor y = (*net)(x);
    REQUIRE(y.shape() == Shape{2, 10});
    for (double v : y.to_vector<double>()) REQUIRE(std::isfinite(v));
    REQUIRE(nn::summary(*net, {1, 1, 28, 28}).find("Total params") != std::string::npos);
  }
}

TEST_CASE("models: kaiming init uses the activation's gain, xavier the Glorot formula",
          "[models]") {
  Generator gen(3);
  // First MLP layer 784 -> 256 followed by relu: std = sqrt(2) / sqrt(784) = 0.050508.
  auto relu_net = models::mlp({784, 256, 128, 10}, {.activation = "relu"}, &gen);
  const auto* l1 = dynamic_cast<nn::Linear*>((*relu_net)[1].get());
  REQUIRE(l1 != nullptr);
  REQUIRE(std_of(l1->weight) == Approx(std::sqrt(2.0 / 784)).epsilon(0.02));
  for (double b : l1->bias.to_vector<double>()) REQUIRE(b == 0.0);
  // Output layer 128 -> 10, gain 1: std = 1 / sqrt(128) = 0.088388 (1280 draws: 5% tolerance).
  const auto* l3 = dynamic_cast<nn::Linear*>((*relu_net)[5].get());
  REQUIRE(std_of(l3->weight) == Approx(1 / std::sqrt(128.0)).epsilon(0.05));
  // Xavier with tanh (gain 5/3): std = 5/3 * sqrt(2 / (784 + 256)) = 0.073093.
  auto tanh_net = models::mlp({784, 256, 10}, {.activation = "tanh", .init = "xavier"}, &gen);
  const auto* t1 = dynamic_cast<nn::Linear*>((*tanh_net)[1].get());
  REQUIRE(std_of(t1->weight) == Approx(5.0 / 3.0 * std::sqrt(2.0 / 1040)).epsilon(0.02));
  // Same seed, same weights.
  Generator g1(7), g2(7);
  auto a = models::lenet5({.activation = "prelu"}, &g1),
       b = models::lenet5({.activation = "prelu"}, &g2);
  const auto pa = a->parameters(), pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    REQUIRE(pa[i].to_vector<double>() == pb[i].to_vector<double>());
}

TEST_CASE("models: bad names and settings are errors that say what is valid", "[models]") {
  REQUIRE_THROWS_WITH(models::make("lenet"), Catch::Contains("did you mean 'lenet5'"));
  REQUIRE_THROWS_WITH(models::make("lenet5", {.init = "he"}), Catch::Contains("unknown init 'he'"));
  REQUIRE_THROWS_WITH(models::make("lenet5", {.activation = "prleu"}),
                      Catch::Contains("did you mean 'prelu'"));
  REQUIRE_THROWS_WITH(models::mlp({784, 10}, {.num_classes = 3}),
                      Catch::Contains("must equal num_classes 3"));
  REQUIRE_THROWS_WITH(models::lenet5({.image_size = 32}), Catch::Contains("28x28"));
}

TEST_CASE("gradcheck: small MLP with a learnable activation, input and parameters", "[models]") {
  Generator gen(4);
  auto net = models::mlp({4, 5, 3},
                         {.activation = "prelu(per_channel=true)",
                          .in_channels = 1,
                          .image_size = 2,
                          .num_classes = 3,
                          .dtype = DType::Float64},
                         &gen);
  const Tensor x = tgtest::leaf({2, 1, 2, 2}, 5, -1, 1);
  TensorList inputs{x};
  for (const Tensor& p : net->parameters()) inputs.push_back(p);
  REQUIRE_GRADCHECK([&](const TensorList& in) { return (*net)(in[0]); }, inputs);
}

TEST_CASE("models: LeNet-5 with prelu fits a small batch", "[models]") {
  Generator gen(5);
  auto net = models::lenet5({.activation = "prelu"}, &gen);
  const Tensor x = randn({16, 1, 28, 28}, DType::Float32, &gen);
  const Tensor y = randint(0, 10, {16}, &gen);
  optim::Adam opt(net->parameters(), {.lr = 3e-3});
  double first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    opt.zero_grad();
    const Tensor loss = cross_entropy((*net)(x), y);
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  // Random labels can only be memorised: from about ln 10 = 2.30 to near zero.
  REQUIRE(first > 1.5);
  REQUIRE(last < 0.1);
}
