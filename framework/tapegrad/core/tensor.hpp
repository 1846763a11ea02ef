#pragma once
// Tensor: a cheap handle (shared pointer) to a TensorImpl, which holds storage, shape, strides,
// offset and the autograd fields. Copying a Tensor copies the handle, never the data. Views
// (reshape, transpose, slice, expand, ...) share storage.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <source_location>
#include <vector>

#include "tapegrad/core/dtype.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/core/storage.hpp"

namespace tg {

namespace autograd {
struct GradSlot;  // autograd/grad_slot.hpp
}
class HookHandle;  // autograd/hooks.hpp

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  std::int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;

  std::uint64_t id = 0;  // unique per impl, shown by the tape printer and DOT export
  bool requires_grad = false;
  bool retains_grad = false;
  // Sequence number of the tape entry that produced this tensor; 0 for a leaf.
  std::uint64_t creator_seq = 0;
  std::shared_ptr<TensorImpl> grad;
  // The tensor's place in the autograd graph (its gradient hooks, and where backward sums its
  // gradient); made when an op records the tensor or a hook is registered on it.
  std::shared_ptr<autograd::GradSlot> slot;

  TensorImpl();
};

struct BackwardOptions {
  // Keep the tape entries after backward so a second backward can run. Defaults to create_graph.
  std::optional<bool> retain_graph;
  // Record the backward computation itself, so the gradients can be differentiated again.
  bool create_graph = false;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Allocates an uninitialised contiguous tensor.
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  // --- metadata
  const Shape& shape() const { return checked().shape; }
  const Shape& strides() const { return checked().strides; }
  std::int64_t offset() const { return checked().offset; }
  DType dtype() const { return checked().dtype; }
  std::int64_t dim() const { return static_cast<std::int64_t>(checked().shape.size()); }
  std::int64_t size(std::int64_t d) const;
  std::int64_t numel() const { return numel_of(checked().shape); }
  bool is_contiguous() const;
  std::uint64_t id() const { return checked().id; }
  const std::shared_ptr<Storage>& storage() const { return checked().storage; }
  std::uint64_t version() const { return checked().storage->version; }

  // --- raw data (first element of this view). Throws if T does not match the dtype.
  template <class T>
  T* data_ptr() const {
    check_dtype(dtype_v<T>, "data_ptr");
    return static_cast<T*>(impl_->storage->data) + impl_->offset;
  }
  void* raw_data() const;

  // --- element access (any dtype converts to T)
  template <class T = double>
  T item() const;
  template <class T = double>
  T at(const std::vector<std::int64_t>& index) const;
  template <class T = double>
  T at(std::initializer_list<std::int64_t> index) const {
    return at<T>(std::vector<std::int64_t>(index));
  }
  template <class T>
  std::vector<T> to_vector() const;

  // --- autograd
  bool requires_grad() const { return checked().requires_grad; }
  // Marks a leaf as requiring grad (only leaves of floating dtype).
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const { return checked().creator_seq == 0; }
  // Accumulated gradient of a leaf (or of a tensor that called retain_grad()); undefined if none.
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the gradient, like PyTorch's set_to_none=True
  void retain_grad();
  void backward(const BackwardOptions& opts = {}) const;
  void backward(const Tensor& gradient, const BackwardOptions& opts = {}) const;
  // Same storage, no history, requires_grad false.
  Tensor detach() const;

  // --- hooks (autograd/hooks.hpp): each returns a handle whose remove() detaches the hook.
  // fn(grad) runs when this tensor's gradient has been fully computed in a backward pass (for an
  // intermediate, before it flows on to the inputs; for a leaf, before it is accumulated into
  // grad()); if it returns a tensor, that replaces the gradient. Hooks run in registration
  // order, each seeing what the previous one returned.
  HookHandle register_hook(std::function<std::optional<Tensor>(const Tensor& grad)> fn) const;
  // Leaves only: fn(leaf) runs after the leaf's grad() has been updated by a backward pass (where
  // data-parallel training starts the all-reduce of a gradient while backward goes on).
  HookHandle register_post_accumulate_grad_hook(std::function<void(const Tensor& leaf)> fn) const;

  // --- copies and conversions
  Tensor contiguous(std::source_location loc = std::source_location::current()) const;
  Tensor clone(std::source_location loc = std::source_location::current()) const;
  Tensor to(DType dtype, std::source_location loc = std::source_location::current()) const;

  // --- views and shape ops (differentiable; defined in ops/shape.cpp)
  Tensor view(const Shape& shape, std::source_location loc = std::source_location::current()) const;
  Tensor reshape(const Shape& shape,
                 std::source_location loc = std::source_location::current()) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1,
                 std::source_location loc = std::source_location::current()) const;
  Tensor transpose(std::int64_t d0, std::int64_t d1,
                   std::source_location loc = std::source_location::current()) const;
  Tensor t(std::source_location loc = std::source_location::current()) const;  // 2-D transpose
  Tensor permute(const std::vector<std::int64_t>& dims,
                 std::source_location loc = std::source_location::current()) const;
  Tensor squeeze(std::source_location loc = std::source_location::current()) const;
  Tensor squeeze(std::int64_t dim,
                 std::source_location loc = std::source_location::current()) const;
  Tensor unsqueeze(std::int64_t dim,
                   std::source_location loc = std::source_location::current()) const;
  Tensor expand(const Shape& shape,
                std::source_location loc = std::source_location::current()) const;
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1,
               std::source_location loc = std::source_location::current()) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length,
                std::source_location loc = std::source_location::current()) const;

  // --- common reductions as methods (defined in ops/)
  Tensor sum(std::source_location loc = std::source_location::current()) const;
  Tensor mean(std::source_location loc = std::source_location::current()) const;

  // --- in-place (no tape). Refused on a leaf that requires grad while grad mode is on, and on
  // any tensor whose storage the tape saved for a pending backward.
  // They are const because a Tensor is a handle: they change the data, not the handle.
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const;
  const Tensor& copy_(const Tensor& src) const;                     // src broadcast to this shape
  const Tensor& add_(const Tensor& other, double alpha = 1) const;  // this += alpha * other
  const Tensor& mul_(double factor) const;
  template <class T>
  void set(const std::vector<std::int64_t>& index, T value) const;

  // Called by every in-place op before it writes: checks the rules above, bumps the version.
  void prepare_inplace(const char* op) const;

 private:
  const TensorImpl& checked() const {
    if (!impl_) fail("operation on an undefined tensor (default-constructed tg::Tensor)");
    return *impl_;
  }
  void check_dtype(DType want, const char* what) const;
  std::int64_t element_offset(const std::vector<std::int64_t>& index, const char* op) const;

  std::shared_ptr<TensorImpl> impl_;
};

// ---- template definitions

template <class T>
T Tensor::item() const {
  if (numel() != 1)
    fail("item(): tensor has {} elements, shape {}; item() needs exactly one", numel(),
         shape_str(shape()));
  return at<T>(std::vector<std::int64_t>(static_cast<std::size_t>(dim()), 0));
}

template <class T>
T Tensor::at(const std::vector<std::int64_t>& index) const {
  const std::int64_t off = element_offset(index, "at");
  return dispatch(dtype(), [&](auto tag) -> T {
    using S = decltype(tag);
    return static_cast<T>(static_cast<const S*>(impl_->storage->data)[off]);
  });
}

template <class T>
void Tensor::set(const std::vector<std::int64_t>& index, T value) const {
  const std::int64_t off = element_offset(index, "set");
  prepare_inplace("set");
  dispatch(dtype(), [&](auto tag) {
    using S = decltype(tag);
    static_cast<S*>(impl_->storage->data)[off] = static_cast<S>(value);
  });
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  const Tensor c = contiguous();
  std::vector<T> out(static_cast<std::size_t>(c.numel()));
  dispatch(c.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* p = static_cast<const S*>(c.raw_data());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}

}  // namespace tg
