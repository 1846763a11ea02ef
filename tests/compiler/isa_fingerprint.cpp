// How much the results of one build differ from another's: trains LeNet-5 with each of a few
// activations and the wider CNN (vgg_small) with relu for 20 Adam steps on a fixed batch, then
// writes every loss and every parameter value to a file, or compares them with a file written by
// another build (another -march target).
//
//   isa_fingerprint --out a.bin                 (in one build)
//   isa_fingerprint --compare a.bin             (in another: prints the largest differences)
//
// .ci/isa-matrix runs it in each target's build against the first target's file, and
// docs/architecture.md reports what it measured.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "models/models.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

namespace {

struct Run {
  std::string name;
  std::vector<float> losses, params;
};

Run train(const std::string& model, const std::string& act) {
  Generator gen(7);
  auto net = models::make(model,
                          {.activation = act,
                           .in_channels = model == "vgg_small" ? 3 : 1,
                           .image_size = model == "vgg_small" ? 32 : 28},
                          &gen);
  const std::int64_t c = model == "vgg_small" ? 3 : 1, s = model == "vgg_small" ? 32 : 28;
  const Tensor x = randn({32, c, s, s}, DType::Float32, &gen);
  const Tensor y = randint(0, 10, {32}, &gen);
  optim::Adam opt(net->parameters(), {.lr = 1e-3});
  Run r{model + "/" + act, {}, {}};
  for (int step = 0; step < 20; ++step) {
    opt.zero_grad();
    Tensor loss = cross_entropy((*net)(x), y);
    loss.backward();
    opt.step();
    r.losses.push_back(loss.item<float>());
  }
  for (const Tensor& p : net->parameters())
    for (float v : p.to_vector<float>()) r.params.push_back(v);
  return r;
}

std::vector<Run> all_runs() {
  std::vector<Run> runs;
  for (const char* a : {"relu", "prelu", "gelu", "swish_beta"}) runs.push_back(train("lenet5", a));
  runs.push_back(train("vgg_small", "relu"));
  return runs;
}

void write_floats(std::ofstream& f, const std::vector<float>& v) {
  const std::uint64_t n = v.size();
  f.write(reinterpret_cast<const char*>(&n), sizeof n);
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
}

std::vector<float> read_floats(std::ifstream& f) {
  std::uint64_t n = 0;
  f.read(reinterpret_cast<char*>(&n), sizeof n);
  if (!f || n > (std::uint64_t{1} << 28)) fail("isa_fingerprint: corrupt file");
  std::vector<float> v(n);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
  if (!f) fail("isa_fingerprint: truncated file");
  return v;
}

// Largest |a - b| relative to the largest |a| of the run (normwise: a parameter near 0 may
// change sign), and the count of elements whose bits differ.
std::pair<double, std::size_t> diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) fail("isa_fingerprint: sizes differ ({} vs {})", a.size(), b.size());
  double worst = 0, scale = 1e-30;
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) ++differ;
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(a[i])));
  }
  return {worst / scale, differ};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc != 3 || (std::strcmp(argv[1], "--out") != 0 && std::strcmp(argv[1], "--compare") != 0))
      fail("usage: isa_fingerprint --out FILE | --compare FILE");
    set_num_threads(1);
    const std::vector<Run> runs = all_runs();
    if (std::strcmp(argv[1], "--out") == 0) {
      std::ofstream f(argv[2], std::ios::binary);
      for (const Run& r : runs) {
        write_floats(f, r.losses);
        write_floats(f, r.params);
      }
      if (!f) fail("isa_fingerprint: cannot write {}", argv[2]);
      fmt::print("isa_fingerprint: wrote {} runs to {}\n", runs.size(), argv[2]);
      return 0;
    }
    std::ifstream f(argv[2], std::ios::binary);
    if (!f) fail("isa_fingerprint: cannot open {}", argv[2]);
    double worst_loss = 0, worst_param = 0;
    std::size_t differ = 0, total = 0;
    for (const Run& r : runs) {
      const auto [dl, nl] = diff(r.losses, read_floats(f));
      const auto [dp, np] = diff(r.params, read_floats(f));
      fmt::print(
          "  {:<22} loss after 20 steps {:.7f}: losses differ by <= {:.1e}, {} of {} parameters "
          "differ, by <= {:.1e} (of the largest value)\n",
          r.name, r.losses.back(), dl, np, r.params.size(), dp);
      worst_loss = std::max(worst_loss, dl);
      worst_param = std::max(worst_param, dp);
      differ += nl + np;
      total += r.losses.size() + r.params.size();
    }
    fmt::print(
        "isa_fingerprint: {} of {} values differ; losses by <= {:.1e}, parameters by <= {:.1e} "
        "(of the largest value)\n",
        differ, total, worst_loss, worst_param);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 2;
  }
}
