// What hooks cost: one LeNet-5 training step (batch 64, 1x28x28, Adam) without hooks, and with
// empty ones registered everywhere a user might put them: a gradient hook and a
// post-accumulate-grad hook on every parameter, and global module forward pre-, forward and full
// backward hooks (so every module call records two identity entries). The two variants run in
// alternating rounds in one process; the medians and their ratio are printed.
//   TG_THREADS=1 build/release/tests/bench/bench_hooks [rounds, default 15]
// Target: the hooked step costs at most 3% more.
#include <algorithm>
#include <chrono>
#include <cstdlib>
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

  std::vector<HookHandle> handles;
  auto hook_all = [&] {
    for (const Tensor& p : net->parameters()) {
      handles.push_back(
          p.register_hook([](const Tensor&) -> std::optional<Tensor> { return std::nullopt; }));
      handles.push_back(p.register_post_accumulate_grad_hook([](const Tensor&) {}));
    }
    handles.push_back(nn::register_module_forward_pre_hook(
        [](nn::Module&, const Tensor&) -> std::optional<Tensor> { return std::nullopt; }));
    handles.push_back(nn::register_module_forward_hook(
        [](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> {
          return std::nullopt;
        }));
    handles.push_back(nn::register_module_full_backward_hook(
        [](nn::Module&, const Tensor&, const Tensor&) -> std::optional<Tensor> {
          return std::nullopt;
        }));
  };
  auto unhook_all = [&] {
    for (HookHandle& h : handles) h.remove();
    handles.clear();
  };

  std::vector<double> plain, hooked;
  for (int r = 0; r < rounds; ++r) {
    const bool hooks_first = r % 2 == 1;
    for (int k = 0; k < 2; ++k) {
      const bool with = (k == 0) == hooks_first;
      if (with) hook_all();
      (with ? hooked : plain).push_back(step_ms(*net, opt, x, y, 10));
      if (with) unhook_all();
    }
  }
  const double a = median(plain), b = median(hooked);
  fmt::print("LeNet-5 step, batch 64, {} thread(s), {} rounds of 10 steps each\n",
             get_num_threads(), rounds);
  fmt::print("  no hooks:          {:.3f} ms (median)\n", a);
  fmt::print("  empty hooks:       {:.3f} ms (median)\n", b);
  fmt::print("  ratio: {:.3f} (target <= 1.03): {}\n", b / a, b / a <= 1.03 ? "met" : "MISSED");
  return 0;
}
