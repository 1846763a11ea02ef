// What anomaly mode and the profiler cost: one LeNet-5 training step (batch 64, 1x28x28, Adam)
// plain, with tg::DetectAnomalyGuard, and inside a profiler::Profile (a fresh one per round of
// steps, exported to JSON outside the timing), in alternating rounds in one process; medians and
// ratios are printed.
//   TG_THREADS=1 build/release/tests/bench/bench_observers [rounds, default 15]
// Targets: anomaly mode on <= 1.30, profiler on <= 1.10. What the code costs when both are off
// (one test of a thread-local counter per op) is measured against a build without it; see
// docs/autograd.md.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <vector>

#include "lenet_step.hpp"
#include "models/models.hpp"
#include "tapegrad/tapegrad.hpp"

using namespace tg;

using tgbench::median;
using tgbench::step_ms;

int main(int argc, char** argv) {
  const int rounds = tgbench::rounds_arg(argc, argv);
  if (const char* t = std::getenv("TG_THREADS")) set_num_threads(std::atoi(t));
  Generator gen(1);
  auto net = models::lenet5({.activation = "relu"}, &gen);
  optim::Adam opt(net->parameters(), {.lr = 1e-3});
  const Tensor x = randn({64, 1, 28, 28}, DType::Float32, &gen);
  const Tensor y = randint(0, 10, {64}, &gen);
  step_ms(*net, opt, x, y, 5);  // warm up the allocator's cache

  enum Variant { Plain, Anomaly, Profiler, kVariants };
  std::vector<double> ms[kVariants];
  std::size_t slices = 0, trace_bytes = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < kVariants; ++k) {
      const int v = (k + r) % kVariants;  // rotate the order
      std::optional<DetectAnomalyGuard> anomaly;
      std::optional<profiler::Profile> prof;
      if (v == Anomaly) anomaly.emplace();
      if (v == Profiler) prof.emplace();
      ms[v].push_back(step_ms(*net, opt, x, y, 10));
      if (prof) {
        prof->stop();
        slices = prof->events().size() / 10;
        trace_bytes = prof->chrome_trace_json().size() / 10;
      }
    }
  }
  const double a = median(ms[Plain]), b = median(ms[Anomaly]), c = median(ms[Profiler]);
  fmt::print("LeNet-5 step, batch 64, {} thread(s), {} rounds of 10 steps each\n",
             get_num_threads(), rounds);
  fmt::print("  plain:           {:.3f} ms (median)\n", a);
  fmt::print("  anomaly mode on: {:.3f} ms  ratio {:.3f} (target <= 1.30): {}\n", b, b / a,
             b / a <= 1.30 ? "met" : "MISSED");
  fmt::print("  profiler on:     {:.3f} ms  ratio {:.3f} (target <= 1.10): {}\n", c, c / a,
             c / a <= 1.10 ? "met" : "MISSED");
  fmt::print("  profiler: {} slices and {} bytes of trace JSON per step\n", slices, trace_bytes);
  return 0;
}
