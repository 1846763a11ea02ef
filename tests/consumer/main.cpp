// Trains a small MLP with a learnable activation on the spiral, using only tapegrad's public
// headers and its CMake package. Checks what a consumer relies on: every built-in activation is
// registered without being named (the static-library trap), and training works.
#include <cstdio>
#include <cstdlib>

#include "models/models.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

int main() {
  const std::size_t registered = act::Registry::instance().names().size();
  if (registered < 30) {
    std::fprintf(stderr, "consumer: %zu activations registered, expected at least 30\n",
                 registered);
    return 1;
  }
  manual_seed(0);
  Generator gen(0);
  const auto [x, y] = data::make_spiral(100, 3, gen);
  // tapegrad::models: an MLP 2-64-3 with a learnable activation.
  auto model = models::mlp({2, 64, 3},
                           {.activation = "swish_beta(per_channel=true)",
                            .in_channels = 2,
                            .image_size = 1,
                            .num_classes = 3},
                           &gen);
  optim::Adam opt(model->parameters(), {.lr = 1e-2});
  double loss_value = 0;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    const Tensor loss = cross_entropy((*model)(x), y);
    loss.backward();
    opt.step();
    loss_value = loss.item<double>();
  }
  NoGradGuard no_grad;
  const double accuracy = mean(eq(argmax((*model)(x), 1), y).to(DType::Float32)).item<double>();
  std::printf(
      "consumer: %zu activations registered; spiral after 300 Adam steps: loss %.4f, "
      "accuracy %.1f%%\n",
      registered, loss_value, 100 * accuracy);
  return accuracy > 0.9 ? 0 : 1;
}
