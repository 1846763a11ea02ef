#pragma once
/// @file
/// Saved tensors and saved-tensor hooks (PyTorch's torch.autograd.graph.saved_tensors_hooks).
///
/// Every tensor an op keeps for its backward (an input, its output, or a buffer such as pooling's
/// argmax indices or a fused kernel's mask) is held in a SavedTensor. Inside a SavedTensorHooks
/// scope, saving a tensor calls the scope's pack hook, and the SavedTensor keeps what the hook
/// returned instead of the tensor; the backward reads it back through the unpack hook:
///
/// @code{.cpp}
///   std::size_t bytes = 0;
///   {
///     autograd::SavedTensorHooks hooks(
///         [&](const Tensor& t) -> std::any { bytes += t.nbytes(); return t; },  // count
///         [](const std::any& p) { return std::any_cast<Tensor>(p); });
///     loss = model(x) ...;   // forward: every saved tensor goes through pack
///   }
///   loss.backward();         // backward: through unpack (the hooks that saved it, even if the
///                            // scope has ended, as in PyTorch)
/// @endcode
///
/// Packing to another form (float16, a file) and unpacking to a tensor of the same shape and dtype
/// is what "save on disk" or "quantise what is saved" are built on; the backward then computes with
/// the unpacked values. Scopes nest: the innermost pair applies. Hooks apply to the thread that
/// installed them (the tape is per thread). An unpack hook that returns a tensor of another shape
/// or dtype is a tg::Error. Differentiating a backward (create_graph) that reads a
/// tensor saved under hooks is refused when the unpacked tensor is not the one that was packed:
/// its history is gone.
///
/// Memory: what was packed is not held by the tape. Its edges keep an intermediate's gradient slot
/// (autograd/grad_slot.hpp), not the tensor, and its in-place check watches the storage without
/// holding it; so a pack hook that moves the data elsewhere (a file, a smaller dtype) frees the
/// tensor once the forward pass drops it. The in-place check still refuses to modify a packed
/// storage while it exists.
#include <any>
#include <functional>
#include <memory>
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg::autograd {

/// Called with each tensor saved for a backward; what it returns is kept instead of the tensor.
using PackHook = std::function<std::any(const Tensor& t)>;
/// Called with what the pack hook returned when the backward needs the tensor; returns a tensor
/// of the saved tensor's shape and dtype.
using UnpackHook = std::function<Tensor(const std::any& packed)>;

/// Installs a pack/unpack pair for the tensors saved on this thread while it lives.
class SavedTensorHooks {
 public:
  SavedTensorHooks(PackHook pack, UnpackHook unpack);  ///< installs the pair
  ~SavedTensorHooks();  ///< uninstalls it (tensors saved under it still unpack through it)
  SavedTensorHooks(const SavedTensorHooks&) = delete;
  SavedTensorHooks& operator=(const SavedTensorHooks&) = delete;
};

/// True while a SavedTensorHooks scope is active on this thread.
bool saved_tensor_hooks_active();

namespace detail {
struct PackedTensor;
}

/// A tensor kept for a backward. Without hooks it is the tensor itself (no allocation); under
/// hooks it is the pack hook's result. Captured by value in backward closures.
class SavedTensor {
 public:
  SavedTensor() = default;  ///< holds nothing
  /// Saves t (through the pack hook when a SavedTensorHooks scope is active).
  SavedTensor(const Tensor& t);  // NOLINT: implicit, so `SavedTensor s = x;` reads naturally
  /// The tensor for the backward: the original, or the unpack hook's result (checked).
  Tensor get() const;
  /// True when a tensor was saved.
  bool defined() const { return t_.defined() || packed_ != nullptr; }
  /// Of the tensor that was saved (no unpacking).
  bool requires_grad() const;

  /// @cond internal
  // --- used by the tape (record_entry): packs the tensors that closures built on this thread
  // captured since the last call (an op's closure is built before it is known to record).
  static void pack_pending();
  /// A SavedTensor of t packed at once (the tape's saved output).
  static SavedTensor packed_now(const Tensor& t);
  /// @endcond

 private:
  Tensor t_;
  std::shared_ptr<detail::PackedTensor> packed_;
};

/// Element-wise SavedTensor construction, for ops that save a list (get_all reads them back).
std::vector<SavedTensor> save_all(const std::vector<Tensor>& ts);
/// get() of each SavedTensor.
std::vector<Tensor> get_all(const std::vector<SavedTensor>& ss);

}  // namespace tg::autograd
