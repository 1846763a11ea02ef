// End-to-end: a small MLP and a small CNN, built from nn layers, trained with SGD, Adam and
// AdamW on generated, separable data, must reach >= 98% accuracy on held-out samples.
#include "helpers.hpp"

#include <chrono>

#include "tapegrad/nn/basic.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/nn/pool.hpp"
#include "tapegrad/nn/sequential.hpp"
#include "tapegrad/optim/optim.hpp"

using namespace tg;

namespace {

struct Data {
  Tensor x, y;
};

// Four Gaussian blobs in 10-D (unit noise around centres drawn with std 3, so about 6 noise
// standard deviations apart); train and test sets share the centres.
Data blobs(const Tensor& centres, std::int64_t n, Generator& g) {
  const Tensor y = randint(0, 4, {n}, &g);
  const Tensor x = add(index_select(centres, 0, y), randn({n, 10}, DType::Float32, &g));
  return {x, y};
}

// 1x12x12 images of a bar at a random position: horizontal (0), vertical (1), or a 3x3 square
// outline (2), plus noise.
Data bars(std::int64_t n, Generator& g) {
  Tensor x = mul(randn({n, 1, 12, 12}, DType::Float32, &g), 0.2);
  const Tensor y = randint(0, 3, {n}, &g);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto cls = y.at<std::int64_t>({i});
    const auto r = static_cast<std::int64_t>(g.below(8)) + 2,
               c = static_cast<std::int64_t>(g.below(8)) + 2;
    for (std::int64_t k = -2; k <= 2; ++k) {
      if (cls == 0) x.set<double>({i, 0, r, c + k}, 1.0);
      if (cls == 1) x.set<double>({i, 0, r + k, c}, 1.0);
    }
    if (cls == 2)
      for (std::int64_t a = -1; a <= 1; ++a)
        for (std::int64_t b = -1; b <= 1; ++b)
          if (a != 0 || b != 0) x.set<double>({i, 0, r + a, c + b}, 1.0);
  }
  return {x, y};
}

double accuracy(nn::Module& model, const Data& d) {
  NoGradGuard ng;
  model.eval();
  const Tensor pred = argmax(model(d.x), 1);
  model.train();
  return mean(eq(pred, d.y).to(DType::Float64)).item();
}

void fit(nn::Module& model, optim::Optimizer& opt, const Data& d, int epochs, std::int64_t batch,
         Generator& g) {
  nn::CrossEntropyLoss loss_fn;
  const std::int64_t n = d.x.shape()[0];
  for (int e = 0; e < epochs; ++e) {
    const Tensor perm = randperm(n, &g);
    for (std::int64_t s = 0; s < n; s += batch) {
      const Tensor idx = perm.slice(0, s, s + batch);
      opt.zero_grad();
      loss_fn(model(index_select(d.x, 0, idx)), index_select(d.y, 0, idx)).backward();
      opt.step();
    }
  }
}

std::unique_ptr<optim::Optimizer> make_opt(const std::string& name, std::vector<Tensor> params,
                                           double scale) {
  if (name == "sgd")
    return std::make_unique<optim::SGD>(params,
                                        optim::SGDOptions{.lr = 0.05 * scale, .momentum = 0.9});
  if (name == "adam")
    return std::make_unique<optim::Adam>(params,
                                         optim::AdamOptions{.lr = 3e-3, .weight_decay = 1e-4});
  return std::make_unique<optim::AdamW>(params,
                                        optim::AdamWOptions{.lr = 3e-3, .weight_decay = 1e-2});
}

}  // namespace

TEST_CASE("convergence: MLP on Gaussian blobs reaches 98% with SGD, Adam and AdamW", "[train]") {
  for (const std::string opt_name : {"sgd", "adam", "adamw"}) {
    INFO("optimizer " << opt_name);
    manual_seed(11);
    Generator g(21);
    const Tensor centres = mul(randn({4, 10}, DType::Float32, &g), 3.0);
    const Data train_set = blobs(centres, 1200, g), test_set = blobs(centres, 400, g);
    nn::Sequential mlp{std::make_shared<nn::Linear>(10, 32), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(32, 4)};
    auto opt = make_opt(opt_name, mlp.parameters(), 1.0);
    const auto t0 = std::chrono::steady_clock::now();
    fit(mlp, *opt, train_set, 10, 32, g);
    const double acc = accuracy(mlp, test_set);
    WARN(opt_name << ": MLP test accuracy " << acc << " in "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                  << " s");
    REQUIRE(acc >= 0.98);
  }
}

TEST_CASE("convergence: CNN on bar images reaches 98% with SGD, Adam and AdamW", "[train]") {
  for (const std::string opt_name : {"sgd", "adam", "adamw"}) {
    INFO("optimizer " << opt_name);
    manual_seed(12);
    Generator g(22);
    const Data train_set = bars(900, g), test_set = bars(300, g);
    nn::Sequential cnn{std::make_shared<nn::Conv2d>(1, 8, 3, Conv2dOptions{.padding = {1, 1}}),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(2),
                       std::make_shared<nn::Conv2d>(8, 16, 3, Conv2dOptions{.padding = {1, 1}}),
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(2),
                       std::make_shared<nn::Flatten>(),
                       std::make_shared<nn::Linear>(16 * 3 * 3, 3)};
    auto opt = make_opt(opt_name, cnn.parameters(), 1.0);
    const auto t0 = std::chrono::steady_clock::now();
    fit(cnn, *opt, train_set, 6, 32, g);
    const double acc = accuracy(cnn, test_set);
    WARN(opt_name << ": CNN test accuracy " << acc << " in "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                  << " s");
    REQUIRE(acc >= 0.98);
  }
}
