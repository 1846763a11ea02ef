#pragma once
// A tensor's place in the autograd graph, apart from its data.
//
// The tape's edges point at slots, not at tensors: an entry keeps the slot of each input (where
// that input's gradient is summed during backward), and the tensor itself only when it must (a
// leaf, whose grad() receives the gradient; a tensor that needs no gradient; an output that its
// producer's backward reads). So an intermediate activation that no backward reads (a ReLU's
// input when the ReLU keeps a bit mask, a pooling's input) is freed when the forward pass drops
// it, and one that saved-tensor hooks packed elsewhere is freed too: the graph keeps only its
// metadata. A TensorImpl owns its slot; the slot refers back to the tensor weakly.
#include <cstdint>
#include <memory>

#include "tapegrad/core/tensor.hpp"

namespace tg::autograd {

struct TensorHooks;  // autograd/hooks.hpp

struct GradSlot {
  // Copies of the tensor's identity, for the engine and the printers once the tensor is gone.
  std::uint64_t id = 0;
  Shape shape;
  DType dtype = DType::Float32;
  // The tape entry that produced the tensor; 0 for a leaf.
  std::uint64_t creator_seq = 0;
  // The producer's backward reads the tensor (its output) through the engine: the entries that
  // consume it hold the tensor itself, not only this slot.
  bool keep_tensor = false;
  // retain_grad() was called on the tensor: backward keeps its gradient for grad().
  bool retains_grad = false;
  std::weak_ptr<TensorImpl> tensor;
  // Gradient hooks (register_hook, register_post_accumulate_grad_hook); null when there are none.
  // Kept here so a hook on an intermediate runs even after the tensor handle is dropped.
  std::shared_ptr<TensorHooks> hooks;

  // Scratch used only while a backward pass runs (see autograd/engine.cpp).
  std::uint64_t bw_epoch = 0;
  bool bw_found = false;
  std::shared_ptr<TensorImpl> bw_grad;
};

// t's slot, made on first use.
const std::shared_ptr<GradSlot>& slot_of(const std::shared_ptr<TensorImpl>& t);

}  // namespace tg::autograd
