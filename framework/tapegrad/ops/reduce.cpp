#include "tapegrad/ops/reduce.hpp"

#include "tapegrad/autograd/observe.hpp"

#include <algorithm>
#include <cmath>

#include "tapegrad/core/creation.hpp"
#include "tapegrad/kernels/reduce.hpp"
#include "tapegrad/ops/detail.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg {

using autograd::SavedTensor;

using autograd::record;

namespace {

struct Plan {
  Dims reduced;      // sorted, unique
  Shape out_shape;   // result shape (keepdim or not)
  Shape keep_shape;  // result shape with size-1 reduced dims
  std::int64_t rows = 1, len = 1;
  Tensor block;  // x laid out as contiguous [rows, len]
};

// Checks the dims and computes the shapes; with make_block, also lays x out as [rows, len].
Plan plan(const Tensor& x, const Dims& dims_in, bool keepdim, const char* op,
          bool make_block = true) {
  detail::check_defined(x, op);
  Plan p;
  const std::int64_t nd = x.dim();
  std::vector<char> red(static_cast<std::size_t>(std::max<std::int64_t>(nd, 1)), 0);
  if (dims_in.empty()) {
    std::fill(red.begin(), red.end(), 1);
  } else {
    for (auto d : dims_in) {
      const auto n = normalize_dim(d, nd, op);
      if (red[n]) fail("{}: dimension {} appears twice in the reduction dims", op, n);
      red[n] = 1;
    }
  }
  std::vector<std::int64_t> order;
  for (std::int64_t d = 0; d < nd; ++d) {
    if (red[d]) {
      p.reduced.push_back(d);
      p.len *= x.shape()[d];
      p.keep_shape.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      order.push_back(d);
      p.rows *= x.shape()[d];
      p.keep_shape.push_back(x.shape()[d]);
      p.out_shape.push_back(x.shape()[d]);
    }
  }
  if (!make_block) return p;
  for (auto d : p.reduced) order.push_back(d);
  NoGradGuard ng;
  p.block = nd == 0 ? x : permute(x, order).contiguous();
  return p;
}

Tensor run_sum(const Plan& p, DType dtype) {
  Tensor out = Tensor::empty(p.out_shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, std::int64_t>) {
      const T* in = p.block.data_ptr<T>();
      T* o = out.data_ptr<T>();
      for (std::int64_t r = 0; r < p.rows; ++r) {
        T s = 0;
        for (std::int64_t i = 0; i < p.len; ++i) s += in[r * p.len + i];
        o[r] = s;
      }
    } else {
      kernels::sum_rows<T>(p.block.data_ptr<T>(), out.data_ptr<T>(), p.rows, p.len);
    }
  });
  return out;
}

Tensor extreme(const Tensor& x, const Dims& dims, bool keepdim, bool is_max) {
  const char* op = is_max ? "max" : "min";
  Plan p = plan(x, dims, keepdim, op);
  if (p.len == 0)
    fail("{}: cannot reduce over an empty dimension (input shape {})", op, shape_str(x.shape()));
  Tensor out = Tensor::empty(p.out_shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::extreme_rows<T>(p.block.data_ptr<T>(), out.data_ptr<T>(), nullptr, p.rows, p.len,
                             is_max);
  });
  record(op, {x}, out, {.saved_inputs = autograd::saved(0), .saves_output = true},
         [x_saved = SavedTensor(x), keep = p.keep_shape, red = p.reduced](const Tensor& g,
                                                                          const Tensor& y) {
           const Tensor x = x_saved.get();
           // The gradient is shared equally among the positions that attain the extreme.
           const Tensor mask = eq(x, reshape(y, keep));
           const Tensor count = sum(mask, red, true);
           return TensorList{mul(mask, div(reshape(g, keep), count))};
         });
  return out;
}

Tensor arg_extreme(const Tensor& x, std::int64_t dim, bool keepdim, bool flat, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  detail::check_defined(x, op);
  const Tensor src = flat ? reshape(x, {-1}) : x;
  Plan p = plan(src, flat ? Dims{} : Dims{dim}, keepdim && !flat, op);
  if (p.len == 0)
    fail("{}: cannot reduce over an empty dimension (input shape {})", op, shape_str(x.shape()));
  Tensor out = Tensor::empty(p.out_shape, DType::Int64);
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::extreme_rows<T>(p.block.data_ptr<T>(), nullptr, out.data_ptr<std::int64_t>(), p.rows,
                             p.len, is_max);
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("sum", loc);
  Plan p = plan(x, dims, keepdim, "sum");
  Tensor out = run_sum(p, x.dtype());
  const Shape in_shape = x.shape();
  record("sum", {x}, out, {}, [in_shape, keep = p.keep_shape](const Tensor& g, const Tensor&) {
    return TensorList{expand(reshape(g, keep), in_shape)};
  });
  return out;
}
Tensor sum(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("sum", loc);
  return sum(x, {}, false);
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("mean", loc);
  detail::check_floating(x, "mean");
  const Plan p = plan(x, dims, keepdim, "mean", false);
  if (p.len == 0)
    fail("mean: cannot average over an empty dimension (input shape {})", shape_str(x.shape()));
  return div(sum(x, dims, keepdim), static_cast<double>(p.len));
}
Tensor mean(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("mean", loc);
  return mean(x, {}, false);
}

Tensor max(const Tensor& x, const Dims& dims, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("max", loc);
  return extreme(x, dims, keepdim, true);
}
Tensor max(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("max", loc);
  return extreme(x, {}, false, true);
}
Tensor min(const Tensor& x, const Dims& dims, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("min", loc);
  return extreme(x, dims, keepdim, false);
}
Tensor min(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("min", loc);
  return extreme(x, {}, false, false);
}

namespace {
Tensor var_impl(const Tensor& x, const Dims& dims, std::int64_t correction, bool keepdim,
                const char* op) {
  detail::check_floating(x, op);
  const std::int64_t n = plan(x, dims, keepdim, op, false).len;
  if (correction < 0) fail("{}: correction must be >= 0, got {}", op, correction);
  // Composed from ops, so every order of derivative comes for free.
  const Tensor d = sub(x, mean(x, dims, true));
  return div(sum(mul(d, d), dims, keepdim),
             static_cast<double>(std::max<std::int64_t>(n - correction, 0)));
}
}  // namespace

Tensor var(const Tensor& x, const Dims& dims, std::int64_t correction, bool keepdim,
           std::source_location loc) {
  const autograd::OpScope op_scope("var", loc);
  return var_impl(x, dims, correction, keepdim, "var");
}

Tensor std(const Tensor& x, const Dims& dims, std::int64_t correction, bool keepdim,
           std::source_location loc) {
  const autograd::OpScope op_scope("std", loc);
  return sqrt(var_impl(x, dims, correction, keepdim, "std"));
}

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("logsumexp", loc);
  detail::check_floating(x, "logsumexp");
  const Plan p = plan(x, dims, keepdim, "logsumexp", false);
  // The log of an empty sum, as in PyTorch.
  if (p.len == 0) return full(p.out_shape, -INFINITY, x.dtype());
  // Shift by the (constant) maximum for stability; an infinite maximum is replaced by 0 so that
  // all -inf rows give -inf rather than nan.
  Tensor m;
  {
    NoGradGuard ng;
    m = max(x, dims, true);
    m = where(eq(abs(m), INFINITY), zeros_like(m), m);
  }
  Tensor out = add(log(sum(exp(sub(x, m)), dims, true)), m);
  return keepdim ? out : reshape(out, p.out_shape);
}

Tensor argmax(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("argmax", loc);
  return arg_extreme(x, 0, false, true, true);
}
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("argmax", loc);
  return arg_extreme(x, dim, keepdim, false, true);
}
Tensor argmin(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("argmin", loc);
  return arg_extreme(x, 0, false, true, false);
}
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim, std::source_location loc) {
  const autograd::OpScope op_scope("argmin", loc);
  return arg_extreme(x, dim, keepdim, false, false);
}

Tensor sum_to(const Tensor& x, const Shape& shape, std::source_location loc) {
  const autograd::OpScope op_scope("sum_to", loc);
  if (x.shape() == shape) return x;
  const std::int64_t nd = x.dim(), lead = nd - static_cast<std::int64_t>(shape.size());
  if (lead < 0)
    fail("sum_to: cannot sum shape {} to the larger rank shape {}", shape_str(x.shape()),
         shape_str(shape));
  Dims dims;
  for (std::int64_t d = 0; d < nd; ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && x.shape()[d] != 1) {
      dims.push_back(d);
    } else if (shape[d - lead] != x.shape()[d]) {
      fail("sum_to: shape {} cannot be summed to {}", shape_str(x.shape()), shape_str(shape));
    }
  }
  if (dims.empty()) return reshape(x, shape);
  return reshape(sum(x, dims, true), shape);
}

Tensor Tensor::sum(std::source_location loc) const { return tg::sum(*this, loc); }
Tensor Tensor::mean(std::source_location loc) const { return tg::mean(*this, loc); }

}  // namespace tg
