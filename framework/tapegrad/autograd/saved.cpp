#include "tapegrad/autograd/saved.hpp"

#include <utility>
#include <vector>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"

namespace tg::autograd {

namespace detail {

struct HookPair {
  PackHook pack;
  UnpackHook unpack;
};

struct PackedTensor {
  Tensor tensor;  // until packed (when the op is recorded): the tensor itself
  bool packed = false;
  std::any value;                         // the pack hook's result
  std::shared_ptr<const HookPair> hooks;  // the pair that packs it (unpack outlives the scope)
  std::weak_ptr<TensorImpl> original;     // to tell whether unpack gave the same tensor back
  Shape shape;
  DType dtype = DType::Float32;
  bool requires_grad = false;
};

}  // namespace detail

namespace {

std::vector<std::shared_ptr<const detail::HookPair>>& stack() {
  thread_local std::vector<std::shared_ptr<const detail::HookPair>> s;
  return s;
}

// Tensors captured by a backward closure under hooks, not packed yet: an op builds its closure
// before record() knows whether it records, so packing waits for record_entry (pack_pending);
// the closure of an op that does not record is gone by then (expired).
std::vector<std::weak_ptr<detail::PackedTensor>>& pending() {
  thread_local std::vector<std::weak_ptr<detail::PackedTensor>> p;
  return p;
}

// Set while a pack hook runs: tensors its own ops save are not packed again.
thread_local bool t_in_pack = false;

void pack(detail::PackedTensor& p) {
  if (p.packed) return;
  t_in_pack = true;
  try {
    p.value = p.hooks->pack(p.tensor);
  } catch (...) {
    t_in_pack = false;
    throw;
  }
  t_in_pack = false;
  p.packed = true;
  p.tensor = Tensor();  // what the backward needs is now the hook's business
}

}  // namespace

SavedTensorHooks::SavedTensorHooks(PackHook pack, UnpackHook unpack) {
  if (!pack || !unpack) fail("SavedTensorHooks: the pack and unpack hooks must both be functions");
  stack().push_back(std::make_shared<const detail::HookPair>(
      detail::HookPair{std::move(pack), std::move(unpack)}));
}

SavedTensorHooks::~SavedTensorHooks() { stack().pop_back(); }

bool saved_tensor_hooks_active() { return !stack().empty() && !t_in_pack; }

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined() || !saved_tensor_hooks_active()) {
    t_ = t;
    return;
  }
  auto p = std::make_shared<detail::PackedTensor>();
  p->tensor = t;
  p->hooks = stack().back();
  p->original = t.impl_ptr();
  p->shape = t.shape();
  p->dtype = t.dtype();
  p->requires_grad = t.requires_grad();
  auto& list = pending();
  if (list.size() >= 64)  // closures of ops that did not record (no_grad under hooks)
    std::erase_if(list, [](const auto& w) { return w.expired(); });
  list.push_back(p);
  packed_ = std::move(p);
}

void SavedTensor::pack_pending() {
  auto& list = pending();
  if (list.empty()) return;
  std::vector<std::weak_ptr<detail::PackedTensor>> todo;
  todo.swap(list);
  for (const auto& w : todo)
    if (auto p = w.lock()) pack(*p);
}

SavedTensor SavedTensor::packed_now(const Tensor& t) {
  SavedTensor s(t);
  if (s.packed_) {
    pending().pop_back();
    pack(*s.packed_);
  }
  return s;
}

bool SavedTensor::requires_grad() const {
  if (packed_) return packed_->requires_grad;
  return t_.defined() && t_.requires_grad();
}

Tensor SavedTensor::get() const {
  if (!packed_) return t_;
  const detail::PackedTensor& p = *packed_;
  if (!p.packed) return p.tensor;  // read before its op was recorded
  Tensor u = p.hooks->unpack(p.value);
  if (!u.defined())
    fail("saved-tensor unpack hook: returned an undefined tensor for a saved tensor of shape {}",
         shape_str(p.shape));
  if (u.shape() != p.shape || u.dtype() != p.dtype)
    fail(
        "saved-tensor unpack hook: returned a {} tensor of shape {} for a saved {} tensor of "
        "shape {}; it must give back the saved shape and dtype",
        u.dtype(), shape_str(u.shape()), p.dtype, shape_str(p.shape));
  if (u.impl() == p.original.lock().get()) return u;  // the same tensor: its history is intact
  if (is_grad_enabled())
    fail(
        "backward with create_graph=true through a tensor saved under saved-tensor hooks: the "
        "unpack hook returned a new tensor (shape {}), which has no history to differentiate",
        shape_str(p.shape));
  // A new tensor: it stands for the saved one, whose requires_grad the backward may ask.
  Tensor v = u.detach();
  if (p.requires_grad) v.requires_grad_(true);
  return v;
}

std::vector<SavedTensor> save_all(const std::vector<Tensor>& ts) {
  return std::vector<SavedTensor>(ts.begin(), ts.end());
}

std::vector<Tensor> get_all(const std::vector<SavedTensor>& ss) {
  std::vector<Tensor> out;
  out.reserve(ss.size());
  for (const SavedTensor& s : ss) out.push_back(s.get());
  return out;
}

}  // namespace tg::autograd
