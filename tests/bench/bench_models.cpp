// One training epoch of each benchmark model on real Fashion-MNIST, timed, printed as JSON.
//
//   TG_THREADS=1 build/release/tests/bench/bench_models --model lenet5 --fraction 0.25
//   build/release/tests/bench/bench_models --model tiny --iters 3000
//
// Models (one per process, so that peak RSS belongs to that model alone):
//   mlp     models::mlp 784-256-128-10 relu, SGD lr 0.05 momentum 0.9, batch 128;
//   lenet5  models::lenet5 relu, Adam lr 1e-3, batch 64;
//   cnn     the "wider CNN": conv(1->32, 3x3, pad 1)-relu-pool2-conv(32->64, 3x3, pad 1)-relu-
//           pool2-fc(3136->128)-relu-fc(128->10), Adam lr 1e-3, batch 128;
//   tiny    2-16-16-1 relu MLP, forward + MSE loss + backward at batch 32 (no optimizer step):
//           the per-op framework overhead, in microseconds per iteration.
// The training set is shuffled by the DataLoader (seed 1), pixels x / 255 (no normalisation,
// like tests/bench/torch_models.py). A few warm-up batches run first (epoch 0, untimed); then
// epoch 1 is timed for --fraction of its batches and the time is scaled to a full epoch
// (ceil(60000 / batch) batches). Output: one JSON object with epoch_s, images_per_s,
// peak_rss_mb (getrusage ru_maxrss, the whole process: data set + model + allocator cache),
// the mean loss of the timed batches, and the settings. Threads: --threads or TG_THREADS.
// tests/bench/compare_models.py runs this against tests/bench/torch_models.py.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "models/models.hpp"
#include "tapegrad/activations/activation.hpp"
#include "tapegrad/data/loader.hpp"
#include "tapegrad/data/mnist.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

std::shared_ptr<tg::nn::Sequential> wider_cnn() {
  using namespace tg::nn;
  auto s = std::make_shared<Sequential>();
  s->push_back(std::make_shared<Conv2d>(1, 32, 3, tg::Conv2dOptions{.padding = {1, 1}}));
  s->push_back(tg::act::make("relu", 32));
  s->push_back(std::make_shared<MaxPool2d>(2));
  s->push_back(std::make_shared<Conv2d>(32, 64, 3, tg::Conv2dOptions{.padding = {1, 1}}));
  s->push_back(tg::act::make("relu", 64));
  s->push_back(std::make_shared<MaxPool2d>(2));
  s->push_back(std::make_shared<Flatten>());
  s->push_back(std::make_shared<Linear>(64 * 7 * 7, 128));
  s->push_back(tg::act::make("relu", 128));
  s->push_back(std::make_shared<Linear>(128, 10));
  return s;
}

struct Args {
  std::string model = "mlp";
  std::string root = tg::data::default_fashion_mnist_root();
  double fraction = 1.0;
  int threads = 0;
  std::int64_t warmup = 5;
  std::int64_t iters = 2000;  // tiny only
  int prefetch = 2;           // the DataLoader's default: batches built on a background thread
};

[[noreturn]] void usage(const char* msg) {
  fmt::print(stderr,
             "bench_models: {}\nusage: bench_models --model mlp|lenet5|cnn|tiny [--fraction F] "
             "[--threads T] [--warmup B] [--iters N] [--prefetch P] [--root DIR]\n",
             msg);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    const char* v = argv[++i];
    if (k == "--model")
      a.model = v;
    else if (k == "--root")
      a.root = v;
    else if (k == "--fraction")
      a.fraction = std::atof(v);
    else if (k == "--threads")
      a.threads = std::atoi(v);
    else if (k == "--warmup")
      a.warmup = std::atoll(v);
    else if (k == "--iters")
      a.iters = std::atoll(v);
    else if (k == "--prefetch")
      a.prefetch = std::atoi(v);
    else
      usage(("unknown flag " + k).c_str());
  }
  if (!(a.fraction > 0 && a.fraction <= 1)) usage("--fraction must be in (0, 1]");
  return a;
}

int run_tiny(const Args& a) {
  tg::Generator gen(1);
  // Built layer by layer (no Flatten), exactly the modules of the PyTorch reference.
  auto net = std::make_shared<tg::nn::Sequential>();
  net->push_back(std::make_shared<tg::nn::Linear>(2, 16));
  net->push_back(tg::act::make("relu", 16));
  net->push_back(std::make_shared<tg::nn::Linear>(16, 16));
  net->push_back(tg::act::make("relu", 16));
  net->push_back(std::make_shared<tg::nn::Linear>(16, 1));
  const tg::Tensor x = tg::randn({32, 2}, tg::DType::Float32, &gen);
  const tg::Tensor t = tg::randn({32, 1}, tg::DType::Float32, &gen);
  auto step = [&] {
    net->zero_grad();
    tg::Tensor loss = tg::mse_loss((*net)(x), t);
    loss.backward();
  };
  for (std::int64_t i = 0; i < 200; ++i) step();
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < a.iters; ++i) step();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  fmt::print(
      "{{\"framework\": \"tapegrad\", \"model\": \"tiny\", \"threads\": {}, \"batch\": 32, "
      "\"iters\": {}, \"us_per_iter\": {:.3f}, \"peak_rss_mb\": {:.1f}}}\n",
      tg::get_num_threads(), a.iters, s * 1e6 / static_cast<double>(a.iters), peak_rss_mb());
  return 0;
}

int run_epoch(const Args& a) {
  tg::Generator gen(1);
  std::shared_ptr<tg::nn::Sequential> net;
  std::int64_t batch = 128;
  bool adam = true;
  if (a.model == "mlp") {
    net = tg::models::mlp({784, 256, 128, 10}, {.activation = "relu"}, &gen);
    adam = false;
  } else if (a.model == "lenet5") {
    net = tg::models::lenet5({.activation = "relu"}, &gen);
    batch = 64;
  } else if (a.model == "cnn") {
    net = wider_cnn();
  } else {
    usage(("unknown model " + a.model).c_str());
  }
  std::unique_ptr<tg::optim::Optimizer> opt;
  if (adam)
    opt = std::make_unique<tg::optim::Adam>(net->parameters(), tg::optim::AdamOptions{.lr = 1e-3});
  else
    opt = std::make_unique<tg::optim::SGD>(net->parameters(),
                                           tg::optim::SGDOptions{.lr = 0.05, .momentum = 0.9});

  auto train = std::make_shared<tg::data::FashionMNIST>(a.root, tg::data::Split::Train);
  tg::data::DataLoader loader(
      train, {.batch_size = batch, .shuffle = true, .seed = 1, .prefetch = a.prefetch});
  const std::int64_t nb = loader.num_batches();
  const auto timed = std::max<std::int64_t>(1, std::llround(a.fraction * static_cast<double>(nb)));

  auto step = [&](const tg::data::Example& b) {
    opt->zero_grad();
    tg::Tensor loss = tg::cross_entropy((*net)(b.input), b.target);
    loss.backward();
    opt->step();
    return loss.item();
  };
  {
    auto run = loader.epoch(0);
    for (std::int64_t i = 0; i < a.warmup; ++i)
      if (auto b = run->next()) step(*b);
  }
  double loss_sum = 0;
  std::int64_t done = 0;
  const auto t0 = Clock::now();
  {
    auto run = loader.epoch(1);
    while (done < timed) {
      auto b = run->next();
      if (!b) break;
      loss_sum += step(*b);
      ++done;
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double epoch_s = s * static_cast<double>(nb) / static_cast<double>(done);
  fmt::print(
      "{{\"framework\": \"tapegrad\", \"model\": \"{}\", \"threads\": {}, \"batch\": {}, "
      "\"batches_timed\": {}, \"batches_epoch\": {}, \"epoch_s\": {:.4f}, \"images_per_s\": "
      "{:.1f}, \"peak_rss_mb\": {:.1f}, \"mean_loss\": {:.4f}}}\n",
      a.model, tg::get_num_threads(), batch, done, nb, epoch_s,
      static_cast<double>(loader.num_examples()) / epoch_s, peak_rss_mb(),
      loss_sum / static_cast<double>(done));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  int threads = a.threads;
  if (threads <= 0)
    if (const char* env = std::getenv("TG_THREADS")) threads = std::atoi(env);
  tg::set_num_threads(threads > 0 ? threads : 1);
  try {
    return a.model == "tiny" ? run_tiny(a) : run_epoch(a);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_models: {}\n", e.what());
    return 1;
  }
}
