// A two-layer MLP written with raw tapegrad ops and a hand-written SGD step, trained on the
// classic three-arm spiral (a data set no linear model can separate).
//
//   ./build/release/examples/spiral [--epochs 200] [--hidden 100] [--lr 0.5] [--seed 0]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>

#include "common/guarded_main.hpp"
#include "tapegrad/data/synthetic.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

// He initialisation by hand: N(0, 2 / fan_in).
Tensor he(std::int64_t fan_in, std::int64_t fan_out, Generator& gen) {
  return normal({fan_in, fan_out}, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in)),
                DType::Float32, &gen)
      .requires_grad_();
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"Train a 2-layer MLP on a 3-class spiral with raw ops and hand-written SGD"};
  int epochs = 200, hidden = 100, batch = 30, points = 100;
  double lr = 0.5, weight_decay = 1e-3, require = 0;
  std::uint64_t seed = 0;
  app.add_option("--epochs", epochs, "passes over the data")->check(CLI::PositiveNumber);
  app.add_option("--hidden", hidden, "hidden units")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", batch, "mini-batch size")->check(CLI::PositiveNumber);
  app.add_option("--points", points, "points per arm")->check(CLI::Range(2, 100000));
  app.add_option("--lr", lr, "SGD learning rate");
  app.add_option("--weight-decay", weight_decay, "L2 penalty coefficient");
  app.add_option("--seed", seed, "random seed");
  app.add_option("--require-accuracy", require,
                 "exit with status 1 if the final training accuracy is below this fraction");
  CLI11_PARSE(app, argc, argv);

  Generator gen(seed);
  const auto [X, Y] = data::make_spiral(points, 3, gen);
  const std::int64_t n = X.shape()[0];
  Tensor W1 = he(2, hidden, gen), W2 = he(hidden, 3, gen);
  Tensor b1 = zeros({hidden}).requires_grad_(), b2 = zeros({3}).requires_grad_();
  const TensorList params{W1, b1, W2, b2};
  fmt::print("spiral: {} points, 3 classes; MLP 2-{}-3 with ReLU, {} parameters\n", n, hidden,
             W1.numel() + b1.numel() + W2.numel() + b2.numel());

  auto forward = [&](const Tensor& x) { return add(matmul(relu(add(matmul(x, W1), b1)), W2), b2); };
  auto accuracy = [&]() {
    NoGradGuard ng;
    const Tensor pred = argmax(forward(X), 1);
    return mean(eq(pred, Y).to(DType::Float32)).item();
  };

  const auto t0 = std::chrono::steady_clock::now();
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const Tensor perm = randperm(n, &gen);
    double loss_sum = 0;
    std::int64_t seen = 0;
    for (std::int64_t start = 0; start < n; start += batch) {
      const Tensor idx = perm.slice(0, start, start + batch);
      const Tensor xb = index_select(X, 0, idx), yb = index_select(Y, 0, idx);
      // Cross-entropy (log-softmax fused) plus an explicit L2 penalty on the weights.
      const Tensor data_loss = cross_entropy(forward(xb), yb);
      const Tensor loss =
          add(data_loss, mul(add(sum(mul(W1, W1)), sum(mul(W2, W2))), 0.5 * weight_decay));
      loss.backward();
      {
        // The hand-written SGD step: p -= lr * dL/dp, outside the tape.
        NoGradGuard ng;
        for (Tensor p : params) {
          p.add_(p.grad(), -lr);
          p.zero_grad();
        }
      }
      loss_sum += data_loss.item() * static_cast<double>(xb.shape()[0]);
      seen += xb.shape()[0];
    }
    if (epoch == 1 || epoch % 10 == 0 || epoch == epochs)
      fmt::print("epoch {:>4}/{}  loss {:.4f}  train accuracy {:.2f}%\n", epoch, epochs,
                 loss_sum / static_cast<double>(seen), 100 * accuracy());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double acc = accuracy();
  fmt::print("final training accuracy: {:.2f}% ({} epochs in {:.2f} s)\n", 100 * acc, epochs, secs);
  if (acc < require) {
    fmt::print(stderr, "spiral: accuracy {:.4f} is below the required {:.4f}\n", acc, require);
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  return tg::examples::guarded_main("spiral", [&] { return run(argc, argv); });
}
