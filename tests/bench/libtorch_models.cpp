// The libtorch (PyTorch's C++ API) peer of bench_models and torch_models.py: one training epoch
// of each benchmark model on real Fashion-MNIST, timed, printed as JSON (the same keys).
//
//   build/release/tests/bench/libtorch_models --model lenet5 --threads 1 --fraction 0.25
//   OPENBLAS_NUM_THREADS=1 build/release/tests/bench/libtorch_models --model tiny --threads 2
//
// Built only when CMake finds libtorch (Debian's libtorch-dev, PyTorch 1.13). It measures the
// same work as torch_models.py without the Python interpreter between the ops: the gap between
// the two is Python's per-op cost, and tapegrad / libtorch compares two C++ frameworks.
// Models, exactly those of torch_models.py (and bench_models.cpp):
//   mlp     Flatten, 784-256-128-10 relu, SGD lr 0.05 momentum 0.9, batch 128;
//   lenet5  conv 6@5x5 pad 2, relu, max-pool 2, conv 16@5x5, relu, max-pool 2, fc 400-120-84-10
//           relu, Adam lr 1e-3, batch 64;
//   cnn     conv 1->32 3x3 pad 1, relu, pool 2, conv 32->64 3x3 pad 1, relu, pool 2, fc 3136-128-10
//           relu, Adam lr 1e-3, batch 128;
//   tiny    2-16-16-1 relu, forward + MSE loss + backward at batch 32 (no optimizer step), in
//           microseconds per iteration.
// Weights: libtorch's default initialisation after torch::manual_seed(1) (the same draws as
// torch_models.py's). Gradients are set to none before each step (zero_grad(set_to_none=True) in
// torch_models.py; libtorch 1.13's Optimizer::zero_grad() zeroes them in place instead).
// Data: the training IDX files of --root (default /usr/share/datasets/fashion-mnist), plain or
// .gz (read with zlib), pixels x / 255 (no normalisation), shuffled each epoch with
// torch::randperm on a generator seeded 1 and gathered per batch (index_select), as
// torch_models.py does. A few warm-up batches (epoch 0, untimed), then --fraction of epoch 1
// timed and scaled to a full epoch (ceil(60000 / batch) batches). Output: one JSON object with
// epoch_s, images_per_s, peak_rss_mb (getrusage ru_maxrss: data set + model + the torch
// libraries), the mean loss of the timed batches, and the settings.
// Threads: torch::set_num_threads(--threads, default 1; libtorch's intra-op pool is OpenMP,
// libgomp) and at::set_num_interop_threads(1); libtorch's GEMMs go through libblas.so.3 (OpenBLAS
// when it is the selected alternative), whose threads come from OPENBLAS_NUM_THREADS.
// tests/bench/compare_models.py --libtorch runs this beside bench_models and torch_models.py.
#include <sys/resource.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace {

using Clock = std::chrono::steady_clock;

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

struct Args {
  std::string model = "mlp";
  std::string root = "/usr/share/datasets/fashion-mnist";
  double fraction = 1.0;
  int threads = 1;
  std::int64_t warmup = 5;
  std::int64_t iters = 2000;  // tiny only
};

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "libtorch_models: %s\nusage: libtorch_models --model mlp|lenet5|cnn|tiny "
               "[--fraction F] [--threads T] [--warmup B] [--iters N] [--root DIR]\n",
               msg.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage("missing value for " + k);
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
    else
      usage("unknown flag " + k);
  }
  if (!(a.fraction > 0 && a.fraction <= 1)) usage("--fraction must be in (0, 1]");
  if (a.threads <= 0) usage("--threads must be >= 1");
  if (a.model != "mlp" && a.model != "lenet5" && a.model != "cnn" && a.model != "tiny")
    usage("unknown model " + a.model);
  return a;
}

// The whole file `root/name`, or `root/name.gz` decompressed (zlib's gzread reads both).
std::vector<unsigned char> read_file(const std::string& root, const std::string& name) {
  std::string path = root + "/" + name;
  if (!std::ifstream(path).good()) path += ".gz";
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<unsigned char> out;
  unsigned char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  const bool bad = n < 0;
  gzclose(f);
  if (bad) throw std::runtime_error("cannot read " + path);
  return out;
}

std::uint32_t be32(const std::vector<unsigned char>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

// The training set: images [N, 1, 28, 28] float32 in [0, 1], labels [N] int64.
std::pair<torch::Tensor, torch::Tensor> load(const std::string& root) {
  auto img = read_file(root, "train-images-idx3-ubyte");
  auto lab = read_file(root, "train-labels-idx1-ubyte");
  if (img.size() < 16 || be32(img, 0) != 0x803 || lab.size() < 8 || be32(lab, 0) != 0x801)
    throw std::runtime_error("not Fashion-MNIST IDX files under " + root);
  const auto n = static_cast<std::int64_t>(be32(img, 4));
  const auto h = static_cast<std::int64_t>(be32(img, 8)),
             w = static_cast<std::int64_t>(be32(img, 12));
  if (static_cast<std::int64_t>(be32(lab, 4)) != n ||
      img.size() != static_cast<std::size_t>(16 + n * h * w) ||
      lab.size() != static_cast<std::size_t>(8 + n))
    throw std::runtime_error("inconsistent IDX files under " + root);
  torch::Tensor x = torch::from_blob(img.data() + 16, {n, 1, h, w}, torch::kUInt8)
                        .to(torch::kFloat32)
                        .div_(255.0);
  torch::Tensor y = torch::from_blob(lab.data() + 8, {n}, torch::kUInt8).to(torch::kInt64);
  return {x, y};
}

// Modules are appended one statement at a time: the arguments of a call (Sequential's variadic
// constructor) are evaluated in an unspecified order (GCC: right to left), and the order in which
// the layers are built is the order of their draws from the seeded generator.
torch::nn::Sequential build(const std::string& name, std::int64_t* batch, bool* adam) {
  namespace nn = torch::nn;
  nn::Sequential s;
  *adam = true;
  if (name == "mlp") {
    *batch = 128;
    *adam = false;
    s->push_back(nn::Flatten());
    s->push_back(nn::Linear(784, 256));
    s->push_back(nn::ReLU());
    s->push_back(nn::Linear(256, 128));
    s->push_back(nn::ReLU());
    s->push_back(nn::Linear(128, 10));
  } else if (name == "lenet5") {
    *batch = 64;
    s->push_back(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)));
    s->push_back(nn::ReLU());
    s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    s->push_back(nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
    s->push_back(nn::ReLU());
    s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    s->push_back(nn::Flatten());
    s->push_back(nn::Linear(400, 120));
    s->push_back(nn::ReLU());
    s->push_back(nn::Linear(120, 84));
    s->push_back(nn::ReLU());
    s->push_back(nn::Linear(84, 10));
  } else {  // cnn
    *batch = 128;
    s->push_back(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)));
    s->push_back(nn::ReLU());
    s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    s->push_back(nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)));
    s->push_back(nn::ReLU());
    s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    s->push_back(nn::Flatten());
    s->push_back(nn::Linear(64 * 7 * 7, 128));
    s->push_back(nn::ReLU());
    s->push_back(nn::Linear(128, 10));
  }
  return s;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The settings every result carries (after the model's own fields).
void print_settings() {
  std::printf(
      "\"framework\": \"libtorch\", \"torch\": \"%s\", \"threads\": %d, \"interop_threads\": %d, "
      "\"peak_rss_mb\": %.1f, \"omp\": \"%s\", \"openblas\": \"%s\"}\n",
      TORCH_VERSION, torch::get_num_threads(), at::get_num_interop_threads(), peak_rss_mb(),
      env("OMP_NUM_THREADS").c_str(), env("OPENBLAS_NUM_THREADS").c_str());
}

int run_tiny(const Args& a) {
  torch::manual_seed(1);
  namespace nn = torch::nn;
  nn::Sequential net;  // one module a statement, in order (see build)
  net->push_back(nn::Linear(2, 16));
  net->push_back(nn::ReLU());
  net->push_back(nn::Linear(16, 16));
  net->push_back(nn::ReLU());
  net->push_back(nn::Linear(16, 1));
  const torch::Tensor x = torch::randn({32, 2});
  const torch::Tensor t = torch::randn({32, 1});
  auto step = [&] {
    net->zero_grad(/*set_to_none=*/true);
    torch::nn::functional::mse_loss(net->forward(x), t).backward();
  };
  for (int i = 0; i < 200; ++i) step();
  const auto t0 = Clock::now();
  for (std::int64_t i = 0; i < a.iters; ++i) step();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("{\"model\": \"tiny\", \"batch\": 32, \"iters\": %lld, \"us_per_iter\": %.3f, ",
              static_cast<long long>(a.iters), s * 1e6 / static_cast<double>(a.iters));
  print_settings();
  return 0;
}

int run_epoch(const Args& a) {
  torch::manual_seed(1);
  std::int64_t batch = 128;
  bool adam = true;
  torch::nn::Sequential net = build(a.model, &batch, &adam);
  std::vector<torch::Tensor> params = net->parameters();
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (adam)
    opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(1e-3));
  else
    opt = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(0.05).momentum(0.9));
  auto [x, y] = load(a.root);
  const std::int64_t n = x.size(0);
  const std::int64_t nb = (n + batch - 1) / batch;
  const auto timed = std::max<std::int64_t>(1, std::llround(a.fraction * static_cast<double>(nb)));
  at::Generator gen = at::detail::createCPUGenerator(1);

  auto step = [&](const torch::Tensor& xb, const torch::Tensor& yb) {
    for (torch::Tensor& p : params) p.mutable_grad().reset();  // zero_grad(set_to_none=True)
    torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(xb), yb);
    loss.backward();
    opt->step();
    return loss.item<double>();
  };
  // Batch i of a permutation: the examples perm[i * batch, (i + 1) * batch).
  auto gather = [&](const torch::Tensor& perm, std::int64_t i) {
    const torch::Tensor idx = perm.slice(0, i * batch, std::min(n, (i + 1) * batch));
    return std::pair{x.index_select(0, idx), y.index_select(0, idx)};
  };
  {
    const torch::Tensor perm = torch::randperm(n, gen);
    for (std::int64_t i = 0; i < std::min(a.warmup, nb); ++i) {
      auto [xb, yb] = gather(perm, i);
      step(xb, yb);
    }
  }
  double loss_sum = 0;
  std::int64_t done = 0;
  const auto t0 = Clock::now();
  {
    const torch::Tensor perm = torch::randperm(n, gen);
    for (; done < timed && done < nb; ++done) {
      auto [xb, yb] = gather(perm, done);
      loss_sum += step(xb, yb);
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double epoch_s = s * static_cast<double>(nb) / static_cast<double>(done);
  std::printf(
      "{\"model\": \"%s\", \"batch\": %lld, \"batches_timed\": %lld, \"batches_epoch\": %lld, "
      "\"epoch_s\": %.4f, \"images_per_s\": %.1f, \"mean_loss\": %.4f, ",
      a.model.c_str(), static_cast<long long>(batch), static_cast<long long>(done),
      static_cast<long long>(nb), epoch_s, static_cast<double>(n) / epoch_s,
      loss_sum / static_cast<double>(done));
  print_settings();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    at::set_num_interop_threads(1);  // before any inter-op work, or libtorch refuses
    torch::set_num_threads(a.threads);
    return a.model == "tiny" ? run_tiny(a) : run_epoch(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libtorch_models: %s\n", e.what());
    return 1;
  }
}
