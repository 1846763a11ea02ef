#pragma once
// Helpers for writing ops: argument checks and the elementwise loop drivers. Internal to ops/
// (not part of the umbrella header), but stable enough for activation files to use.
#include <array>

#include "tapegrad/autograd/tape.hpp"
#include "tapegrad/core/tensor.hpp"
#include "tapegrad/kernels/strided.hpp"

namespace tg::detail {

void check_defined(const Tensor& t, const char* op, const char* what = "input");
void check_floating(const Tensor& t, const char* op);
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
// Strides that read `t` as if it had shape `shape` (0 along broadcast dimensions).
Shape broadcast_strides(const Tensor& t, const Shape& shape);

// Calls f(float{}) or f(double{}); an int64 tensor is an error naming the op.
template <class F>
decltype(auto) dispatch_floating(DType d, const char* op, F&& f) {
  if (d == DType::Int64) fail("{}: expected a float32 or float64 tensor, got int64", op);
  if (d == DType::Float64) return f(double{});
  return f(float{});
}

// out[i] = f(x[i]) for a floating x; out is a new contiguous tensor of x's shape and dtype.
template <class F>
Tensor map_unary(const Tensor& x, const char* op, F&& f) {
  check_defined(x, op);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op_ = out.data_ptr<T>();
    kernels::for_each_row<2>(x.shape(), {out.strides().data(), x.strides().data()},
                             kernels::kElementwiseGrain,
                             [&](const std::array<std::int64_t, 2>& off, std::int64_t n,
                                 const std::array<std::int64_t, 2>& st) {
                               T* o = op_ + off[0];
                               const T* a = xp + off[1];
                               if (st[1] == 1) {
                                 for (std::int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
                               } else {
                                 for (std::int64_t i = 0; i < n; ++i) o[i] = f(a[i * st[1]]);
                               }
                             });
  });
  return out;
}

// out = f(a, b) with NumPy broadcasting; a and b must share a dtype. `any_dtype` allows int64.
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, const char* op, F&& f, bool any_dtype = false) {
  check_defined(a, op, "first input");
  check_defined(b, op, "second input");
  check_same_dtype(a, b, op);
  if (!any_dtype) check_floating(a, op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  const Shape sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* ap = static_cast<const T*>(a.raw_data());
    const T* bp = static_cast<const T*>(b.raw_data());
    T* op_ = out.data_ptr<T>();
    kernels::for_each_row<3>(shape, {out.strides().data(), sa.data(), sb.data()},
                             kernels::kElementwiseGrain,
                             [&](const std::array<std::int64_t, 3>& off, std::int64_t n,
                                 const std::array<std::int64_t, 3>& st) {
                               T* o = op_ + off[0];
                               const T* x = ap + off[1];
                               const T* y = bp + off[2];
                               if (st[1] == 1 && st[2] == 1) {
                                 for (std::int64_t i = 0; i < n; ++i)
                                   o[i] = static_cast<T>(f(x[i], y[i]));
                               } else if (st[1] == 1 && st[2] == 0) {
                                 const T yv = *y;
                                 for (std::int64_t i = 0; i < n; ++i)
                                   o[i] = static_cast<T>(f(x[i], yv));
                               } else if (st[1] == 0 && st[2] == 1) {
                                 const T xv = *x;
                                 for (std::int64_t i = 0; i < n; ++i)
                                   o[i] = static_cast<T>(f(xv, y[i]));
                               } else {
                                 for (std::int64_t i = 0; i < n; ++i)
                                   o[i] = static_cast<T>(f(x[i * st[1]], y[i * st[2]]));
                               }
                             });
  });
  return out;
}

// out = f(c, a, b) with broadcasting over three operands of one dtype (used by where, clamp).
template <class F>
Tensor map_ternary(const Tensor& c, const Tensor& a, const Tensor& b, const char* op, F&& f) {
  check_same_dtype(c, a, op);
  check_same_dtype(a, b, op);
  const Shape shape = broadcast_shapes(broadcast_shapes(c.shape(), a.shape(), op), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  const Shape sc = broadcast_strides(c, shape), sa = broadcast_strides(a, shape),
              sb = broadcast_strides(b, shape);
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* cp = static_cast<const T*>(c.raw_data());
    const T* ap = static_cast<const T*>(a.raw_data());
    const T* bp = static_cast<const T*>(b.raw_data());
    T* op_ = out.data_ptr<T>();
    kernels::for_each_row<4>(
        shape, {out.strides().data(), sc.data(), sa.data(), sb.data()}, kernels::kElementwiseGrain,
        [&](const std::array<std::int64_t, 4>& off, std::int64_t n,
            const std::array<std::int64_t, 4>& st) {
          for (std::int64_t i = 0; i < n; ++i)
            op_[off[0] + i * st[0]] = static_cast<T>(
                f(cp[off[1] + i * st[1]], ap[off[2] + i * st[2]], bp[off[3] + i * st[3]]));
        });
  });
  return out;
}

Tensor copy_to_contiguous(const Tensor& src, DType to);
// t itself when contiguous, else a contiguous copy (not recorded): what a kernel reads.
inline Tensor contig(const Tensor& t) {
  return t.is_contiguous() ? t : copy_to_contiguous(t, t.dtype());
}

// A 0-d tensor of the given dtype holding v (used for scalar operands).
Tensor scalar_like(double v, DType dtype);

}  // namespace tg::detail
