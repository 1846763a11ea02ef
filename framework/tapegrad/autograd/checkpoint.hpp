#pragma once
/// @file
/// Gradient checkpointing: trade compute for memory. checkpoint(fn, inputs) runs fn without
/// recording anything (so none of its intermediates is kept for backward) and records in their
/// place one small tape entry per output. When backward reaches them, fn runs again, with grad
/// mode on, on detached copies of the inputs; a nested backward pass through that recomputed
/// segment produces the gradients, which then flow on to the inputs as if fn had been recorded.
///
/// @code{.cpp}
///   auto block = [&](const Tensor& h) { return seq->forward(h); };
///   Tensor h = checkpoint(block, x);                       // one segment
///   Tensor loss = mse_loss(checkpoint(block2, h), y);
///   loss.backward();                                       // recomputes block2, then block
/// @endcode
///
/// Design. A tape entry has one output, so a segment with k outputs records k + 1 entries: a
/// "checkpoint" entry whose output is a scalar token and whose inputs are the segment's inputs
/// (and declared parameters, below), then one "checkpoint_output" entry per output whose only
/// input is the token. Backward reaches the output entries first (they are later on the tape):
/// each stores its output's gradient and passes a zero to the token. The checkpoint entry, which
/// runs after all of them, recomputes the segment once with all the stored gradients. Outputs that
/// receive no gradient in a pass are left out of the recomputed backward.
///
/// Parameters. fn may use tensors it does not receive as inputs (a module's weights). They are
/// found during the recomputation (leaves that require grad, used by the recorded ops) and get
/// their gradients either way:
///  - declared in CheckpointOptions::params (e.g. block->parameters()): they are inputs of the
///    checkpoint entry, so the gradient reaches them through the ordinary engine: tg::grad() with
///    respect to them works, backward() accumulates into .grad(), their hooks run once on the
///    complete gradient, and an in-place change before backward is refused;
///  - undeclared: their gradient is accumulated straight into .grad() during the recomputation
///    (with their gradient and post-accumulate hooks), as PyTorch's reentrant checkpoint does.
///    That also happens when the outer pass is tg::grad() rather than backward(), and tg::grad()
///    cannot return their gradient: declare them for either.
/// A tensor with history (not a leaf) that fn uses without receiving it is an error at backward:
/// pass it as an input.
///
/// Exactness. The recomputation runs the same ops on the same values, so the gradients are
/// bit-identical to the uncheckpointed run's, except where one tensor receives gradient both from
/// inside a segment and from outside it (a residual connection around a segment, a weight tied
/// across segments): autograd then sums the same terms in a different grouping, which may differ
/// in the last bits.
///
/// Randomness. The default generator's state (core/random.hpp) is saved before the forward and
/// restored for the recomputation, which therefore draws the same numbers (dropout masks), and the
/// generator is put back afterwards so the recomputation does not shift the user's sequence.
/// Generators passed explicitly to ops inside fn are not known to checkpoint: list them in
/// CheckpointOptions::generators to get the same treatment.
///
/// Limits.
///  - create_graph through a checkpoint is refused (a tg::Error at backward): the recomputed
///    segment's inputs are detached copies, so a recorded backward would not connect to them.
///  - With grad mode on, the outputs require grad even when nothing in fn does (fn did not record,
///    so checkpoint cannot know); backward through them then produces no gradient.
///  - fn must compute the same thing twice: no in-place changes of its inputs, no state that
///    changes between the forward and the backward (a module switched to eval, say). Forward hooks
///    of modules inside fn run again during the recomputation.
///  - fn (and whatever it captures by reference) must stay alive until backward.
#include <cstddef>
#include <functional>
#include <vector>

#include "tapegrad/autograd/tape.hpp"

namespace tg {

class Generator;

/// Options of checkpoint().
struct CheckpointOptions {
  /// Tensors fn uses without receiving them as inputs (typically module parameters).
  TensorList params;
  /// Save the default generator's state before the forward and restore it for the recomputation.
  bool preserve_rng_state = true;
  /// Further generators fn draws from, saved and restored the same way.
  std::vector<Generator*> generators;
};

/// Runs fn(inputs) without recording its intermediates; the backward recomputes them.
TensorList checkpoint(const std::function<TensorList(const TensorList&)>& fn,
                      const TensorList& inputs, const CheckpointOptions& opts = {});
/// One input, one output.
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input,
                  const CheckpointOptions& opts = {});

}  // namespace tg
