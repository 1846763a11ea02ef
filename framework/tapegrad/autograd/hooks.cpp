#include "tapegrad/autograd/hooks.hpp"

#include <algorithm>

#include "tapegrad/autograd/grad_slot.hpp"

namespace tg {

namespace {

template <class List>
HookHandle remover(const std::shared_ptr<autograd::TensorHooks>& hooks,
                   List autograd::TensorHooks::*list, std::uint64_t id) {
  std::weak_ptr<autograd::TensorHooks> weak = hooks;
  return HookHandle([weak, list, id] {
    if (auto h = weak.lock())
      std::erase_if(h.get()->*list, [id](const auto& entry) { return entry.first == id; });
  });
}

const std::shared_ptr<autograd::TensorHooks>& hooks_of(const std::shared_ptr<TensorImpl>& t) {
  const auto& slot = autograd::slot_of(t);
  if (!slot->hooks) slot->hooks = std::make_shared<autograd::TensorHooks>();
  return slot->hooks;
}

}  // namespace

HookHandle Tensor::register_hook(std::function<std::optional<Tensor>(const Tensor&)> fn) const {
  if (!fn) fail("register_hook: the hook is an empty function");
  checked();
  TensorImpl& t = *impl();
  if (!t.requires_grad)
    fail(
        "register_hook: tensor #{} (shape {}) does not require grad, so no gradient will ever "
        "reach it; call requires_grad_() on the leaf first",
        t.id, shape_str(t.shape));
  const auto& h = hooks_of(impl_ptr());
  const std::uint64_t id = h->next_id++;
  h->grad.emplace_back(id, std::move(fn));
  return remover(h, &autograd::TensorHooks::grad, id);
}

HookHandle Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> fn) const {
  if (!fn) fail("register_post_accumulate_grad_hook: the hook is an empty function");
  checked();
  TensorImpl& t = *impl();
  if (t.creator_seq != 0 || !t.requires_grad)
    fail(
        "register_post_accumulate_grad_hook: tensor #{} (shape {}) is not a leaf that requires "
        "grad; only leaves accumulate gradients (a parameter, or a tensor after requires_grad_())",
        t.id, shape_str(t.shape));
  const auto& h = hooks_of(impl_ptr());
  const std::uint64_t id = h->next_id++;
  h->post_accumulate.emplace_back(id, std::move(fn));
  return remover(h, &autograd::TensorHooks::post_accumulate, id);
}

namespace autograd {

Tensor run_grad_hooks(GradSlot* t, Tensor g) {
  if (!t->hooks || t->hooks->grad.empty()) return g;
  // A copy: a hook may register or remove hooks while it runs.
  const auto hooks = t->hooks->grad;
  for (const auto& [id, fn] : hooks) {
    std::optional<Tensor> r = fn(g);
    if (!r) continue;
    if (!r->defined())
      fail(
          "tensor hook on #{}: returned an undefined tensor (return std::nullopt to keep the "
          "gradient)",
          t->id);
    if (r->shape() != g.shape())
      fail("tensor hook on #{}: returned a gradient of shape {} for a gradient of shape {}", t->id,
           shape_str(r->shape()), shape_str(g.shape()));
    g = r->dtype() == g.dtype() ? *r : r->to(g.dtype());
  }
  return g;
}

void run_post_accumulate_hooks(const std::shared_ptr<TensorImpl>& t) {
  if (!t->slot || !t->slot->hooks || t->slot->hooks->post_accumulate.empty()) return;
  const auto hooks = t->slot->hooks->post_accumulate;
  const Tensor leaf(t);
  for (const auto& [id, fn] : hooks) fn(leaf);
}

}  // namespace autograd
}  // namespace tg
