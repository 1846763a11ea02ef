// contiguous(), clone() and to(dtype): the copies, with their (identity-like) backward.
#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/ops/detail.hpp"

namespace tg {

namespace detail {
// Copies src (any strides, any dtype) into a new contiguous tensor of dtype `to`.
Tensor copy_to_contiguous(const Tensor& src, DType to) {
  Tensor out = Tensor::empty(src.shape(), to);
  dispatch(src.dtype(), [&](auto stag) {
    using S = decltype(stag);
    dispatch(to, [&](auto dtag) {
      using D = decltype(dtag);
      const S* sp = static_cast<const S*>(src.raw_data());
      D* dp = out.data_ptr<D>();
      kernels::for_each_row<2>(src.shape(), {out.strides().data(), src.strides().data()},
                               kernels::kElementwiseGrain,
                               [&](const std::array<std::int64_t, 2>& off, std::int64_t n,
                                   const std::array<std::int64_t, 2>& st) {
                                 D* o = dp + off[0];
                                 const S* a = sp + off[1];
                                 for (std::int64_t i = 0; i < n; ++i)
                                   o[i * st[0]] = static_cast<D>(a[i * st[1]]);
                               });
    });
  });
  return out;
}
}  // namespace detail

Tensor Tensor::contiguous(std::source_location loc) const {
  if (is_contiguous()) return *this;
  const autograd::OpScope op_scope("contiguous", loc);
  Tensor out = detail::copy_to_contiguous(*this, dtype());
  autograd::record("contiguous", {*this}, out, {},
                   [](const Tensor& g, const Tensor&) { return TensorList{g}; });
  return out;
}

Tensor Tensor::clone(std::source_location loc) const {
  const autograd::OpScope op_scope("clone", loc);
  Tensor out = detail::copy_to_contiguous(*this, dtype());
  autograd::record("clone", {*this}, out, {},
                   [](const Tensor& g, const Tensor&) { return TensorList{g}; });
  return out;
}

Tensor Tensor::to(DType d, std::source_location loc) const {
  if (d == dtype()) return *this;
  const autograd::OpScope op_scope("to", loc);
  Tensor out = detail::copy_to_contiguous(*this, d);
  const DType from = dtype();
  if (is_floating(from))
    autograd::record("to", {*this}, out, {},
                     [from](const Tensor& g, const Tensor&) { return TensorList{g.to(from)}; });
  return out;
}

}  // namespace tg
