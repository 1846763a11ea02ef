#pragma once
/// @file
/// Tensor: a cheap handle (shared pointer) to a TensorImpl, which holds storage, shape, strides,
/// offset and the autograd fields. Copying a Tensor copies the handle, never the data. Views
/// (reshape, transpose, slice, expand, ...) share storage.
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

/// tapegrad: tensors, autograd, layers, optimizers and learnable activations.
namespace tg {

namespace autograd {
struct GradSlot;  // autograd/grad_slot.hpp
}
class HookHandle;  // autograd/hooks.hpp

/// What a Tensor handle points to: storage, shape, strides, offset and the autograd fields.
struct TensorImpl {
  std::shared_ptr<Storage> storage;  ///< shared with every view of the same data
  Shape shape;                       ///< sizes, outermost first
  Shape strides;                     ///< in elements
  std::int64_t offset = 0;           ///< in elements
  DType dtype = DType::Float32;      ///< element type

  std::uint64_t id = 0;        ///< unique per impl, shown by the tape printer and DOT export
  bool requires_grad = false;  ///< backward computes a gradient for this tensor
  bool retains_grad = false;   ///< retain_grad() was called: backward keeps its gradient in grad
  /// Sequence number of the tape entry that produced this tensor; 0 for a leaf.
  std::uint64_t creator_seq = 0;
  std::shared_ptr<TensorImpl> grad;  ///< the accumulated gradient (Tensor::grad()); null if none
  /// The tensor's place in the autograd graph (its gradient hooks, and where backward sums its
  /// gradient); made when an op records the tensor or a hook is registered on it.
  std::shared_ptr<autograd::GradSlot> slot;

  TensorImpl();  ///< a fresh id, no storage
};

/// Options of Tensor::backward() and tg::backward().
struct BackwardOptions {
  /// Keep the tape entries after backward so a second backward can run. Defaults to create_graph.
  std::optional<bool> retain_graph;
  /// Record the backward computation itself, so the gradients can be differentiated again.
  bool create_graph = false;
};

/// A cheap handle to a TensorImpl (shared ownership). Copying a Tensor copies the handle, never the
/// data; views share storage. A default-constructed Tensor is undefined, and using it is a
/// tg::Error.
class Tensor {
 public:
  /// An undefined tensor (no data).
  Tensor() = default;
  /// A handle to impl.
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// Allocates an uninitialised contiguous tensor.
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);

  /// False for a default-constructed tensor.
  bool defined() const { return impl_ != nullptr; }
  /// The TensorImpl (null when undefined).
  TensorImpl* impl() const { return impl_.get(); }
  /// The shared pointer to the TensorImpl.
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True when both handles refer to the same TensorImpl.
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  // --- metadata
  const Shape& shape() const { return checked().shape; }      ///< sizes, outermost first
  const Shape& strides() const { return checked().strides; }  ///< in elements
  std::int64_t offset() const { return checked().offset; }    ///< into the storage, in elements
  DType dtype() const { return checked().dtype; }             ///< element type
  /// The number of dimensions (0 for a scalar).
  std::int64_t dim() const { return static_cast<std::int64_t>(checked().shape.size()); }
  /// The size of dimension d (negative d counts from the end).
  std::int64_t size(std::int64_t d) const;
  std::int64_t numel() const { return numel_of(checked().shape); }  ///< the number of elements
  /// True when the elements are laid out row-major without gaps (size-1 dimensions ignored).
  bool is_contiguous() const;
  std::uint64_t id() const { return checked().id; }  ///< unique per TensorImpl
  /// The storage shared with every view of the same data.
  const std::shared_ptr<Storage>& storage() const { return checked().storage; }
  /// The storage's count of in-place writes.
  std::uint64_t version() const { return checked().storage->version; }

  /// Raw data: the first element of this view. Throws tg::Error if T does not match the dtype.
  template <class T>
  T* data_ptr() const {
    check_dtype(dtype_v<T>, "data_ptr");
    return static_cast<T*>(impl_->storage->data) + impl_->offset;
  }
  /// The first element of this view, untyped.
  void* raw_data() const;

  /// The value of a one-element tensor, converted to T; any other size is a tg::Error.
  template <class T = double>
  T item() const;
  /// The element at `index` (one index per dimension; negative ones count from the end),
  /// converted to T. A wrong count or an index out of range is a tg::Error.
  template <class T = double>
  T at(const std::vector<std::int64_t>& index) const;
  /// The element at `index`, converted to T (as the vector overload).
  template <class T = double>
  T at(std::initializer_list<std::int64_t> index) const {
    return at<T>(std::vector<std::int64_t>(index));
  }
  /// All elements in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // --- autograd
  /// True when backward computes a gradient for this tensor.
  bool requires_grad() const { return checked().requires_grad; }
  /// Marks a leaf as requiring grad (only leaves of floating dtype).
  Tensor& requires_grad_(bool on = true);
  /// True when no recorded op produced this tensor.
  bool is_leaf() const { return checked().creator_seq == 0; }
  /// Accumulated gradient of a leaf (or of a tensor that called retain_grad()); undefined if none.
  Tensor grad() const;
  /// Replaces the gradient (undefined drops it); a shape other than this tensor's is a tg::Error.
  void set_grad(const Tensor& g);
  void zero_grad();  ///< drops the gradient, like PyTorch's set_to_none=True
  /// Makes backward keep this non-leaf tensor's gradient in grad(); the tensor must require grad.
  void retain_grad();
  /// Backpropagates from this scalar (gradient 1) through the tape: tg::backward({*this}).
  void backward(const BackwardOptions& opts = {}) const;
  /// Backpropagates from this tensor with the given gradient (this tensor's shape).
  void backward(const Tensor& gradient, const BackwardOptions& opts = {}) const;
  /// Same storage, no history, requires_grad false.
  Tensor detach() const;

  // --- hooks (autograd/hooks.hpp): each returns a handle whose remove() detaches the hook.
  /// fn(grad) runs when this tensor's gradient has been fully computed in a backward pass (for an
  /// intermediate, before it flows on to the inputs; for a leaf, before it is accumulated into
  /// grad()); if it returns a tensor, that replaces the gradient. Hooks run in registration
  /// order, each seeing what the previous one returned. The handle's remove() detaches the hook.
  HookHandle register_hook(std::function<std::optional<Tensor>(const Tensor& grad)> fn) const;
  /// Leaves only: fn(leaf) runs after the leaf's grad() has been updated by a backward pass (where
  /// data-parallel training starts the all-reduce of a gradient while backward goes on).
  HookHandle register_post_accumulate_grad_hook(std::function<void(const Tensor& leaf)> fn) const;

  // --- copies and conversions (differentiable). `loc` is where the call was made (anomaly mode
  // and the profiler report it): leave it defaulted, here and in every op.
  /// This tensor if contiguous, else a contiguous copy.
  Tensor contiguous(std::source_location loc = std::source_location::current()) const;
  /// A contiguous copy (new storage).
  Tensor clone(std::source_location loc = std::source_location::current()) const;
  /// A copy converted to dtype (this tensor itself when it has that dtype already).
  Tensor to(DType dtype, std::source_location loc = std::source_location::current()) const;

  // --- views and shape ops (differentiable; defined in ops/shape.cpp)
  /// tg::view(*this, shape): a view of the same storage; a tg::Error if no view is possible.
  Tensor view(const Shape& shape, std::source_location loc = std::source_location::current()) const;
  /// tg::reshape(*this, shape): a view when possible, else a copy; one dimension may be -1.
  Tensor reshape(const Shape& shape,
                 std::source_location loc = std::source_location::current()) const;
  /// tg::flatten(*this, start_dim, end_dim).
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1,
                 std::source_location loc = std::source_location::current()) const;
  /// tg::transpose(*this, d0, d1): a view with dimensions d0 and d1 swapped.
  Tensor transpose(std::int64_t d0, std::int64_t d1,
                   std::source_location loc = std::source_location::current()) const;
  Tensor t(std::source_location loc = std::source_location::current()) const;  ///< 2-D transpose
  /// tg::permute(*this, dims): a view with the dimensions reordered.
  Tensor permute(const std::vector<std::int64_t>& dims,
                 std::source_location loc = std::source_location::current()) const;
  /// tg::squeeze(*this): a view without the size-1 dimensions.
  Tensor squeeze(std::source_location loc = std::source_location::current()) const;
  /// tg::squeeze(*this, dim): a view without dimension dim if its size is 1.
  Tensor squeeze(std::int64_t dim,
                 std::source_location loc = std::source_location::current()) const;
  /// tg::unsqueeze(*this, dim): a view with a new size-1 dimension at dim.
  Tensor unsqueeze(std::int64_t dim,
                   std::source_location loc = std::source_location::current()) const;
  /// tg::expand(*this, shape): a broadcast view; -1 keeps a dimension.
  Tensor expand(const Shape& shape,
                std::source_location loc = std::source_location::current()) const;
  /// tg::slice(*this, dim, start, end, step): Python-style x[start:end:step] along dim, a view.
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1,
               std::source_location loc = std::source_location::current()) const;
  /// tg::narrow(*this, dim, start, length): elements [start, start + length) of dim, a view.
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length,
                std::source_location loc = std::source_location::current()) const;

  // --- common reductions as methods (defined in ops/)
  /// tg::sum(*this): the sum of all elements, a 0-d tensor.
  Tensor sum(std::source_location loc = std::source_location::current()) const;
  /// tg::mean(*this): the mean of all elements, a 0-d tensor.
  Tensor mean(std::source_location loc = std::source_location::current()) const;

  /// @name In-place ops
  /// No tape. Refused on a leaf that requires grad while grad mode is on, and on any tensor whose
  /// storage the tape saved for a pending backward (tg::Error). They are const because a Tensor is
  /// a handle: they change the data, not the handle.
  /// @{

  /// Sets every element to value, in place.
  const Tensor& fill_(double value) const;
  /// Sets every element to 0, in place.
  const Tensor& zero_() const;
  const Tensor& copy_(const Tensor& src) const;                     ///< src broadcast to this shape
  const Tensor& add_(const Tensor& other, double alpha = 1) const;  ///< this += alpha * other
  /// this *= factor, in place.
  const Tensor& mul_(double factor) const;
  /// Sets the element at `index` to value (converted to the dtype), in place.
  template <class T>
  void set(const std::vector<std::int64_t>& index, T value) const;
  /// @}

  /// Called by every in-place op before it writes: checks the rules of the in-place ops (a
  /// tg::Error when they are broken), bumps the version.
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
