// conv2d and its two gradient ops. Each is bilinear, and each one's backward is made of the
// other two, so the three close under differentiation:
//   y  = conv2d(x, w)            dL/dx = input_grad(g, w)     dL/dw = weight_grad(x, g)
//   gx = input_grad(g, w)        dL/dg = conv2d(G, w)         dL/dw = weight_grad(G, g)
//   gw = weight_grad(x, g)       dL/dx = input_grad(g, G)     dL/dg = conv2d(x, G)
// (G is the incoming gradient of each op's output; all follow from <G, A(u, v)> identities.)
#include "tapegrad/ops/conv.hpp"

#include "tapegrad/autograd/observe.hpp"

#include <tuple>
#include <utility>
#include <vector>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/kernels/im2col.hpp"
#include "tapegrad/ops/detail.hpp"
#include "tapegrad/ops/reduce.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg {

using autograd::SavedTensor;

using autograd::record;
using autograd::saved;

using detail::contig;

namespace {

std::string pair_str(const std::array<std::int64_t, 2>& a) {
  return fmt::format("({}, {})", a[0], a[1]);
}

// Checks the shapes and options; returns the sizes of the convolution.
kernels::Conv2dGeometry geometry(const char* op, const Shape& xs, const Shape& ws,
                                 const Conv2dOptions& o) {
  if (xs.size() != 4)
    fail("{}: expected a 4-D input [N, C, H, W], got shape {}", op, shape_str(xs));
  if (ws.size() != 4)
    fail("{}: expected a 4-D weight [C_out, C_in / groups, kH, kW], got shape {}", op,
         shape_str(ws));
  if (o.stride[0] <= 0 || o.stride[1] <= 0)
    fail("{}: stride must be positive, got {}", op, pair_str(o.stride));
  if (o.padding[0] < 0 || o.padding[1] < 0)
    fail("{}: padding must be non-negative, got {}", op, pair_str(o.padding));
  if (o.dilation[0] <= 0 || o.dilation[1] <= 0)
    fail("{}: dilation must be positive, got {}", op, pair_str(o.dilation));
  if (o.groups <= 0) fail("{}: groups must be positive, got {}", op, o.groups);
  const std::int64_t C = xs[1], Co = ws[0];
  if (C % o.groups != 0)
    fail("{}: groups={} does not divide the input's {} channels (input {}, weight {})", op,
         o.groups, C, shape_str(xs), shape_str(ws));
  if (Co % o.groups != 0)
    fail("{}: groups={} does not divide the weight's {} output channels (weight {})", op, o.groups,
         Co, shape_str(ws));
  if (ws[1] * o.groups != C)
    fail("{}: input has {} channels but the weight expects {} (input {}, weight {}, groups={})", op,
         C, ws[1] * o.groups, shape_str(xs), shape_str(ws), o.groups);
  if (ws[2] <= 0 || ws[3] <= 0)
    fail("{}: kernel size must be positive, got weight {}", op, shape_str(ws));
  kernels::Conv2dGeometry g;
  g.N = xs[0];
  g.C = C;
  g.H = xs[2];
  g.W = xs[3];
  g.Co = Co;
  g.kH = ws[2];
  g.kW = ws[3];
  g.sH = o.stride[0];
  g.sW = o.stride[1];
  g.pH = o.padding[0];
  g.pW = o.padding[1];
  g.dH = o.dilation[0];
  g.dW = o.dilation[1];
  g.groups = o.groups;
  const std::int64_t Hp = g.H + 2 * g.pH, Wp = g.W + 2 * g.pW;
  const std::int64_t ekH = g.dH * (g.kH - 1) + 1, ekW = g.dW * (g.kW - 1) + 1;
  if (ekH > Hp || ekW > Wp)
    fail(
        "{}: kernel size ({} x {}) (dilated: {} x {}) is bigger than the padded input ({} x {}) "
        "(input {}, weight {}, padding {}, dilation {})",
        op, g.kH, g.kW, ekH, ekW, Hp, Wp, shape_str(xs), shape_str(ws), pair_str(o.padding),
        pair_str(o.dilation));
  g.OH = (Hp - ekH) / g.sH + 1;
  g.OW = (Wp - ekW) / g.sW + 1;
  return g;
}

Shape output_shape(const kernels::Conv2dGeometry& g) { return {g.N, g.Co, g.OH, g.OW}; }

// Multiply-adds of the direct convolution, times 2 (the profiler's convention, as PyTorch's:
// the Winograd path does fewer).
double conv_flops(const kernels::Conv2dGeometry& g) {
  return 2.0 * static_cast<double>(g.N) * g.Co * g.OH * g.OW * (g.C / g.groups) * g.kH * g.kW;
}

void check_pair(const Tensor& a, const Tensor& b, const char* op, const char* wa, const char* wb) {
  detail::check_defined(a, op, wa);
  detail::check_defined(b, op, wb);
  detail::check_floating(a, op);
  detail::check_same_dtype(a, b, op);
}

// dL/db: gy [N, Co, OH, OW] summed over N, OH, OW in one pass (a general sum over dims
// {0, 2, 3} first copies gy into a reduction-friendly layout). Accumulated in double. Recorded so
// that its own backward, G broadcast back to gy's shape, keeps higher-order gradients working.
Tensor bias_grad(const Tensor& gy) {
  const Shape s = gy.shape();
  Tensor out = Tensor::empty({s[1]}, gy.dtype());
  {
    const Tensor gc = contig(gy);
    kernels::Conv2dGeometry g;
    g.N = s[0];
    g.Co = s[1];
    g.OH = s[2];
    g.OW = s[3];
    detail::dispatch_floating(gy.dtype(), "conv2d", [&](auto tag) {
      using T = decltype(tag);
      std::vector<double> acc(static_cast<std::size_t>(g.Co), 0.0);
      kernels::conv2d_add_bias_sums<T>(gc.data_ptr<T>(), g, 0, g.N, acc.data());
      kernels::conv2d_bias_from_sums<T>(acc.data(), 1, g.Co, out.data_ptr<T>());
    });
  }
  record("conv2d_bias_grad", {gy}, out, {}, [s](const Tensor& G, const Tensor&) {
    return TensorList{expand(reshape(G, {1, s[1], 1, 1}), s)};
  });
  return out;
}

// dL/dw, and dL/db when with_bias, without recording (used only without create_graph): from the
// im2col columns the forward kept when `cols` is defined, else from x (the Winograd path keeps
// none: it transforms x again); the bias gradient comes from the same pass over gy. When x requires
// grad and the kernels compute both gradients together (the Winograd path), dL/dx as well;
// otherwise the first tensor is undefined.
std::tuple<Tensor, Tensor, Tensor> kernel_grads(const Tensor& cols, const Tensor& x,
                                                const Tensor& gy, const Tensor& w,
                                                const Conv2dOptions& o, bool with_bias) {
  const kernels::Conv2dGeometry g = geometry("conv2d_weight_grad", x.shape(), w.shape(), o);
  const bool fused = x.requires_grad() && kernels::conv2d_has_fused_backward(g);
  Tensor gx = fused ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
  Tensor gw = Tensor::empty(w.shape(), x.dtype());
  Tensor gb = with_bias ? Tensor::empty({g.Co}, x.dtype()) : Tensor();
  const Tensor gc = contig(gy), xc = cols.defined() ? Tensor() : contig(x);
  const Tensor wc = fused ? contig(w) : Tensor();
  autograd::note_flops(conv_flops(g) * (fused ? 2 : 1));
  detail::dispatch_floating(x.dtype(), "conv2d_weight_grad", [&](auto tag) {
    using T = decltype(tag);
    T* b = with_bias ? gb.data_ptr<T>() : nullptr;
    const T* xp = cols.defined() ? nullptr : xc.data_ptr<T>();
    const T* cp = cols.defined() ? cols.data_ptr<T>() : nullptr;
    if (fused)
      kernels::conv2d_backward_both<T>(xp, cp, gc.data_ptr<T>(), wc.data_ptr<T>(), g,
                                       gx.data_ptr<T>(), gw.data_ptr<T>(), b);
    else if (cp)
      kernels::conv2d_backward_weight_columns<T>(cp, gc.data_ptr<T>(), g, gw.data_ptr<T>(), b);
    else
      kernels::conv2d_backward_weight<T>(xp, gc.data_ptr<T>(), g, gw.data_ptr<T>(), b);
  });
  return {gx, gw, gb};
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Conv2dOptions o,
              std::source_location loc) {
  const autograd::OpScope op_scope("conv2d", loc);
  check_pair(x, w, "conv2d", "input", "weight");
  if (x.dim() == 3) return squeeze(conv2d(unsqueeze(x, 0), w, b, o), 0);
  const kernels::Conv2dGeometry g = geometry("conv2d", x.shape(), w.shape(), o);
  if (b.defined()) {
    detail::check_same_dtype(x, b, "conv2d");
    if (b.dim() != 1 || b.shape()[0] != g.Co)
      fail("conv2d: bias of shape {} does not match weight {} (expected [{}])",
           shape_str(b.shape()), shape_str(w.shape()), g.Co);
  }
  Tensor out = Tensor::empty(output_shape(g), x.dtype());
  // When the weight's gradient will be wanted, the forward keeps its im2col columns for it, as
  // PyTorch's slow_conv2d keeps `finput`: the backward then skips a second im2col pass. The
  // Winograd path (the one with a fused backward) could keep its transformed input the same way
  // but does not: its backward transforms x again group by group, where the result stays in L2,
  // and that measured 4-5% faster per wider-CNN epoch (1 and 2 threads, Zen 5) than keeping the
  // batch's transformed input (4x the size of x: 12.8 MB at batch 128) and reading it back.
  Tensor cols;
  if (is_grad_enabled() && w.requires_grad() && kernels::conv2d_has_columns(g) &&
      !kernels::conv2d_has_fused_backward(g))
    cols = Tensor::empty({kernels::conv2d_columns_size(g)}, x.dtype());
  {
    const Tensor xc = contig(x), wc = contig(w), bc = b.defined() ? contig(b) : Tensor();
    autograd::note_flops(conv_flops(g));
    detail::dispatch_floating(x.dtype(), "conv2d", [&](auto tag) {
      using T = decltype(tag);
      kernels::conv2d_forward<T>(xc.data_ptr<T>(), wc.data_ptr<T>(),
                                 bc.defined() ? bc.data_ptr<T>() : nullptr, g, out.data_ptr<T>(),
                                 cols.defined() ? cols.data_ptr<T>() : nullptr);
    });
  }
  auto backward = [x_saved = SavedTensor(x), w_saved = SavedTensor(w), b, o,
                   cols_saved = SavedTensor(cols)](const Tensor& gy, const Tensor&) {
    const Tensor x = x_saved.get();
    const Tensor w = w_saved.get();
    const Tensor cols = cols_saved.get();
    Tensor gx, gw, gb;
    const bool want_b = b.defined() && b.requires_grad();
    if (w.requires_grad()) {
      // Without create_graph, straight from the kernels (the kept columns; the bias gradient in
      // the same pass over gy; on the Winograd path the input gradient too); with it, through
      // the recorded ops.
      if (!is_grad_enabled())
        std::tie(gx, gw, gb) = kernel_grads(cols, x, gy, w, o, want_b);
      else
        gw = conv2d_weight_grad(x, gy, w.shape(), o);
    }
    if (want_b && !gb.defined()) gb = bias_grad(gy);
    if (x.requires_grad() && !gx.defined()) gx = conv2d_input_grad(gy, w, x.shape(), o);
    TensorList grads{gx, gw};
    if (b.defined()) grads.push_back(gb);
    return grads;
  };
  if (b.defined())
    record("conv2d", {x, w, b}, out, {.saved_inputs = saved(0, 1)}, backward);
  else
    record("conv2d", {x, w}, out, {.saved_inputs = saved(0, 1)}, backward);
  return out;
}

Tensor conv2d_input_grad(const Tensor& gy, const Tensor& w, const Shape& x_shape, Conv2dOptions o,
                         std::source_location loc) {
  const autograd::OpScope op_scope("conv2d_input_grad", loc);
  const char* op = "conv2d_input_grad";
  check_pair(gy, w, op, "grad_output", "weight");
  const kernels::Conv2dGeometry g = geometry(op, x_shape, w.shape(), o);
  if (gy.shape() != output_shape(g))
    fail("{}: grad_output of shape {} does not match the output shape {} of input {} and weight {}",
         op, shape_str(gy.shape()), shape_str(output_shape(g)), shape_str(x_shape),
         shape_str(w.shape()));
  Tensor out = Tensor::empty(x_shape, gy.dtype());
  {
    const Tensor gc = contig(gy), wc = contig(w);
    autograd::note_flops(conv_flops(g));
    detail::dispatch_floating(gy.dtype(), op, [&](auto tag) {
      using T = decltype(tag);
      kernels::conv2d_backward_input<T>(gc.data_ptr<T>(), wc.data_ptr<T>(), g, out.data_ptr<T>());
    });
  }
  record("conv2d_input_grad", {gy, w}, out, {.saved_inputs = saved(0, 1)},
         [gy_saved = SavedTensor(gy), w_saved = SavedTensor(w), o](const Tensor& G, const Tensor&) {
           const Tensor gy = gy_saved.get();
           const Tensor w = w_saved.get();
           return TensorList{
               gy.requires_grad() ? conv2d(G, w, Tensor(), o) : Tensor(),
               w.requires_grad() ? conv2d_weight_grad(G, gy, w.shape(), o) : Tensor()};
         });
  return out;
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& gy, const Shape& w_shape, Conv2dOptions o,
                          std::source_location loc) {
  const autograd::OpScope op_scope("conv2d_weight_grad", loc);
  const char* op = "conv2d_weight_grad";
  check_pair(x, gy, op, "input", "grad_output");
  const kernels::Conv2dGeometry g = geometry(op, x.shape(), w_shape, o);
  if (gy.shape() != output_shape(g))
    fail("{}: grad_output of shape {} does not match the output shape {} of input {} and weight {}",
         op, shape_str(gy.shape()), shape_str(output_shape(g)), shape_str(x.shape()),
         shape_str(w_shape));
  Tensor out = Tensor::empty(w_shape, x.dtype());
  {
    const Tensor xc = contig(x), gc = contig(gy);
    autograd::note_flops(conv_flops(g));
    detail::dispatch_floating(x.dtype(), op, [&](auto tag) {
      using T = decltype(tag);
      kernels::conv2d_backward_weight<T>(xc.data_ptr<T>(), gc.data_ptr<T>(), g, out.data_ptr<T>());
    });
  }
  record("conv2d_weight_grad", {x, gy}, out, {.saved_inputs = saved(0, 1)},
         [x_saved = SavedTensor(x), gy_saved = SavedTensor(gy), o](const Tensor& G, const Tensor&) {
           const Tensor x = x_saved.get();
           const Tensor gy = gy_saved.get();
           return TensorList{x.requires_grad() ? conv2d_input_grad(gy, G, x.shape(), o) : Tensor(),
                             gy.requires_grad() ? conv2d(x, G, Tensor(), o) : Tensor()};
         });
  return out;
}

}  // namespace tg
