#include "tapegrad/autograd/tape.hpp"

#include <fmt/format.h>

#include "tapegrad/autograd/observe.hpp"

namespace tg {

Tape& tape() {
  thread_local Tape t;
  return t;
}

Tape::~Tape() {
  dying_ = true;
  clear();
}

void Tape::save(TapeEntry& e, const std::shared_ptr<Storage>& st, int input, bool held) {
  ++st->saved_count;
  if (held && st->held_count++ == 0) saved_bytes_ += st->nbytes;
  e.saved.push_back({held ? st : nullptr, st, st->version, input});
}

void Tape::release(TapeEntry& e) {
  if (autograd::observing() && e.backward && !dying_)
    for (autograd::Observer* o : autograd::observers()) o->released(e);
  for (auto& s : e.saved) {
    const std::shared_ptr<Storage> st = s.watch.lock();
    if (!st) continue;  // packed, and freed since: nothing to count down
    --st->saved_count;
    if (s.storage && --st->held_count == 0) saved_bytes_ -= st->nbytes;
  }
  e.saved.clear();
  e.backward = nullptr;
  e.inputs.clear();
}

void Tape::clear() {
  for (auto& e : entries_) release(e);
  entries_.clear();
}

void Tape::push(TapeEntry&& e) {
  entries_.push_back(std::move(e));
  if (entries_.size() >= prune_at_) {
    prune();
    prune_at_ = std::max<std::size_t>(4096, entries_.size() * 2);
  }
}

std::size_t Tape::prune() {
  if (in_backward_ > 0) return 0;
  // Reverse order: releasing a dead entry's inputs may kill the outputs of earlier entries.
  std::vector<char> dead(entries_.size(), 0);
  std::size_t n = 0;
  for (std::size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].output.expired()) {
      release(entries_[i]);
      dead[i] = 1;
      ++n;
    }
  }
  if (n) erase_marked(dead);
  return n;
}

void Tape::erase_marked(const std::vector<char>& marked) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (marked[i]) {
      release(entries_[i]);
    } else {
      if (w != i) entries_[w] = std::move(entries_[i]);
      ++w;
    }
  }
  entries_.resize(w);
}

std::string Tape::to_string() const {
  std::string s =
      fmt::format("tape: {} entr{}\n", entries_.size(), entries_.size() == 1 ? "y" : "ies");
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const TapeEntry& e = entries_[i];
    std::string ins;
    for (std::size_t j = 0; j < e.inputs.size(); ++j) {
      const Edge& t = e.inputs[j];
      if (j) ins += ", ";
      if (!t.defined()) {
        ins += "-";
        continue;
      }
      ins += fmt::format("#{}{}{}", t.id(), shape_str(t.shape()), e.needs_grad[j] ? "" : "(const)");
    }
    s += fmt::format("  [{:>3}] {:<14} ({}) -> #{}{}{}\n", i, e.name, ins, e.output_id,
                     shape_str(e.output_shape), e.output.expired() ? " (dead)" : "");
  }
  return s;
}

namespace autograd {

const std::shared_ptr<GradSlot>& slot_of(const std::shared_ptr<TensorImpl>& t) {
  if (!t->slot) {
    auto s = std::make_shared<GradSlot>();
    s->id = t->id;
    s->shape = t->shape;
    s->dtype = t->dtype;
    s->creator_seq = t->creator_seq;
    s->tensor = t;
    t->slot = std::move(s);
  }
  return t->slot;
}

bool should_record(const Tensor* inputs, std::size_t n) {
  if (!is_grad_enabled()) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) return true;
  return false;
}

void record_entry(const char* name, TensorList inputs, const Tensor& out, const RecordOptions& opts,
                  BackwardFn fn) {
  if (!is_floating(out.dtype())) return;  // integer results (argmax, masks) carry no gradient
  Tape& tp = tape();
  TapeEntry e;
  e.seq = tp.next_seq();
  e.name = name;
  // Under saved-tensor hooks the backward reads what the pack hook returned, so the tape holds
  // neither the saved storages nor the output for it.
  const bool packing = autograd::saved_tensor_hooks_active();
  e.needs_grad.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    e.needs_grad[i] = inputs[i].defined() && inputs[i].requires_grad();
  for (std::size_t i = 0; i < inputs.size() && i < 64; ++i) {
    if (!(opts.saved_inputs >> i & 1) || !inputs[i].defined()) continue;
    tp.save(e, inputs[i].storage(), static_cast<int>(i), !packing);
  }
  if (opts.saves_output) tp.save(e, out.storage(), -1, !packing);
  if (packing) {
    autograd::SavedTensor::pack_pending();
    if (opts.saves_output) e.saved_output = autograd::SavedTensor::packed_now(out);
  }
  e.inputs.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    Edge& edge = e.inputs[i];
    if (e.needs_grad[i]) {  // a constant gets no gradient, so no slot
      edge.slot = autograd::slot_of(inputs[i].impl_ptr());
      if (inputs[i].impl()->creator_seq != 0 && !edge.slot->keep_tensor) continue;
    }
    edge.held = std::move(inputs[i]);
  }
  out.impl()->requires_grad = true;
  out.impl()->creator_seq = e.seq;
  const std::shared_ptr<autograd::GradSlot>& out_slot = autograd::slot_of(out.impl_ptr());
  out_slot->creator_seq = e.seq;
  out_slot->keep_tensor = opts.saves_output && !packing;
  e.output = out_slot;
  e.output_id = out.id();
  e.output_shape = out.shape();
  e.output_dtype = out.dtype();
  e.fused = opts.fused;
  e.backward = std::move(fn);
  if (!autograd::observing()) {
    tp.push(std::move(e));
    return;
  }
  e.loc = autograd::current_location();
  e.module = autograd::current_module();
  tp.push(std::move(e));
  const std::size_t index = tp.size() - 1;
  for (autograd::Observer* o : autograd::observers()) o->recorded(tp[index], index, out);
}

}  // namespace autograd
}  // namespace tg
