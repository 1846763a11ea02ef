// The backward pass: two reverse loops over the tape.
//
// Pass 1 marks which entries a gradient can reach from the outputs (an entry is reached when its
// output is), and checks that every reached non-leaf tensor still has its producing entry on
// the tape: otherwise an earlier backward consumed it, and we say so before computing anything.
// Pass 2 runs the reached entries' backward functions in reverse order, summing gradients per
// tensor. Gradients in flight live in GradSlot::bw_grad (autograd/grad_slot.hpp), stamped with
// this pass's epoch: a slot outlives its tensor while an entry needs it, so an intermediate the
// forward pass freed still passes its gradient on.
#include "tapegrad/autograd/engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "tapegrad/autograd/hooks.hpp"
#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"

namespace tg {

namespace {

thread_local std::uint64_t g_epoch = 0;

// Reentrancy. A backward function may run a nested pass (tg::checkpoint's recomputation does),
// which must not disturb the passes it runs inside:
//  - a slot both passes touch (a parameter's) keeps the enclosing pass's scratch: Scratch saves
//    it on touch and puts it back on release (outside any pass that state is empty, so a
//    non-nested pass behaves as before);
//  - the enclosing passes address entries [0, g_frozen) by index, so a nested pass does not
//    compact that prefix: entries of it that the nested pass consumed are erased (by seq) when
//    the pass that froze them ends. Entries past the prefix (a recomputed segment) go at once.
thread_local std::size_t g_frozen = 0;
thread_local std::vector<std::uint64_t> g_deferred;  // seqs, erased by an enclosing pass

// Clears per-pass scratch on every exit path, exceptions included. Holds the touched slots alive
// until then: consuming the tape may free intermediates.
using SlotPtr = std::shared_ptr<autograd::GradSlot>;
struct Scratch {
  struct Prev {
    std::shared_ptr<TensorImpl> grad;
    std::uint64_t epoch;
    bool found;
  };
  std::vector<SlotPtr> touched;
  std::vector<Prev> prev;
  ~Scratch() { release(); }
  void release() {
    for (std::size_t i = 0; i < touched.size(); ++i) {
      autograd::GradSlot* t = touched[i].get();
      t->bw_grad = std::move(prev[i].grad);
      t->bw_epoch = prev[i].epoch;
      t->bw_found = prev[i].found;
    }
    touched.clear();
    prev.clear();
  }
  void touch(const SlotPtr& t, std::uint64_t epoch) {
    if (t->bw_epoch == epoch) return;
    prev.push_back({std::move(t->bw_grad), t->bw_epoch, t->bw_found});
    t->bw_epoch = epoch;
    t->bw_found = false;
    t->bw_grad.reset();
    touched.push_back(t);
  }
};

void accumulate(autograd::GradSlot* t, const Tensor& g) {
  if (!t->bw_grad) {
    t->bw_grad = g.impl_ptr();
  } else {
    t->bw_grad = add(Tensor(t->bw_grad), g).impl_ptr();
  }
}

Tensor fit_to(const Tensor& g, const autograd::GradSlot& input, const char* op) {
  if (g.shape() == input.shape) return g.dtype() == input.dtype ? g : g.to(input.dtype);
  Tensor r = sum_to(g, input.shape);
  if (r.shape() != input.shape)
    fail("backward of '{}': gradient of shape {} does not fit input of shape {}", op,
         shape_str(g.shape()), shape_str(input.shape));
  return r.dtype() == input.dtype ? r : r.to(input.dtype);
}

// A scalar leaf that requires grad: what a fused kernel's gradient records as its input, so that
// differentiating it reaches the entry that refuses.
Tensor refusal_anchor() {
  thread_local Tensor anchor = [] {
    Tensor t = Tensor::empty({});
    t.requires_grad_();
    return t;
  }();
  return anchor;
}

TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs,
                        const TensorList* inputs, bool accumulate_leaves, bool retain,
                        bool create_graph, bool allow_unused, const char* caller) {
  if (outputs.empty()) fail("{}: no outputs given", caller);
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    fail("{}: {} outputs but {} grad_outputs", caller, outputs.size(), grad_outputs.size());
  const std::uint64_t epoch = ++g_epoch;
  Tape& tp = tape();
  // Entries are addressed by index below; nothing may compact the tape until the pass ends.
  Tape::BackwardScope in_backward(tp);
  struct Freeze {
    std::size_t outer = g_frozen;
    ~Freeze() { g_frozen = outer; }
  } freeze;
  Scratch scratch;
  // Observers see the pass begin and end, failures included.
  struct PassNotice {
    bool on = autograd::observing();
    PassNotice() {
      if (on)
        for (autograd::Observer* o : autograd::observers()) o->pass_begin();
    }
    ~PassNotice() {
      if (on)
        for (autograd::Observer* o : autograd::observers()) o->pass_end();
    }
  } pass_notice;

  // Seeds.
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    if (!o.defined()) fail("{}: output {} is an undefined tensor", caller, i);
    if (!o.requires_grad())
      fail(
          "{}: output {} (shape {}) does not require grad and has no history; did you compute it "
          "under NoGradGuard, or from tensors without requires_grad_()?",
          caller, i, shape_str(o.shape()));
    Tensor seed;
    if (!grad_outputs.empty() && grad_outputs[i].defined()) {
      seed = grad_outputs[i];
      if (seed.shape() != o.shape())
        fail("{}: gradient for output {} has shape {} but the output has shape {}", caller, i,
             shape_str(seed.shape()), shape_str(o.shape()));
      if (!create_graph) seed = seed.detach();
    } else {
      if (o.numel() != 1)
        fail(
            "{}: the gradient can be created implicitly only for a scalar output, but output {} "
            "has shape {}; pass a gradient of that shape",
            caller, i, shape_str(o.shape()));
      seed = ones(o.shape(), o.dtype());
    }
    const SlotPtr& slot = autograd::slot_of(o.impl_ptr());
    scratch.touch(slot, epoch);
    NoGradGuard ng;
    accumulate(slot.get(), seed);
  }

  // Pass 1: reachability and the consumed-tape check.
  std::vector<TapeEntry>& entries = tp.mutable_entries();
  const std::size_t n = entries.size();
  g_frozen = n;
  std::vector<char> active(n, 0);
  for (std::size_t i = n; i-- > 0;) {
    TapeEntry& e = entries[i];
    auto out = e.output.lock();
    if (!out || out->bw_epoch != epoch) continue;
    active[i] = 1;
    out->bw_found = true;
    for (std::size_t j = 0; j < e.inputs.size(); ++j)
      if (e.needs_grad[j]) scratch.touch(e.inputs[j].slot, epoch);
  }
  for (const auto& t : scratch.touched)
    if (t->creator_seq != 0 && !t->bw_found)
      fail(
          "{}: tensor #{} (shape {}) was produced by an op whose tape entry is gone: an earlier "
          "backward() consumed it (or the tape was cleared). Pass retain_graph=true to the first "
          "backward if you need to backpropagate through the same graph twice",
          caller, t->id, shape_str(t->shape));

  std::vector<const autograd::GradSlot*> wanted;
  if (inputs)
    for (const Tensor& in : *inputs) wanted.push_back(autograd::slot_of(in.impl_ptr()).get());
  auto is_wanted = [&](const autograd::GradSlot* t) {
    for (const autograd::GradSlot* w : wanted)
      if (w == t) return true;
    return false;
  };

  // Pass 2: run the backward functions. With create_graph a backward function records new
  // entries, which may reallocate `entries`: so no reference into it is held across the call,
  // and the function itself is moved out while it runs.
  for (std::size_t i = n; i-- > 0;) {
    if (!active[i]) continue;
    SlotPtr out = entries[i].output.lock();
    if (!out || !out->bw_grad) continue;
    const char* name = entries[i].name;
    if (!entries[i].backward)
      fail("{}: the tape entry of '{}' has no backward function any more (released)", caller, name);
    for (const auto& s : entries[i].saved) {
      const std::shared_ptr<Storage> st = s.watch.lock();
      if (st && st->version != s.version)
        fail(
            "{}: a tensor saved by '{}' for its backward (its {}) was modified in place after the "
            "op ran (version {} -> {}); the gradient would be wrong. Use an out-of-place op or "
            "clone() before modifying",
            caller, name, s.input < 0 ? std::string("output") : fmt::format("input {}", s.input),
            s.version, st->version);
    }
    // The inputs' slots: the entry keeps them alive while its backward runs (which may grow and
    // so move `entries`).
    std::vector<autograd::GradSlot*> inputs_i(entries[i].inputs.size());
    for (std::size_t j = 0; j < inputs_i.size(); ++j) inputs_i[j] = entries[i].inputs[j].slot.get();
    const std::vector<char> needs = entries[i].needs_grad;
    const bool fused = entries[i].fused;
    BackwardFn fn = std::move(entries[i].backward);
    struct Restore {
      std::vector<TapeEntry>& entries;
      std::size_t i;
      BackwardFn& fn;
      ~Restore() { entries[i].backward = std::move(fn); }
    } restore{entries, i, fn};
    {
      // Without create_graph nothing in the backward (nor in a hook) is recorded.
      std::optional<NoGradGuard> ng;
      std::optional<EnableGradGuard> eg;
      if (create_graph)
        eg.emplace();
      else
        ng.emplace();
      // The output's gradient is complete here (its consumers come later on the tape): its
      // hooks see it, and may replace it, before it flows on.
      if (out->hooks)
        out->bw_grad = autograd::run_grad_hooks(out.get(), Tensor(out->bw_grad)).impl_ptr();
      Tensor gout(out->bw_grad);
      // The output as the backward reads it: through the unpack hook if it was packed. (Its
      // consumers hold it when the op saves it; otherwise it may be gone, and undefined here.)
      Tensor out_t = entries[i].saved_output.defined() ? entries[i].saved_output.get()
                                                       : Tensor(out->tensor.lock());
      TensorList grads;
      if (!autograd::observing()) {
        grads = fn(gout, out_t);
      } else {
        // Ops the backward function calls are attributed to this entry's forward call.
        autograd::BackwardEntryScope entry_scope(entries[i]);
        for (autograd::Observer* o : autograd::observers()) o->backward_begin(entries[i], i, gout);
        grads = fn(gout, out_t);
        for (autograd::Observer* o : autograd::observers())
          o->backward_end(entries[i], i, gout, grads);
      }
      if (grads.size() != inputs_i.size())
        fail("internal: backward of '{}' returned {} gradients for {} inputs", name, grads.size(),
             inputs_i.size());
      if (create_graph && fused) {
        // The fused kernel's result has no history; make any attempt to differentiate it fail.
        for (Tensor& g : grads) {
          if (!g.defined()) continue;
          TensorList deps{gout, refusal_anchor()};
          g = g.detach();
          autograd::record("fused_backward", deps, g, {},
                           [name](const Tensor&, const Tensor&) -> TensorList {
                             fail(
                                 "double backward through '{}' is not supported: its backward is "
                                 "a fused kernel, not tapegrad ops",
                                 name);
                           });
        }
      }
      for (std::size_t j = 0; j < inputs_i.size(); ++j) {
        if (!needs[j] || !grads[j].defined()) continue;
        accumulate(inputs_i[j], fit_to(grads[j], *inputs_i[j], name));
      }
    }
    // Free the intermediate gradient as soon as it has been used.
    if (!out->retains_grad && !is_wanted(out.get())) out->bw_grad.reset();
  }

  // A leaf's gradient is complete once every entry has run: its hooks see it now.
  auto leaf_hooks = [&](autograd::GradSlot* t) {
    if (!t->hooks || t->creator_seq != 0 || !t->bw_grad) return;
    std::optional<NoGradGuard> ng;
    if (!create_graph) ng.emplace();
    t->bw_grad = autograd::run_grad_hooks(t, Tensor(t->bw_grad)).impl_ptr();
  };

  // Leaves (and retain_grad tensors) receive their gradients.
  if (accumulate_leaves) {
    for (const auto& slot : scratch.touched) {
      if (!slot->bw_grad) continue;
      // A leaf is held by the entries that use it; an intermediate only by its user, who alone
      // can read the grad() that retain_grad() asked for.
      const std::shared_ptr<TensorImpl> t = slot->tensor.lock();
      if (!t || !t->requires_grad) continue;
      if (slot->creator_seq != 0 && !t->retains_grad) continue;
      leaf_hooks(slot.get());
      if (!t->grad && !create_graph && slot->bw_grad.use_count() == 1 &&
          slot->bw_grad->storage.use_count() == 1 && !slot->bw_grad->requires_grad &&
          Tensor(slot->bw_grad).is_contiguous()) {
        // Nobody else can see this buffer: adopt it rather than copy it (as AccumulateGrad).
        t->grad = std::move(slot->bw_grad);
        if (slot->hooks) autograd::run_post_accumulate_hooks(t);
        continue;
      }
      Tensor g(slot->bw_grad);
      if (!create_graph) g = g.detach();
      if (!t->grad) {
        t->grad = (create_graph ? g : g.clone()).impl_ptr();
      } else {
        std::optional<NoGradGuard> ng;
        if (!create_graph) ng.emplace();
        t->grad = add(Tensor(t->grad), g).impl_ptr();
      }
      if (slot->hooks && slot->creator_seq == 0) autograd::run_post_accumulate_hooks(t);
    }
  }

  TensorList result;
  if (inputs) {
    std::vector<const autograd::GradSlot*> hooked;  // a tensor given twice runs its hooks once
    for (std::size_t k = 0; k < inputs->size(); ++k) {
      autograd::GradSlot* t = autograd::slot_of((*inputs)[k].impl_ptr()).get();
      if (t->bw_epoch == epoch && t->bw_grad) {
        if (std::find(hooked.begin(), hooked.end(), t) == hooked.end()) {
          hooked.push_back(t);
          leaf_hooks(t);
        }
        result.emplace_back(t->bw_grad);
      } else if (allow_unused) {
        result.emplace_back();
      } else {
        fail(
            "{}: input {} (shape {}) is not used to compute the outputs; pass "
            "allow_unused=true to get an undefined gradient for it",
            caller, k, shape_str(t->shape));
      }
    }
  }

  scratch.release();
  // Consume what was walked (keep entries created during this pass: create_graph), and what
  // nested passes consumed in our prefix; leave the enclosing passes' prefix to them.
  if (retain) std::fill(active.begin(), active.end(), 0);
  active.resize(entries.size(), 0);
  bool any = false;
  for (std::size_t i = 0; i < active.size(); ++i) {
    if (!active[i] && !g_deferred.empty() &&
        std::find(g_deferred.begin(), g_deferred.end(), entries[i].seq) != g_deferred.end())
      active[i] = 1;
    if (active[i] && i < freeze.outer) {
      if (std::find(g_deferred.begin(), g_deferred.end(), entries[i].seq) == g_deferred.end())
        g_deferred.push_back(entries[i].seq);
      active[i] = 0;
    }
    any = any || active[i];
  }
  if (freeze.outer == 0) g_deferred.clear();
  if (any) tp.erase_marked(active);
  return result;
}

}  // namespace

TensorList grad(const TensorList& outputs, const TensorList& inputs, const GradOptions& opts) {
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].defined()) fail("grad: input {} is an undefined tensor", k);
    if (!inputs[k].requires_grad())
      fail("grad: input {} (shape {}) does not require grad", k, shape_str(inputs[k].shape()));
  }
  return run_backward(outputs, opts.grad_outputs, &inputs, false,
                      opts.retain_graph.value_or(opts.create_graph), opts.create_graph,
                      opts.allow_unused, "grad");
}

void backward(const TensorList& outputs, const TensorList& grad_outputs,
              const BackwardOptions& opts) {
  run_backward(outputs, grad_outputs, nullptr, true, opts.retain_graph.value_or(opts.create_graph),
               opts.create_graph, true, "backward");
}

}  // namespace tg
