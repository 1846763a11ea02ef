#include "tapegrad/ops/shape.hpp"

#include "tapegrad/autograd/observe.hpp"

#include <cstring>
#include <functional>
#include <numeric>
#include <optional>

#include <fmt/ranges.h>

#include "tapegrad/core/creation.hpp"
#include "tapegrad/ops/detail.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"

namespace tg {

using autograd::SavedTensor;

using autograd::record;

namespace {

Tensor make_view(const Tensor& base, Shape shape, Shape strides, std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

Shape infer_shape(const Shape& shape, std::int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) fail("{}: only one dimension can be -1, got {}", op, shape_str(shape));
      infer = static_cast<std::int64_t>(i);
    } else if (out[i] < 0) {
      fail("{}: invalid dimension {} in shape {}", op, out[i], shape_str(shape));
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      fail("{}: shape {} is invalid for input of shape {} ({} elements)", op, shape_str(shape),
           shape_str(from), numel);
    out[static_cast<std::size_t>(infer)] = numel / known;
  } else if (known != numel) {
    fail("{}: shape {} ({} elements) is invalid for input of shape {} ({} elements)", op,
         shape_str(shape), known, shape_str(from), numel);
  }
  return out;
}

// Strides that let `shape` view memory laid out as (old_shape, old_strides), if any exist.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides,
                                  const Shape& shape) {
  Shape st(shape.size());
  if (old_shape.empty() || numel_of(old_shape) == 0) return contiguous_strides(shape);
  // Walk groups of old dims that are contiguous among themselves and match them to new dims.
  std::int64_t view_d = static_cast<std::int64_t>(shape.size()) - 1;
  std::int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t d = static_cast<std::int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 ||
        (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        st[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}

void check_index(const Tensor& index, const char* op) {
  if (!index.defined()) fail("{}: index is an undefined tensor", op);
  if (index.dtype() != DType::Int64) fail("{}: index must be int64, got {}", op, index.dtype());
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape_in, std::source_location loc) {
  const autograd::OpScope op_scope("view", loc);
  detail::check_defined(x, "view");
  const Shape shape = infer_shape(shape_in, x.numel(), "view", x.shape());
  auto st = view_strides(x.shape(), x.strides(), shape);
  if (!st)
    fail(
        "view: shape {} is not compatible with the input's layout (shape {}, strides {}); use "
        "reshape(), which copies when it must",
        shape_str(shape), shape_str(x.shape()), shape_str(x.strides()));
  Tensor out = make_view(x, shape, *st, x.offset());
  const Shape in_shape = x.shape();
  record("view", {x}, out, {},
         [in_shape](const Tensor& g, const Tensor&) { return TensorList{reshape(g, in_shape)}; });
  return out;
}

Tensor reshape(const Tensor& x, const Shape& shape_in, std::source_location loc) {
  const autograd::OpScope op_scope("reshape", loc);
  detail::check_defined(x, "reshape");
  const Shape shape = infer_shape(shape_in, x.numel(), "reshape", x.shape());
  if (shape == x.shape()) return x;
  if (view_strides(x.shape(), x.strides(), shape)) return view(x, shape);
  return view(x.contiguous(), shape);
}

Tensor flatten(const Tensor& x, std::int64_t start, std::int64_t end, std::source_location loc) {
  const autograd::OpScope op_scope("flatten", loc);
  detail::check_defined(x, "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  start = normalize_dim(start, x.dim(), "flatten");
  end = normalize_dim(end, x.dim(), "flatten");
  if (start > end) fail("flatten: start_dim {} must not come after end_dim {}", start, end);
  Shape s;
  for (std::int64_t d = 0; d < start; ++d) s.push_back(x.shape()[d]);
  std::int64_t m = 1;
  for (std::int64_t d = start; d <= end; ++d) m *= x.shape()[d];
  s.push_back(m);
  for (std::int64_t d = end + 1; d < x.dim(); ++d) s.push_back(x.shape()[d]);
  return reshape(x, s);
}

Tensor transpose(const Tensor& x, std::int64_t d0, std::int64_t d1, std::source_location loc) {
  const autograd::OpScope op_scope("transpose", loc);
  detail::check_defined(x, "transpose");
  if (x.dim() == 0) return x;
  d0 = normalize_dim(d0, x.dim(), "transpose");
  d1 = normalize_dim(d1, x.dim(), "transpose");
  Shape s = x.shape(), st = x.strides();
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  Tensor out = make_view(x, s, st, x.offset());
  record("transpose", {x}, out, {},
         [d0, d1](const Tensor& g, const Tensor&) { return TensorList{transpose(g, d0, d1)}; });
  return out;
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims_in,
               std::source_location loc) {
  const autograd::OpScope op_scope("permute", loc);
  detail::check_defined(x, "permute");
  const auto nd = x.dim();
  if (static_cast<std::int64_t>(dims_in.size()) != nd)
    fail("permute: {} dims given ({}) for a tensor with {} dimensions", dims_in.size(),
         fmt::join(dims_in, ", "), nd);
  std::vector<std::int64_t> dims(dims_in.size()), inv(dims_in.size(), -1);
  Shape s(dims.size()), st(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    dims[i] = normalize_dim(dims_in[i], nd, "permute");
    if (inv[dims[i]] != -1)
      fail("permute: dimension {} appears twice in ({}) for input of shape {}", dims[i],
           fmt::join(dims_in, ", "), shape_str(x.shape()));
    inv[dims[i]] = static_cast<std::int64_t>(i);
    s[i] = x.shape()[dims[i]];
    st[i] = x.strides()[dims[i]];
  }
  Tensor out = make_view(x, s, st, x.offset());
  record("permute", {x}, out, {},
         [inv](const Tensor& g, const Tensor&) { return TensorList{permute(g, inv)}; });
  return out;
}

Tensor squeeze(const Tensor& x, std::source_location loc) {
  const autograd::OpScope op_scope("squeeze", loc);
  detail::check_defined(x, "squeeze");
  Shape s;
  for (auto d : x.shape())
    if (d != 1) s.push_back(d);
  return s.size() == x.shape().size() ? x : view(x, s);
}

Tensor squeeze(const Tensor& x, std::int64_t dim, std::source_location loc) {
  const autograd::OpScope op_scope("squeeze", loc);
  detail::check_defined(x, "squeeze");
  if (x.dim() == 0) return x;
  dim = normalize_dim(dim, x.dim(), "squeeze");
  if (x.shape()[dim] != 1) return x;  // as PyTorch: a no-op for a dimension of size != 1
  Shape s = x.shape();
  s.erase(s.begin() + dim);
  return view(x, s);
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim, std::source_location loc) {
  const autograd::OpScope op_scope("unsqueeze", loc);
  detail::check_defined(x, "unsqueeze");
  dim = normalize_dim(dim, x.dim() + 1, "unsqueeze");
  Shape s = x.shape(), st = x.strides();
  const std::int64_t new_stride = dim < x.dim() ? st[dim] * s[dim] : 1;
  s.insert(s.begin() + dim, 1);
  st.insert(st.begin() + dim, new_stride);
  Tensor out = make_view(x, s, st, x.offset());
  const Shape in_shape = x.shape();
  record("unsqueeze", {x}, out, {},
         [in_shape](const Tensor& g, const Tensor&) { return TensorList{reshape(g, in_shape)}; });
  return out;
}

Tensor expand(const Tensor& x, const Shape& shape, std::source_location loc) {
  const autograd::OpScope op_scope("expand", loc);
  detail::check_defined(x, "expand");
  if (shape.size() < x.shape().size())
    fail("expand: target shape {} has fewer dimensions than the input shape {}", shape_str(shape),
         shape_str(x.shape()));
  const std::size_t lead = shape.size() - x.shape().size();
  Shape s(shape.size()), st(shape.size(), 0);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      if (shape[i] < 0)
        fail("expand: size {} is not allowed for a new leading dimension (target {}, input {})",
             shape[i], shape_str(shape), shape_str(x.shape()));
      s[i] = shape[i];
      continue;
    }
    const std::int64_t have = x.shape()[i - lead];
    if (shape[i] < -1)
      fail("expand: invalid size {} in target shape {} (input {})", shape[i], shape_str(shape),
           shape_str(x.shape()));
    const std::int64_t want = shape[i] == -1 ? have : shape[i];
    if (have == want) {
      s[i] = have;
      st[i] = x.strides()[i - lead];
    } else if (have == 1) {
      s[i] = want;
    } else {
      fail(
          "expand: input shape {} cannot be expanded to {} (dimension {} is {}, only size-1 "
          "dimensions can be expanded)",
          shape_str(x.shape()), shape_str(shape), i, have);
    }
  }
  if (s == x.shape()) return x;
  Tensor out = make_view(x, s, st, x.offset());
  const Shape in_shape = x.shape();
  record("expand", {x}, out, {},
         [in_shape](const Tensor& g, const Tensor&) { return TensorList{sum_to(g, in_shape)}; });
  return out;
}

namespace {
// The backward of slice: g placed into zeros of the input's shape. Its own backward is slice.
Tensor slice_backward(const Tensor& g, const Shape& in_shape, std::int64_t dim, std::int64_t start,
                      std::int64_t end, std::int64_t step) {
  Tensor out = zeros(in_shape, g.dtype());
  {
    NoGradGuard ng;
    slice(out, dim, start, end, step).copy_(g);
  }
  record("slice_backward", {g}, out, {}, [dim, start, end, step](const Tensor& gg, const Tensor&) {
    return TensorList{slice(gg, dim, start, end, step)};
  });
  return out;
}
}  // namespace

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step, std::source_location loc) {
  const autograd::OpScope op_scope("slice", loc);
  detail::check_defined(x, "slice");
  if (x.dim() == 0) fail("slice: cannot slice a 0-d tensor");
  dim = normalize_dim(dim, x.dim(), "slice");
  if (step <= 0) fail("slice: step must be positive, got {}", step);
  const std::int64_t n = x.shape()[dim];
  auto clampi = [n](std::int64_t v) {
    if (v < 0) v += n;
    return std::clamp<std::int64_t>(v, 0, n);
  };
  start = clampi(start);
  end = std::max(clampi(end), start);
  Shape s = x.shape(), st = x.strides();
  s[dim] = (end - start + step - 1) / step;
  st[dim] *= step;
  Tensor out = make_view(x, s, st, x.offset() + start * x.strides()[dim]);
  const Shape in_shape = x.shape();
  record("slice", {x}, out, {}, [=](const Tensor& g, const Tensor&) {
    return TensorList{slice_backward(g, in_shape, dim, start, end, step)};
  });
  return out;
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length,
              std::source_location loc) {
  const autograd::OpScope op_scope("narrow", loc);
  detail::check_defined(x, "narrow");
  dim = normalize_dim(dim, x.dim(), "narrow");
  const std::int64_t n = x.shape()[dim];
  if (start < 0) start += n;
  if (start < 0 || length < 0 || start + length > n)
    fail("narrow: start {} and length {} do not fit dimension {} of size {}", start, length, dim,
         n);
  return slice(x, dim, start, start + length);
}

// ---------------------------------------------------------------- index ops

namespace {
// Offsets for iterating a contiguous index tensor: calls f(flat index i, multi-index).
template <class F>
void for_each_multi(const Shape& shape, F&& f) {
  const std::int64_t n = numel_of(shape);
  std::vector<std::int64_t> idx(shape.size(), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, idx);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

std::int64_t checked_index(std::int64_t v, std::int64_t n, const char* op) {
  if (v < -n || v >= n) fail("{}: index {} is out of range for a dimension of size {}", op, v, n);
  return v < 0 ? v + n : v;
}
}  // namespace

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                    std::source_location loc) {
  const autograd::OpScope op_scope("index_select", loc);
  detail::check_defined(x, "index_select");
  check_index(index, "index_select");
  if (index.dim() > 1)
    fail("index_select: index must be 0-d or 1-D, got shape {}", shape_str(index.shape()));
  const Tensor idx = index.reshape({-1}).contiguous();
  dim = normalize_dim(dim, x.dim(), "index_select");
  const std::int64_t k = idx.numel(), n = x.dim() == 0 ? 1 : x.shape()[dim];
  const auto* ip = idx.data_ptr<std::int64_t>();
  std::vector<std::int64_t> rows(static_cast<std::size_t>(k));
  for (std::int64_t i = 0; i < k; ++i) rows[i] = checked_index(ip[i], n, "index_select");
  Shape s = x.shape();
  if (x.dim() > 0) s[dim] = k;
  Tensor out = Tensor::empty(s, x.dtype());
  if (x.is_contiguous() && x.dim() > 0 && out.numel() > 0) {
    // The common case (a batch of rows gathered from a dataset): each selected slice is `inner`
    // contiguous elements in each of `outer` blocks; copy them as such.
    const std::int64_t outer =
        std::accumulate(s.begin(), s.begin() + dim, std::int64_t{1}, std::multiplies<>());
    const std::int64_t inner =
        std::accumulate(s.begin() + dim + 1, s.end(), std::int64_t{1}, std::multiplies<>());
    const std::size_t es = dtype_size(x.dtype()), bytes = static_cast<std::size_t>(inner) * es;
    const auto* src = static_cast<const unsigned char*>(x.raw_data());
    auto* dst = static_cast<unsigned char*>(out.raw_data());
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t i = 0; i < k; ++i)
        std::memcpy(dst + static_cast<std::size_t>(o * k + i) * bytes,
                    src + static_cast<std::size_t>(o * n + rows[i]) * bytes, bytes);
  } else {
    NoGradGuard ng;
    for (std::int64_t i = 0; i < k; ++i) narrow(out, dim, i, 1).copy_(narrow(x, dim, rows[i], 1));
  }
  const Shape in_shape = x.shape();
  record("index_select", {x}, out, {},
         [in_shape, dim, idx_saved = SavedTensor(idx)](const Tensor& g, const Tensor&) {
           const Tensor idx = idx_saved.get();
           return TensorList{index_add(zeros(in_shape, g.dtype()), dim, idx, g)};
         });
  return out;
}

Tensor index_add(const Tensor& base, std::int64_t dim, const Tensor& index, const Tensor& src,
                 std::source_location loc) {
  const autograd::OpScope op_scope("index_add", loc);
  detail::check_defined(base, "index_add");
  check_index(index, "index_add");
  detail::check_same_dtype(base, src, "index_add");
  if (index.dim() > 1)
    fail("index_add: index must be 0-d or 1-D, got shape {}", shape_str(index.shape()));
  const Tensor idx = index.reshape({-1}).contiguous();
  dim = normalize_dim(dim, base.dim(), "index_add");
  Shape want = base.shape();
  want[dim] = idx.numel();
  if (src.shape() != want)
    fail("index_add: source shape {} does not match {} (base {} with dimension {} of size {})",
         shape_str(src.shape()), shape_str(want), shape_str(base.shape()), dim, idx.numel());
  const std::int64_t n = base.shape()[dim];
  Tensor out;
  {
    NoGradGuard ng;
    out = base.clone();
    const auto* ip = idx.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < idx.numel(); ++i)
      narrow(out, dim, checked_index(ip[i], n, "index_add"), 1).add_(narrow(src, dim, i, 1));
  }
  record("index_add", {base, src}, out, {},
         [dim, idx_saved = SavedTensor(idx)](const Tensor& g, const Tensor&) {
           const Tensor idx = idx_saved.get();
           return TensorList{g, index_select(g, dim, idx)};
         });
  return out;
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index, std::source_location loc) {
  const autograd::OpScope op_scope("gather", loc);
  detail::check_defined(x, "gather");
  check_index(index, "gather");
  dim = normalize_dim(dim, x.dim(), "gather");
  if (index.dim() != x.dim())
    fail("gather: index has {} dimensions but the input has {} (input {}, index {})", index.dim(),
         x.dim(), shape_str(x.shape()), shape_str(index.shape()));
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (d != dim && index.shape()[d] > x.shape()[d])
      fail("gather: index shape {} exceeds input shape {} in dimension {}",
           shape_str(index.shape()), shape_str(x.shape()), d);
  const Tensor idx = index.contiguous();
  Tensor out = Tensor::empty(idx.shape(), x.dtype());
  const auto* ip = idx.data_ptr<std::int64_t>();
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op = out.data_ptr<T>();
    for_each_multi(idx.shape(), [&](std::int64_t i, const std::vector<std::int64_t>& m) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < m.size(); ++d)
        off += (static_cast<std::int64_t>(d) == dim ? checked_index(ip[i], x.shape()[d], "gather")
                                                    : m[d]) *
               x.strides()[d];
      op[i] = xp[off];
    });
  });
  const Shape in_shape = x.shape();
  record("gather", {x}, out, {},
         [in_shape, dim, idx_saved = SavedTensor(idx)](const Tensor& g, const Tensor&) {
           const Tensor idx = idx_saved.get();
           return TensorList{scatter_add(zeros(in_shape, g.dtype()), dim, idx, g)};
         });
  return out;
}

Tensor scatter_add(const Tensor& base, std::int64_t dim, const Tensor& index, const Tensor& src,
                   std::source_location loc) {
  const autograd::OpScope op_scope("scatter_add", loc);
  detail::check_defined(base, "scatter_add");
  check_index(index, "scatter_add");
  detail::check_same_dtype(base, src, "scatter_add");
  dim = normalize_dim(dim, base.dim(), "scatter_add");
  if (index.dim() != base.dim() || src.dim() != base.dim())
    fail("scatter_add: base {}, index {} and src {} must have the same number of dimensions",
         shape_str(base.shape()), shape_str(index.shape()), shape_str(src.shape()));
  for (std::int64_t d = 0; d < base.dim(); ++d) {
    if (index.shape()[d] > src.shape()[d] || (d != dim && index.shape()[d] > base.shape()[d]))
      fail("scatter_add: index shape {} does not fit src {} and base {}", shape_str(index.shape()),
           shape_str(src.shape()), shape_str(base.shape()));
  }
  const Tensor idx = index.contiguous();
  Tensor out;
  {
    NoGradGuard ng;
    out = base.clone();
  }
  const auto* ip = idx.data_ptr<std::int64_t>();
  dispatch(base.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* sp = static_cast<const T*>(src.raw_data());
    T* op = out.data_ptr<T>();
    const Shape ost = out.strides();
    for_each_multi(idx.shape(), [&](std::int64_t i, const std::vector<std::int64_t>& m) {
      std::int64_t o = 0, s = 0;
      for (std::size_t d = 0; d < m.size(); ++d) {
        o += (static_cast<std::int64_t>(d) == dim
                  ? checked_index(ip[i], base.shape()[d], "scatter_add")
                  : m[d]) *
             ost[d];
        s += m[d] * src.strides()[d];
      }
      op[o] += sp[s];
    });
  });
  record(
      "scatter_add", {base, src}, out, {},
      [dim, idx_saved = SavedTensor(idx), src_shape = src.shape()](const Tensor& g, const Tensor&) {
        const Tensor idx = idx_saved.get();
        Tensor gs = gather(g, dim, idx);
        if (gs.shape() != src_shape)
          gs = pad(gs, [&] {
            std::vector<std::int64_t> p;
            for (std::size_t d = src_shape.size(); d-- > 0;) {
              p.push_back(0);
              p.push_back(src_shape[d] - gs.shape()[d]);
            }
            return p;
          }());
        return TensorList{g, gs};
      });
  return out;
}

Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim, std::source_location loc) {
  const autograd::OpScope op_scope("cat", loc);
  if (xs.empty()) fail("cat: expected a non-empty list of tensors");
  for (std::size_t i = 0; i < xs.size(); ++i) detail::check_defined(xs[i], "cat");
  const Tensor& f = xs[0];
  if (f.dim() == 0) fail("cat: zero-dimensional tensor (input 0) cannot be concatenated");
  dim = normalize_dim(dim, f.dim(), "cat");
  Shape s = f.shape();
  s[dim] = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    detail::check_same_dtype(f, x, "cat");
    bool ok = x.dim() == f.dim();
    for (std::int64_t d = 0; ok && d < f.dim(); ++d) ok = d == dim || x.shape()[d] == f.shape()[d];
    if (!ok)
      fail(
          "cat: input {} has shape {} but input 0 has shape {}; all must match except in "
          "dimension {}",
          i, shape_str(x.shape()), shape_str(f.shape()), dim);
    s[dim] += x.shape()[dim];
  }
  Tensor out = Tensor::empty(s, f.dtype());
  std::vector<std::int64_t> starts;
  {
    NoGradGuard ng;
    std::int64_t at = 0;
    for (const Tensor& x : xs) {
      starts.push_back(at);
      narrow(out, dim, at, x.shape()[dim]).copy_(x);
      at += x.shape()[dim];
    }
  }
  std::vector<std::int64_t> lens;
  for (const Tensor& x : xs) lens.push_back(x.shape()[dim]);
  record("cat", xs, out, {}, [dim, starts, lens](const Tensor& g, const Tensor&) {
    TensorList gs;
    for (std::size_t i = 0; i < starts.size(); ++i)
      gs.push_back(narrow(g, dim, starts[i], lens[i]));
    return gs;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim, std::source_location loc) {
  const autograd::OpScope op_scope("stack", loc);
  if (xs.empty()) fail("stack: expected a non-empty list of tensors");
  for (const Tensor& x : xs) detail::check_defined(x, "stack");
  for (std::size_t i = 1; i < xs.size(); ++i)
    if (xs[i].shape() != xs[0].shape())
      fail("stack: input {} has shape {} but input 0 has shape {}; all must be equal", i,
           shape_str(xs[i].shape()), shape_str(xs[0].shape()));
  dim = normalize_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> u;
  for (const Tensor& x : xs) u.push_back(unsqueeze(x, dim));
  return cat(u, dim);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim,
                          std::source_location loc) {
  const autograd::OpScope op_scope("split", loc);
  detail::check_defined(x, "split");
  if (split_size <= 0) fail("split: split_size must be positive, got {}", split_size);
  dim = normalize_dim(dim, x.dim(), "split");
  std::vector<Tensor> out;
  const std::int64_t n = x.shape()[dim];
  for (std::int64_t at = 0; at < n; at += split_size)
    out.push_back(narrow(x, dim, at, std::min(split_size, n - at)));
  if (out.empty()) out.push_back(x);
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim,
                          std::source_location loc) {
  const autograd::OpScope op_scope("split", loc);
  detail::check_defined(x, "split");
  dim = normalize_dim(dim, x.dim(), "split");
  for (auto s : sizes)
    if (s < 0) fail("split: negative size {} in ({})", s, fmt::join(sizes, ", "));
  const std::int64_t total = std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0});
  if (total != x.shape()[dim])
    fail("split: sizes ({}) add up to {} but dimension {} of the input {} has size {}",
         fmt::join(sizes, ", "), total, dim, shape_str(x.shape()), x.shape()[dim]);
  std::vector<Tensor> out;
  std::int64_t at = 0;
  for (auto s : sizes) {
    out.push_back(narrow(x, dim, at, s));
    at += s;
  }
  return out;
}

Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value,
           std::source_location loc) {
  const autograd::OpScope op_scope("pad", loc);
  detail::check_defined(x, "pad");
  if (pads.size() % 2 != 0 || static_cast<std::int64_t>(pads.size()) > 2 * x.dim())
    fail("pad: expected an even number of pads, at most 2 per dimension of the input {}, got {}",
         shape_str(x.shape()), pads.size());
  Shape s = x.shape();
  std::vector<std::int64_t> lo(s.size(), 0);
  for (std::size_t i = 0; i < pads.size() / 2; ++i) {
    const std::size_t d = s.size() - 1 - i;
    const std::int64_t l = pads[2 * i], r = pads[2 * i + 1];
    if (l < 0 || r < 0)
      fail("pad: negative padding ({}) is not supported (input {})", fmt::join(pads, ", "),
           shape_str(x.shape()));
    lo[d] = l;
    s[d] += l + r;
  }
  Tensor out = full(s, value, x.dtype());
  auto interior = [lo](const Tensor& t, const Shape& inner) {
    Tensor v = t;
    for (std::size_t d = 0; d < inner.size(); ++d)
      v = narrow(v, static_cast<std::int64_t>(d), lo[d], inner[d]);
    return v;
  };
  {
    NoGradGuard ng;
    interior(out, x.shape()).copy_(x);
  }
  const Shape in_shape = x.shape();
  record("pad", {x}, out, {}, [interior, in_shape](const Tensor& g, const Tensor&) {
    return TensorList{interior(g, in_shape)};
  });
  return out;
}

// ---------------------------------------------------------------- Tensor methods

Tensor Tensor::view(const Shape& s, std::source_location loc) const {
  return tg::view(*this, s, loc);
}
Tensor Tensor::reshape(const Shape& s, std::source_location loc) const {
  return tg::reshape(*this, s, loc);
}
Tensor Tensor::flatten(std::int64_t a, std::int64_t b, std::source_location loc) const {
  return tg::flatten(*this, a, b, loc);
}
Tensor Tensor::transpose(std::int64_t a, std::int64_t b, std::source_location loc) const {
  return tg::transpose(*this, a, b, loc);
}
Tensor Tensor::t(std::source_location loc) const {
  if (dim() > 2)
    fail("t(): expects a tensor with <= 2 dimensions, got shape {}", shape_str(shape()));
  return dim() < 2 ? *this : tg::transpose(*this, 0, 1, loc);
}
Tensor Tensor::permute(const std::vector<std::int64_t>& d, std::source_location loc) const {
  return tg::permute(*this, d, loc);
}
Tensor Tensor::squeeze(std::source_location loc) const { return tg::squeeze(*this, loc); }
Tensor Tensor::squeeze(std::int64_t d, std::source_location loc) const {
  return tg::squeeze(*this, d, loc);
}
Tensor Tensor::unsqueeze(std::int64_t d, std::source_location loc) const {
  return tg::unsqueeze(*this, d, loc);
}
Tensor Tensor::expand(const Shape& s, std::source_location loc) const {
  return tg::expand(*this, s, loc);
}
Tensor Tensor::slice(std::int64_t d, std::int64_t a, std::int64_t b, std::int64_t st,
                     std::source_location loc) const {
  return tg::slice(*this, d, a, b, st, loc);
}
Tensor Tensor::narrow(std::int64_t d, std::int64_t a, std::int64_t l,
                      std::source_location loc) const {
  return tg::narrow(*this, d, a, l, loc);
}

}  // namespace tg
