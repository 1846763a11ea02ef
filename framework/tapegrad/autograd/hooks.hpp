#pragma once
// Hooks: callbacks stored beside a tensor or a module (nn/module.hpp) that the engine and
// Module::operator() call at fixed points. Registering returns a HookHandle; remove() detaches
// the hook (safe to call twice, or after the tensor or module is gone).
//
//   Tensor h = tanh(x);
//   auto handle = h.register_hook([](const Tensor& g) -> std::optional<Tensor> {
//     fmt::print("dL/dh = {}\n", g);   // observe only: return std::nullopt
//     return std::nullopt;
//   });
//   loss.backward();
//   handle.remove();
//
// With nothing registered a backward pass pays one pointer test per tensor it touches.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg {

class HookHandle {
 public:
  HookHandle() = default;
  explicit HookHandle(std::function<void()> remove) : remove_(std::move(remove)) {}
  // Detaches the hook; later calls do nothing.
  void remove() {
    if (remove_) {
      auto f = std::move(remove_);
      remove_ = nullptr;
      f();
    }
  }
  bool attached() const { return static_cast<bool>(remove_); }

 private:
  std::function<void()> remove_;
};

namespace autograd {

using GradHook = std::function<std::optional<Tensor>(const Tensor& grad)>;
using PostAccumulateHook = std::function<void(const Tensor& leaf)>;

struct TensorHooks {
  std::uint64_t next_id = 1;
  std::vector<std::pair<std::uint64_t, GradHook>> grad;
  std::vector<std::pair<std::uint64_t, PostAccumulateHook>> post_accumulate;
};

struct GradSlot;  // autograd/grad_slot.hpp

// The gradient g of the tensor with slot t after its gradient hooks (g itself when it has none).
// A hook's replacement must have g's shape (a tg::Error otherwise).
Tensor run_grad_hooks(GradSlot* t, Tensor g);
// Calls t's post-accumulate-grad hooks, with t as argument.
void run_post_accumulate_hooks(const std::shared_ptr<TensorImpl>& t);

}  // namespace autograd
}  // namespace tg
