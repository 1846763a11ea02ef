#pragma once
// Shared by bench_hooks and bench_observers: timed training steps and the median of rounds.
#include <algorithm>
#include <chrono>
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

}  // namespace tgbench
