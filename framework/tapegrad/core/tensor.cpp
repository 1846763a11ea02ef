#include "tapegrad/core/tensor.hpp"

#include <atomic>

#include "tapegrad/autograd/engine.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/kernels/strided.hpp"

namespace tg {

namespace {
std::atomic<std::uint64_t> g_next_id{1};
}

TensorImpl::TensorImpl() : id(g_next_id.fetch_add(1, std::memory_order_relaxed)) {}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  std::int64_t n = 1;
  for (auto s : shape) {
    if (s < 0) fail("empty: negative dimension in shape {}", shape_str(shape));
    if (s != 0 && n > (std::int64_t{1} << 40) / s)
      fail("empty: shape {} has too many elements", shape_str(shape));
    n *= s;
  }
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(n) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = checked();
  std::int64_t expected = 1;
  for (std::size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] == 1) continue;
    if (t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& t = checked();
  return static_cast<char*>(t.storage->data) +
         t.offset * static_cast<std::int64_t>(dtype_size(t.dtype));
}

void Tensor::check_dtype(DType want, const char* what) const {
  if (checked().dtype != want)
    fail("{}: tensor has dtype {} but {} was requested", what, impl_->dtype, want);
}

std::int64_t Tensor::element_offset(const std::vector<std::int64_t>& index, const char* op) const {
  const TensorImpl& t = checked();
  if (index.size() != t.shape.size())
    fail("{}: {} indices given for a tensor with {} dimensions (shape {})", op, index.size(),
         t.shape.size(), shape_str(t.shape));
  std::int64_t off = t.offset;
  for (std::size_t d = 0; d < index.size(); ++d) {
    std::int64_t i = index[d];
    if (i < -t.shape[d] || i >= t.shape[d])
      fail("{}: index {} is out of range for dimension {} of size {}", op, i, d, t.shape[d]);
    if (i < 0) i += t.shape[d];
    off += i * t.strides[d];
  }
  return off;
}

Tensor& Tensor::requires_grad_(bool on) {
  TensorImpl& t = const_cast<TensorImpl&>(checked());
  if (on && !is_floating(t.dtype))
    fail("requires_grad_: only floating tensors can require gradients, this one is {}", t.dtype);
  if (t.creator_seq != 0)
    fail(
        "requires_grad_: tensor #{} is the result of an op, not a leaf; use detach() to make a "
        "leaf, then requires_grad_()",
        t.id);
  t.requires_grad = on;
  // The slot now, while one thread owns the leaf: the tape's edges share it from then on, and
  // several threads may record ops that read one parameter.
  if (on) autograd::slot_of(impl_);
  return *this;
}

Tensor Tensor::grad() const {
  const TensorImpl& t = checked();
  return t.grad ? Tensor(t.grad) : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
  if (g.defined() && g.shape() != shape())
    fail("set_grad: gradient shape {} does not match tensor shape {}", shape_str(g.shape()),
         shape_str(shape()));
  const_cast<TensorImpl&>(checked()).grad = g.impl_ptr();
}

void Tensor::zero_grad() { const_cast<TensorImpl&>(checked()).grad.reset(); }

void Tensor::retain_grad() {
  if (!requires_grad()) fail("retain_grad: tensor #{} does not require grad", id());
  impl_->retains_grad = true;
  autograd::slot_of(impl_)->retains_grad = true;
}

void Tensor::backward(const BackwardOptions& opts) const {
  tg::backward(TensorList{*this}, {}, opts);
}
void Tensor::backward(const Tensor& gradient, const BackwardOptions& opts) const {
  tg::backward(TensorList{*this}, TensorList{gradient}, opts);
}

Tensor Tensor::detach() const {
  const TensorImpl& t = checked();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage;
  impl->shape = t.shape;
  impl->strides = t.strides;
  impl->offset = t.offset;
  impl->dtype = t.dtype;
  return Tensor(std::move(impl));
}

void Tensor::prepare_inplace(const char* op) const {
  const TensorImpl& t = checked();
  if (is_grad_enabled() && t.requires_grad)
    fail(
        "{}: in-place change of tensor #{} (shape {}) which requires grad, with grad mode on; "
        "wrap the update in tg::NoGradGuard (as optimizers do), or use the out-of-place op",
        op, t.id, shape_str(t.shape));
  if (t.storage->saved_count > 0) {
    tape().prune();  // dead graphs may still hold it
    if (t.storage->saved_count > 0) {
      std::string who;
      const Tape& tp = tape();
      for (std::size_t i = 0; i < tp.size(); ++i)
        for (const auto& sv : tp[i].saved)
          if (sv.watch.lock() == t.storage)
            who += fmt::format("{}'{}' (entry {})", who.empty() ? "" : ", ", tp[i].name, i);
      fail(
          "{}: tensor #{} (shape {}) is saved by {} for a backward pass that has not run yet; "
          "changing it in place would make those gradients wrong. Run backward() first, clone() "
          "it, or use the out-of-place op",
          op, t.id, shape_str(t.shape), who.empty() ? std::string("the tape") : who);
    }
  }
  ++t.storage->version;
}

namespace {
// dst[i] = f(dst[i], src[i]) with src broadcast to dst's shape and converted to dst's dtype.
template <class F>
void inplace_binary(const Tensor& dst, const Tensor& src, const char* op, F&& f) {
  const Shape& shape = dst.shape();
  const Shape b = broadcast_shapes(shape, src.shape(), op);
  if (b != shape)
    fail("{}: source of shape {} cannot be broadcast to destination shape {}", op,
         shape_str(src.shape()), shape_str(shape));
  const Tensor s = src.dtype() == dst.dtype() ? src : src.to(dst.dtype());
  // Broadcast strides for the source: 0 along broadcast dimensions.
  Shape sst(shape.size(), 0);
  const std::size_t lead = shape.size() - s.shape().size();
  for (std::size_t d = 0; d < s.shape().size(); ++d)
    sst[lead + d] = s.shape()[d] == 1 ? 0 : s.strides()[d];
  dispatch(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dp = static_cast<T*>(dst.raw_data());
    const T* sp = static_cast<const T*>(s.raw_data());
    kernels::for_each_row<2>(shape, {dst.strides().data(), sst.data()}, kernels::kElementwiseGrain,
                             [&](const std::array<std::int64_t, 2>& off, std::int64_t n,
                                 const std::array<std::int64_t, 2>& st) {
                               T* d = dp + off[0];
                               const T* x = sp + off[1];
                               if (st[0] == 1 && st[1] == 1) {
                                 // Both contiguous: a loop the compiler vectorises.
                                 for (std::int64_t i = 0; i < n; ++i) d[i] = f(d[i], x[i]);
                               } else {
                                 for (std::int64_t i = 0; i < n; ++i)
                                   d[i * st[0]] = f(d[i * st[0]], x[i * st[1]]);
                               }
                             });
  });
}
}  // namespace

const Tensor& Tensor::fill_(double value) const {
  prepare_inplace("fill_");
  const Tensor v = tg::Tensor::empty({}, dtype());
  dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    *v.data_ptr<T>() = static_cast<T>(value);
  });
  inplace_binary(*this, v, "fill_", [](auto, auto s) { return s; });
  return *this;
}

const Tensor& Tensor::zero_() const { return fill_(0.0); }

const Tensor& Tensor::copy_(const Tensor& src) const {
  prepare_inplace("copy_");
  inplace_binary(*this, src, "copy_", [](auto, auto s) { return s; });
  return *this;
}

const Tensor& Tensor::add_(const Tensor& other, double alpha) const {
  prepare_inplace("add_");
  dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T a = static_cast<T>(alpha);
    inplace_binary(*this, other, "add_", [a](T d, T s) { return d + a * s; });
  });
  return *this;
}

const Tensor& Tensor::mul_(double factor) const {
  prepare_inplace("mul_");
  const Tensor v = tg::Tensor::empty({}, dtype());
  dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    *v.data_ptr<T>() = static_cast<T>(factor);
    inplace_binary(*this, v, "mul_", [](T d, T s) { return d * s; });
  });
  return *this;
}

}  // namespace tg
