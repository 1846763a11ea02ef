#include "tapegrad/ops/detail.hpp"

namespace tg::detail {

void check_defined(const Tensor& t, const char* op, const char* what) {
  if (!t.defined()) fail("{}: {} is an undefined tensor", op, what);
}

void check_floating(const Tensor& t, const char* op) {
  if (!is_floating(t.dtype()))
    fail("{}: expected a float32 or float64 tensor, got {} (shape {}); convert with .to()", op,
         t.dtype(), shape_str(t.shape()));
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype())
    fail("{}: dtype mismatch, {} (shape {}) vs {} (shape {}); convert one with .to()", op,
         a.dtype(), shape_str(a.shape()), b.dtype(), shape_str(b.shape()));
}

Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  Shape st(shape.size(), 0);
  const std::size_t lead = shape.size() - t.shape().size();
  for (std::size_t d = 0; d < t.shape().size(); ++d)
    st[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  return st;
}

Tensor scalar_like(double v, DType dtype) {
  Tensor t = Tensor::empty({}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    *t.data_ptr<T>() = static_cast<T>(v);
  });
  return t;
}

}  // namespace tg::detail
