#include "tapegrad/autograd/checkpoint.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "tapegrad/autograd/engine.hpp"
#include "tapegrad/autograd/grad_slot.hpp"
#include "tapegrad/autograd/hooks.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/core/random.hpp"
#include "tapegrad/ops/elementwise.hpp"

namespace tg {

namespace {

using RngState = std::array<std::uint64_t, 7>;

struct Segment {
  std::function<TensorList(const TensorList&)> fn;
  TensorList inputs;  // the user's inputs, then the declared parameters (the entry's inputs)
  std::size_t n_user = 0;
  std::vector<std::uint64_t> versions;  // of every entry input at the forward
  bool preserve_rng = true;
  RngState default_rng{};
  std::vector<Generator*> generators;
  std::vector<RngState> generator_states;
  std::vector<Tensor> gouts;  // per output: its gradient in the running backward pass
};

// Sets the generators to the forward's states for the recomputation, and back afterwards.
class RngScope {
 public:
  explicit RngScope(const Segment& s) : s_(s) {
    if (s.preserve_rng) {
      saved_default_ = default_generator().state();
      default_generator().set_state(s.default_rng);
    }
    for (std::size_t i = 0; i < s.generators.size(); ++i) {
      saved_.push_back(s.generators[i]->state());
      s.generators[i]->set_state(s.generator_states[i]);
    }
  }
  ~RngScope() {
    if (s_.preserve_rng) default_generator().set_state(saved_default_);
    for (std::size_t i = 0; i < s_.generators.size(); ++i) s_.generators[i]->set_state(saved_[i]);
  }
  RngScope(const RngScope&) = delete;
  RngScope& operator=(const RngScope&) = delete;

 private:
  const Segment& s_;
  RngState saved_default_{};
  std::vector<RngState> saved_;
};

// Removes the recomputation's entries (tape indices >= start) on every exit path. They lie past
// the entries the enclosing backward pass addresses by index, so removing them is safe.
class TailEraser {
 public:
  explicit TailEraser(std::size_t start) : start_(start) {}
  ~TailEraser() {
    Tape& tp = tape();
    if (tp.size() <= start_) return;
    std::vector<char> marked(tp.size(), 0);
    for (std::size_t i = start_; i < marked.size(); ++i) marked[i] = 1;
    tp.erase_marked(marked);
  }
  TailEraser(const TailEraser&) = delete;
  TailEraser& operator=(const TailEraser&) = delete;

 private:
  std::size_t start_;
};

// Detaches tensors' hooks for a scope: the nested pass computes a partial gradient for a
// parameter, and its hooks must see only the complete one.
class HooksAside {
 public:
  void add(const std::shared_ptr<TensorImpl>& t) {
    if (!t->slot || !t->slot->hooks) return;
    held_.emplace_back(t->slot, std::move(t->slot->hooks));
  }
  void restore() {
    for (auto& [t, h] : held_) t->hooks = std::move(h);
    held_.clear();
  }
  ~HooksAside() { restore(); }

 private:
  std::vector<
      std::pair<std::shared_ptr<autograd::GradSlot>, std::shared_ptr<autograd::TensorHooks>>>
      held_;
};

void accumulate_into_grad(const Tensor& leaf, Tensor g) {
  TensorImpl* t = leaf.impl();
  NoGradGuard ng;
  const bool hooked = t->slot && t->slot->hooks;
  if (hooked) g = autograd::run_grad_hooks(t->slot.get(), g);
  g = g.detach();
  if (!t->grad) {
    t->grad = (g.storage().use_count() == 1 && g.is_contiguous() ? g : g.clone()).impl_ptr();
  } else {
    t->grad = add(Tensor(t->grad), g).impl_ptr();
  }
  if (hooked) autograd::run_post_accumulate_hooks(leaf.impl_ptr());
}

TensorList recompute_backward(Segment& s) {
  if (is_grad_enabled())
    fail(
        "checkpoint: create_graph=true through a checkpointed segment is not supported (its "
        "recomputation runs on detached inputs, so a recorded backward would not reach them); "
        "run that part without checkpoint");
  const std::size_t n_entry = s.inputs.size();
  TensorList grads(n_entry);
  TensorList gouts = std::move(s.gouts);
  s.gouts.assign(gouts.size(), Tensor());
  for (std::size_t i = 0; i < n_entry; ++i) {
    if (s.inputs[i].version() == s.versions[i]) continue;
    fail(
        "checkpoint: {} {} (shape {}) was modified in place after the checkpointed forward "
        "(version {} -> {}); the recomputation would use different values",
        i < s.n_user ? "input" : "parameter", i < s.n_user ? i : i - s.n_user,
        shape_str(s.inputs[i].shape()), s.versions[i], s.inputs[i].version());
  }

  Tape& tp = tape();
  const std::size_t start = tp.size();
  TailEraser eraser(start);

  // Detached copies of the inputs that require grad: the nested pass stops at them.
  TensorList xs(s.n_user);
  std::vector<TensorImpl*> copies(s.n_user, nullptr);
  for (std::size_t i = 0; i < s.n_user; ++i) {
    const Tensor& in = s.inputs[i];
    if (in.requires_grad()) {
      xs[i] = in.detach();
      xs[i].requires_grad_();
      copies[i] = xs[i].impl();
    } else {
      xs[i] = in;
    }
  }
  TensorList outs;
  {
    RngScope rng(s);
    EnableGradGuard eg;
    outs = s.fn(xs);
  }
  if (outs.size() != gouts.size())
    fail(
        "checkpoint: the recomputation returned {} outputs but the forward returned {}; fn must "
        "compute the same thing every time it runs",
        outs.size(), gouts.size());

  // The tensors the recomputation used from outside: leaves that require grad.
  const auto& es = tp.entries();
  const std::uint64_t first_seq =
      start < es.size() ? es[start].seq : std::numeric_limits<std::uint64_t>::max();
  TensorList outside;
  // t: the tensor (undefined if it is gone); p: its slot.
  auto consider = [&](const Tensor& t, const autograd::GradSlot* p) {
    for (TensorImpl* c : copies)
      if (c && c->slot.get() == p) return;
    if (p->creator_seq >= first_seq) return;  // recomputed here
    if (p->creator_seq != 0 || !t.defined())
      fail(
          "checkpoint: fn uses tensor #{} (shape {}), which was computed outside fn with "
          "gradient history, without receiving it as an input; pass it in the inputs and use the "
          "argument inside fn",
          p->id, shape_str(p->shape));
    for (const Tensor& o : outside)
      if (o.impl()->slot.get() == p) return;
    outside.push_back(t);
  };
  for (std::size_t e = start; e < es.size(); ++e)
    for (std::size_t j = 0; j < es[e].inputs.size(); ++j)
      if (es[e].needs_grad[j]) consider(es[e].inputs[j].tensor(), es[e].inputs[j].slot.get());

  TensorList used_outs, used_gouts;
  for (std::size_t k = 0; k < outs.size(); ++k) {
    if (!gouts[k].defined() || !outs[k].defined() || !outs[k].requires_grad()) continue;
    if (outs[k].shape() != gouts[k].shape())
      fail(
          "checkpoint: output {} of the recomputation has shape {} but had shape {} in the "
          "forward; fn must compute the same thing every time it runs",
          k, shape_str(outs[k].shape()), shape_str(gouts[k].shape()));
    consider(outs[k], autograd::slot_of(outs[k].impl_ptr()).get());
    used_outs.push_back(outs[k]);
    used_gouts.push_back(gouts[k]);
  }

  TensorList targets;
  for (std::size_t i = 0; i < s.n_user; ++i)
    if (copies[i]) targets.push_back(xs[i]);
  const std::size_t n_copies = targets.size();
  for (const Tensor& o : outside) targets.push_back(o);
  if (used_outs.empty() || targets.empty()) return grads;

  TensorList gs;
  {
    HooksAside aside;
    for (const Tensor& o : outside) aside.add(o.impl_ptr());
    gs = grad(used_outs, targets, {.allow_unused = true, .grad_outputs = used_gouts});
  }

  auto add_to = [](Tensor& acc, const Tensor& g) {
    NoGradGuard ng;
    acc = acc.defined() ? add(acc, g) : g;
  };
  std::size_t c = 0;
  for (std::size_t i = 0; i < s.n_user; ++i) {
    if (!copies[i]) continue;
    if (gs[c].defined()) add_to(grads[i], gs[c]);
    ++c;
  }
  for (std::size_t k = 0; k < outside.size(); ++k) {
    const Tensor& g = gs[n_copies + k];
    if (!g.defined()) continue;
    std::size_t pos = n_entry;
    for (std::size_t i = 0; i < n_entry && pos == n_entry; ++i)
      if (s.inputs[i].same(outside[k])) pos = i;
    if (pos < n_entry)
      add_to(grads[pos], g);  // declared (or an input fn also captured): the engine routes it
    else
      accumulate_into_grad(outside[k], g);
  }
  return grads;
}

}  // namespace

TensorList checkpoint(const std::function<TensorList(const TensorList&)>& fn,
                      const TensorList& inputs, const CheckpointOptions& opts) {
  if (!fn) fail("checkpoint: fn is empty");
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined()) fail("checkpoint: input {} is an undefined tensor", i);
  for (std::size_t i = 0; i < opts.params.size(); ++i)
    if (!opts.params[i].defined()) fail("checkpoint: parameter {} is an undefined tensor", i);
  for (Generator* g : opts.generators)
    if (!g) fail("checkpoint: a generator in CheckpointOptions::generators is null");
  if (!is_grad_enabled()) return fn(inputs);

  auto s = std::make_shared<Segment>();
  s->fn = fn;
  s->inputs = inputs;
  s->n_user = inputs.size();
  s->inputs.insert(s->inputs.end(), opts.params.begin(), opts.params.end());
  for (const Tensor& t : s->inputs) s->versions.push_back(t.version());
  s->preserve_rng = opts.preserve_rng_state;
  if (s->preserve_rng) s->default_rng = default_generator().state();
  s->generators = opts.generators;
  for (Generator* g : opts.generators) s->generator_states.push_back(g->state());

  TensorList outs;
  {
    NoGradGuard ng;
    outs = fn(inputs);
  }
  s->gouts.assign(outs.size(), Tensor());

  // New handles: an output may be one of the inputs, or a closed-over tensor, returned as is.
  for (Tensor& o : outs)
    if (o.defined()) o = o.detach();

  Tensor token = zeros({});
  std::uint64_t saved_mask = 0;
  for (std::size_t i = 0; i < s->inputs.size() && i < 64; ++i) saved_mask |= std::uint64_t{1} << i;
  autograd::record_entry("checkpoint", s->inputs, token, {.saved_inputs = saved_mask},
                         [s](const Tensor&, const Tensor&) { return recompute_backward(*s); });
  for (std::size_t k = 0; k < outs.size(); ++k) {
    if (!outs[k].defined()) continue;
    autograd::record_entry("checkpoint_output", {token}, outs[k], {},
                           [s, k](const Tensor& g, const Tensor&) -> TensorList {
                             s->gouts[k] = g;
                             return {zeros({})};
                           });
  }
  return outs;
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input,
                  const CheckpointOptions& opts) {
  if (!fn) fail("checkpoint: fn is empty");
  return checkpoint([fn](const TensorList& in) { return TensorList{fn(in[0])}; }, TensorList{input},
                    opts)[0];
}

}  // namespace tg
