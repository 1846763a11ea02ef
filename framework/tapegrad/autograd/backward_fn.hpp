#pragma once
/// @file
/// BackwardFn: the type-erased backward closure of a tape entry. Like
/// std::function<TensorList(const Tensor&, const Tensor&)>, but closures up to kInline bytes (a
/// few captured tensors and options: every built-in op's) live inside the object, so recording a
/// tape entry allocates no closure on the heap. Larger closures fall back to the heap.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// A list of tensors: the inputs and gradients of ops, the outputs of tg::grad().
using TensorList = std::vector<Tensor>;

/// The type-erased backward closure of a tape entry: called with the gradient of the output and
/// the output, it returns one gradient per input. Like std::function, but closures of up to
/// kInline bytes are stored inside the object (no heap allocation); move-only.
class BackwardFn {
 public:
  /// Closures up to this size (and suitably aligned, nothrow-movable) are stored inline.
  static constexpr std::size_t kInline = 128;

  BackwardFn() = default;  ///< empty
  /// Empty.
  BackwardFn(std::nullptr_t) {}  // NOLINT: implicit like std::function's
  /// Wraps f, callable as TensorList(const Tensor& grad_out, const Tensor& out).
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, BackwardFn> &&
                                     std::is_invocable_r_v<TensorList, const D&, const Tensor&,
                                                           const Tensor&>>>
  BackwardFn(F&& f) {  // NOLINT: implicit like std::function's
    if constexpr (fits<D>()) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }
  BackwardFn(BackwardFn&& o) noexcept { take(o); }  ///< takes o's closure; o becomes empty
  /// Destroys this closure and takes o's; o becomes empty.
  BackwardFn& operator=(BackwardFn&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  /// Destroys the closure; this becomes empty.
  BackwardFn& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  BackwardFn(const BackwardFn&) = delete;
  BackwardFn& operator=(const BackwardFn&) = delete;
  ~BackwardFn() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }  ///< true when not empty
  /// Calls the closure (which must not be empty).
  TensorList operator()(const Tensor& grad_out, const Tensor& out) const {
    return ops_->call(buf_, grad_out, out);
  }

 private:
  struct Ops {
    TensorList (*call)(const void*, const Tensor&, const Tensor&);
    void (*move)(void* dst, void* src) noexcept;  // move-constructs dst from src, destroys src
    void (*destroy)(void*) noexcept;
  };
  template <class D>
  static constexpr bool fits() {
    return sizeof(D) <= kInline && alignof(D) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<D>;
  }
  template <class D>
  static constexpr Ops inline_ops = {
      [](const void* p, const Tensor& g, const Tensor& o) -> TensorList {
        return (*static_cast<const D*>(p))(g, o);
      },
      [](void* dst, void* src) noexcept {
        ::new (dst) D(std::move(*static_cast<D*>(src)));
        static_cast<D*>(src)->~D();
      },
      [](void* p) noexcept { static_cast<D*>(p)->~D(); }};
  template <class D>
  static constexpr Ops heap_ops = {
      [](const void* p, const Tensor& g, const Tensor& o) -> TensorList {
        return (**static_cast<D* const*>(p))(g, o);
      },
      [](void* dst, void* src) noexcept { *static_cast<D**>(dst) = *static_cast<D**>(src); },
      [](void* p) noexcept { delete *static_cast<D**>(p); }};

  void take(BackwardFn& o) noexcept {
    if (o.ops_) {
      o.ops_->move(buf_, o.buf_);
      ops_ = o.ops_;
      o.ops_ = nullptr;
    }
  }
  void reset() noexcept {
    if (ops_) {
      ops_->destroy(buf_);
      ops_ = nullptr;
    }
  }

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const Ops* ops_ = nullptr;
};

}  // namespace tg
