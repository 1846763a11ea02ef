#pragma once
/// @file
/// Hooks: callbacks stored beside a tensor or a module (nn/module.hpp) that the engine and
/// Module::operator() call at fixed points. Registering returns a HookHandle; remove() detaches
/// the hook (safe to call twice, or after the tensor or module is gone).
///
/// @code{.cpp}
///   Tensor h = tanh(x);
///   auto handle = h.register_hook([](const Tensor& g) -> std::optional<Tensor> {
///     fmt::print("dL/dh = {}\n", g);   // observe only: return std::nullopt
///     return std::nullopt;
///   });
///   loss.backward();
///   handle.remove();
/// @endcode
///
/// With nothing registered a backward pass pays one pointer test per tensor it touches.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// What registering a hook returns; remove() detaches the hook (safe to call twice, or after the
/// tensor or module is gone).
class HookHandle {
 public:
  HookHandle() = default;  ///< attached to nothing
  /// A handle whose remove() calls `remove` once.
  explicit HookHandle(std::function<void()> remove) : remove_(std::move(remove)) {}
  /// Detaches the hook; later calls do nothing.
  void remove() {
    if (remove_) {
      auto f = std::move(remove_);
      remove_ = nullptr;
      f();
    }
  }
  /// True until remove() is called (false for a default-constructed handle).
  bool attached() const { return static_cast<bool>(remove_); }

 private:
  std::function<void()> remove_;
};

namespace autograd {

/// A tensor's gradient hook (Tensor::register_hook): returns a replacement gradient, or
/// std::nullopt to keep it.
using GradHook = std::function<std::optional<Tensor>(const Tensor& grad)>;
/// A leaf's post-accumulate-grad hook (Tensor::register_post_accumulate_grad_hook).
using PostAccumulateHook = std::function<void(const Tensor& leaf)>;

/// @cond internal
// The hooks registered on one tensor, kept in its gradient slot (used by the engine).
struct TensorHooks {
  std::uint64_t next_id = 1;
  std::vector<std::pair<std::uint64_t, GradHook>> grad;
  std::vector<std::pair<std::uint64_t, PostAccumulateHook>> post_accumulate;
};

struct GradSlot;  // autograd/grad_slot.hpp

/// The gradient g of the tensor with slot t after its gradient hooks (g itself when it has none).
/// A hook's replacement must have g's shape (a tg::Error otherwise).
Tensor run_grad_hooks(GradSlot* t, Tensor g);
/// Calls t's post-accumulate-grad hooks, with t as argument.
void run_post_accumulate_hooks(const std::shared_ptr<TensorImpl>& t);
/// @endcond

}  // namespace autograd
}  // namespace tg
