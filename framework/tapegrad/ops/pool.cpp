// Pooling ops. Each forward and its backward are an adjoint pair of linear maps (for max pooling,
// once the argmax positions are fixed), recorded so that each one's backward is the other:
//   max_pool2d        -> scatter of g to the argmax positions  -> gather at those positions -> ...
//   avg_pool2d        -> avg_pool2d_backward                     -> avg_pool2d              -> ...
//   adaptive_avg_pool2d -> adaptive_avg_pool2d_backward          -> adaptive_avg_pool2d     -> ...
#include "tapegrad/ops/pool.hpp"

#include "tapegrad/autograd/observe.hpp"

#include "tapegrad/kernels/pool.hpp"
#include "tapegrad/ops/detail.hpp"

namespace tg {

using autograd::SavedTensor;

using autograd::record;

using detail::contig;

namespace {

std::string size_str(const Size2& s) { return fmt::format("({}, {})", s.h, s.w); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// PyTorch's pooling_output_shape.
std::int64_t pool_out(std::int64_t in, std::int64_t k, std::int64_t p, std::int64_t s,
                      std::int64_t d, bool ceil_mode) {
  std::int64_t out = floor_div(in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

void check_input(const Tensor& x, const char* op) {
  detail::check_defined(x, op);
  detail::check_floating(x, op);
  if (x.dim() != 3 && x.dim() != 4)
    fail("{}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {}", op,
         shape_str(x.shape()));
  for (std::int64_t d = x.dim() - 3; d < x.dim(); ++d)
    if (x.shape()[static_cast<std::size_t>(d)] == 0)
      fail("{}: input of shape {} has an empty channel or spatial dimension", op,
           shape_str(x.shape()));
}

struct Setup {
  kernels::Pool2dGeometry g;
  Shape out_shape;
};

// Geometry for an input x and output size (OH, OW); planes = all leading dimensions.
Setup make_setup(const Tensor& x, std::int64_t OH, std::int64_t OW) {
  Setup s;
  const Shape& xs = x.shape();
  s.g.planes = 1;
  for (std::size_t d = 0; d + 2 < xs.size(); ++d) s.g.planes *= xs[d];
  s.g.H = xs[xs.size() - 2];
  s.g.W = xs[xs.size() - 1];
  s.g.OH = OH;
  s.g.OW = OW;
  s.out_shape = xs;
  s.out_shape[xs.size() - 2] = OH;
  s.out_shape[xs.size() - 1] = OW;
  return s;
}

// Checks a windowed pooling's arguments (PyTorch's pool2d_shape_check) and sizes it.
Setup window_setup(const char* op, const Tensor& x, Size2 kernel, Size2 stride, Size2 padding,
                   Size2 dilation, bool ceil_mode) {
  check_input(x, op);
  if (!kernel.given || kernel.h <= 0 || kernel.w <= 0)
    fail("{}: kernel size must be positive, got {}", op, size_str(kernel));
  if (!stride.given) stride = kernel;
  if (stride.h <= 0 || stride.w <= 0)
    fail("{}: stride must be positive, got {}", op, size_str(stride));
  if (!padding.given) padding = 0;
  if (padding.h < 0 || padding.w < 0)
    fail("{}: padding must be non-negative, got {}", op, size_str(padding));
  if (!dilation.given) dilation = 1;
  if (dilation.h <= 0 || dilation.w <= 0)
    fail("{}: dilation must be positive, got {}", op, size_str(dilation));
  if (padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
    fail("{}: padding should be at most half of the kernel size, got padding {} with kernel {}", op,
         size_str(padding), size_str(kernel));
  const std::int64_t H = x.shape()[static_cast<std::size_t>(x.dim() - 2)];
  const std::int64_t W = x.shape()[static_cast<std::size_t>(x.dim() - 1)];
  const std::int64_t OH = pool_out(H, kernel.h, padding.h, stride.h, dilation.h, ceil_mode);
  const std::int64_t OW = pool_out(W, kernel.w, padding.w, stride.w, dilation.w, ceil_mode);
  if (OH < 1 || OW < 1)
    fail(
        "{}: output size is too small: input {} with kernel {}, stride {}, padding {}, dilation {} "
        "gives {} x {}",
        op, shape_str(x.shape()), size_str(kernel), size_str(stride), size_str(padding),
        size_str(dilation), OH, OW);
  Setup s = make_setup(x, OH, OW);
  s.g.kH = kernel.h;
  s.g.kW = kernel.w;
  s.g.sH = stride.h;
  s.g.sW = stride.w;
  s.g.pH = padding.h;
  s.g.pW = padding.w;
  s.g.dH = dilation.h;
  s.g.dW = dilation.w;
  return s;
}

// ---------------------------------------------------------------- max pooling: scatter / gather

Tensor max_pool_gather(const Tensor& x, const Tensor& idx);

// gx of shape x_shape with g added at the argmax positions idx (same shape as g).
Tensor max_pool_scatter(const Tensor& g, const Tensor& idx, const Shape& x_shape) {
  Tensor out = Tensor::empty(x_shape, g.dtype());
  const std::int64_t H = x_shape[x_shape.size() - 2], W = x_shape[x_shape.size() - 1];
  const std::int64_t OH = idx.shape()[idx.shape().size() - 2], OW = idx.shape().back();
  {
    const Tensor gc = contig(g);
    detail::dispatch_floating(g.dtype(), "max_pool2d_backward", [&](auto tag) {
      using T = decltype(tag);
      kernels::pool_scatter<T>(gc.data_ptr<T>(), idx.data_ptr<std::int64_t>(),
                               idx.numel() / std::max<std::int64_t>(OH * OW, 1), H, W, OH, OW,
                               out.data_ptr<T>());
    });
  }
  record("max_pool2d_backward", {g}, out, {},
         [idx_saved = SavedTensor(idx)](const Tensor& G, const Tensor&) {
           const Tensor idx = idx_saved.get();
           return TensorList{max_pool_gather(G, idx)};
         });
  return out;
}

// x at the argmax positions idx: the adjoint of max_pool_scatter.
Tensor max_pool_gather(const Tensor& x, const Tensor& idx) {
  Tensor out = Tensor::empty(idx.shape(), x.dtype());
  const Shape xs = x.shape();
  const std::int64_t in_size = xs[xs.size() - 2] * xs[xs.size() - 1];
  const std::int64_t out_size = idx.shape()[idx.shape().size() - 2] * idx.shape().back();
  {
    const Tensor xc = contig(x);
    detail::dispatch_floating(x.dtype(), "max_pool2d_gather", [&](auto tag) {
      using T = decltype(tag);
      kernels::pool_gather<T>(xc.data_ptr<T>(), idx.data_ptr<std::int64_t>(),
                              idx.numel() / out_size, in_size, out_size, out.data_ptr<T>());
    });
  }
  record("max_pool2d_gather", {x}, out, {},
         [idx_saved = SavedTensor(idx), xs](const Tensor& G, const Tensor&) {
           const Tensor idx = idx_saved.get();
           return TensorList{max_pool_scatter(G, idx, xs)};
         });
  return out;
}

// ---------------------------------------------------------------- average pooling pair

Tensor avg_backward(const Tensor& g, const kernels::Pool2dGeometry& geo, bool cip,
                    const Shape& x_shape);

Tensor avg_forward(const Tensor& x, const kernels::Pool2dGeometry& geo, bool cip,
                   const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype());
  {
    const Tensor xc = contig(x);
    detail::dispatch_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
      using T = decltype(tag);
      kernels::avg_pool2d_forward<T>(xc.data_ptr<T>(), geo, cip, out.data_ptr<T>());
    });
  }
  record("avg_pool2d", {x}, out, {}, [geo, cip, xs = x.shape()](const Tensor& G, const Tensor&) {
    return TensorList{avg_backward(G, geo, cip, xs)};
  });
  return out;
}

Tensor avg_backward(const Tensor& g, const kernels::Pool2dGeometry& geo, bool cip,
                    const Shape& x_shape) {
  Tensor out = Tensor::empty(x_shape, g.dtype());
  {
    const Tensor gc = contig(g);
    detail::dispatch_floating(g.dtype(), "avg_pool2d_backward", [&](auto tag) {
      using T = decltype(tag);
      kernels::avg_pool2d_backward<T>(gc.data_ptr<T>(), geo, cip, out.data_ptr<T>());
    });
  }
  record("avg_pool2d_backward", {g}, out, {},
         [geo, cip, gs = g.shape()](const Tensor& G, const Tensor&) {
           return TensorList{avg_forward(G, geo, cip, gs)};
         });
  return out;
}

// ---------------------------------------------------------------- adaptive average pooling pair

Tensor adaptive_backward(const Tensor& g, const kernels::Pool2dGeometry& geo, const Shape& x_shape);

Tensor adaptive_forward(const Tensor& x, const kernels::Pool2dGeometry& geo,
                        const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype());
  {
    const Tensor xc = contig(x);
    detail::dispatch_floating(x.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
      using T = decltype(tag);
      kernels::adaptive_avg_pool2d_forward<T>(xc.data_ptr<T>(), geo, out.data_ptr<T>());
    });
  }
  record("adaptive_avg_pool2d", {x}, out, {},
         [geo, xs = x.shape()](const Tensor& G, const Tensor&) {
           return TensorList{adaptive_backward(G, geo, xs)};
         });
  return out;
}

Tensor adaptive_backward(const Tensor& g, const kernels::Pool2dGeometry& geo,
                         const Shape& x_shape) {
  Tensor out = Tensor::empty(x_shape, g.dtype());
  {
    const Tensor gc = contig(g);
    detail::dispatch_floating(g.dtype(), "adaptive_avg_pool2d_backward", [&](auto tag) {
      using T = decltype(tag);
      kernels::adaptive_avg_pool2d_backward<T>(gc.data_ptr<T>(), geo, out.data_ptr<T>());
    });
  }
  record("adaptive_avg_pool2d_backward", {g}, out, {},
         [geo, gs = g.shape()](const Tensor& G, const Tensor&) {
           return TensorList{adaptive_forward(G, geo, gs)};
         });
  return out;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation,
                  bool ceil_mode, std::source_location loc) {
  const autograd::OpScope op_scope("max_pool2d", loc);
  const Setup s = window_setup("max_pool2d", x, kernel, stride, padding, dilation, ceil_mode);
  Tensor out = Tensor::empty(s.out_shape, x.dtype());
  Tensor idx = Tensor::empty(s.out_shape, DType::Int64);
  {
    const Tensor xc = contig(x);
    detail::dispatch_floating(x.dtype(), "max_pool2d", [&](auto tag) {
      using T = decltype(tag);
      kernels::max_pool2d_forward<T>(xc.data_ptr<T>(), s.g, out.data_ptr<T>(),
                                     idx.data_ptr<std::int64_t>());
    });
  }
  record("max_pool2d", {x}, out, {},
         [idx_saved = SavedTensor(idx), xs = x.shape()](const Tensor& G, const Tensor&) {
           const Tensor idx = idx_saved.get();
           return TensorList{max_pool_scatter(G, idx, xs)};
         });
  return out;
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, bool ceil_mode,
                  bool count_include_pad, std::source_location loc) {
  const autograd::OpScope op_scope("avg_pool2d", loc);
  const Setup s = window_setup("avg_pool2d", x, kernel, stride, padding, 1, ceil_mode);
  return avg_forward(x, s.g, count_include_pad, s.out_shape);
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size, std::source_location loc) {
  const autograd::OpScope op_scope("adaptive_avg_pool2d", loc);
  const char* op = "adaptive_avg_pool2d";
  check_input(x, op);
  if (!output_size.given || output_size.h <= 0 || output_size.w <= 0)
    fail("{}: output_size must be positive, got {} (input {})", op, size_str(output_size),
         shape_str(x.shape()));
  const Setup s = make_setup(x, output_size.h, output_size.w);
  return adaptive_forward(x, s.g, s.out_shape);
}

}  // namespace tg
