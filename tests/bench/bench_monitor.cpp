// What the activation study's diagnostics cost: one ActivationMonitor::measure() (a probe batch of
// 512 images forward and backward, f' on every pre-activation, histograms and the learned shapes)
// against one training epoch of LeNet-5 (55,000 images in batches of 64, Adam: the study's
// default recipe), for each arm of the study's headline example. The epoch is timed as the
// median training step times its 860 steps (the epoch's evaluation passes are left out, so the
// ratio is an upper bound). Median of `rounds` rounds.
//   TG_THREADS=1 build/release/tests/bench/bench_monitor [rounds, default 15]
// Target: measure() costs at most 5% of an epoch.
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "lenet_step.hpp"
#include "models/models.hpp"
#include "tapegrad/study/monitor.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

int main(int argc, char** argv) {
  const int rounds = tgbench::rounds_arg(argc, argv);
  if (const char* t = std::getenv("TG_THREADS")) set_num_threads(std::atoi(t));
  constexpr std::int64_t kTrainImages = 55'000, kBatch = 64, kProbe = 512;
  const std::int64_t steps = (kTrainImages + kBatch - 1) / kBatch;
  fmt::print("LeNet-5, batch {}, {} steps per epoch, probe {} images, {} threads, {} rounds\n",
             kBatch, steps, kProbe, get_num_threads(), rounds);
  fmt::print("{:<12} {:>10} {:>10} {:>12} {:>10}\n", "activation", "step ms", "epoch s",
             "measure ms", "overhead");
  bool ok = true;
  for (const char* act : {"relu", "prelu", "swish_beta", "pau"}) {
    Generator gen(1);
    auto net = models::lenet5({.activation = act}, &gen);
    optim::Adam opt(net->parameters(), {.lr = 1e-3});
    const Tensor x = randn({kBatch, 1, 28, 28}, DType::Float32, &gen);
    const Tensor y = randint(0, 10, {kBatch}, &gen);
    const Tensor px = randn({kProbe, 1, 28, 28}, DType::Float32, &gen);
    const Tensor py = randint(0, 10, {kProbe}, &gen);
    study::ActivationMonitor monitor(*net);
    tgbench::step_ms(*net, opt, x, y, 5);
    std::vector<double> step, measure;
    for (int r = 0; r < rounds; ++r) {
      step.push_back(tgbench::step_ms(*net, opt, x, y, 10));
      std::vector<study::SeriesRow> series;
      const auto t0 = std::chrono::steady_clock::now();
      monitor.measure(px, py, r + 1, &series);
      measure.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    const double step_ms = tgbench::median(step), measure_ms = tgbench::median(measure);
    const double epoch_ms = step_ms * static_cast<double>(steps);
    const double overhead = measure_ms / epoch_ms;
    ok = ok && overhead <= 0.05;
    fmt::print("{:<12} {:>10.3f} {:>10.2f} {:>12.2f} {:>9.2f}%\n", act, step_ms, epoch_ms / 1000,
               measure_ms, 100 * overhead);
  }
  fmt::print("target (at most 5% of an epoch): {}\n", ok ? "met" : "MISSED");
  return 0;
}
