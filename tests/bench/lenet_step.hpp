#pragma once
// Shared by bench_hooks and bench_observers: timed training steps and the median of rounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tapegrad/tapegrad.hpp"

namespace tgbench {

// Milliseconds per training step (zero_grad, forward, cross-entropy, backward, step).
inline double step_ms(tg::nn::Module& net, tg::optim::Optimizer& opt, const tg::Tensor& x,
                      const tg::Tensor& y, int steps) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    tg::cross_entropy(net(x), y).backward();
    opt.step();
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
         steps;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The optional first argument: a number of rounds from 1 to 100000 (default 15). Anything else
// (--help included) prints the usage and exits.
inline int rounds_arg(int argc, char** argv) {
  if (argc < 2) return 15;
  char* end = nullptr;
  const long n = std::strtol(argv[1], &end, 10);
  if (argc > 2 || *end != '\0' || n < 1 || n > 100000) {
    std::fprintf(stderr, "usage: TG_THREADS=1 %s [rounds: 1..100000, default 15]\n", argv[0]);
    std::exit(std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ? 0 : 2);
  }
  return static_cast<int>(n);
}

}  // namespace tgbench
