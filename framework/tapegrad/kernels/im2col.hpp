#pragma once
// im2col / col2im and the 2-D convolution drivers built on them (the columns of several samples
// side by side, one GEMM per group of samples and conv group; a direct path for small kernel
// volumes; Winograd F(2x2, 3x3) for 3x3 stride-1 layers, winograd.hpp; an implicit GEMM without
// columns for the other layers with >= 8 output channels and small images, implicit_conv.hpp).
// Raw row-major NCHW pointers; no Tensor, no tape.
//
// For one sample and one group, the column buffer `cols` is a [K, L] matrix with
// K = Cg * kH * kW (rows ordered channel, kernel row, kernel column, the layout of a weight
// [Cout, Cg, kH, kW]) and L = OH * OW: cols[(c, i, j), (oh, ow)] = x[c, oh*sH - pH + i*dH,
// ow*sW - pW + j*dW], zero where that position falls in the padding. Then
//   forward:         y_g [Cog, L] = W_g [Cog, K] * cols
//   input gradient:  cols = W_g^T * g_g, then col2im (scatter-add back into the input)
//   weight gradient: gW_g [Cog, K] += g_g [Cog, L] * cols^T, summed over samples.
#include <cstdint>

namespace tg::kernels {

// Sizes of one convolution. OH, OW are the output sizes (computed by the caller).
struct Conv2dGeometry {
  std::int64_t N = 0, C = 0, H = 0, W = 0;  // input [N, C, H, W]
  std::int64_t Co = 0;                      // output channels; weight [Co, C / groups, kH, kW]
  std::int64_t kH = 1, kW = 1;
  std::int64_t sH = 1, sW = 1, pH = 0, pW = 0, dH = 1, dW = 1;
  std::int64_t groups = 1;
  std::int64_t OH = 0, OW = 0;
};

// cols [C*kH*kW, OH*OW] from one image x [C, H, W] (C = the channels of one group).
template <class T>
void im2col(const T* x, std::int64_t C, const Conv2dGeometry& g, T* cols);

// x [C, H, W] += the columns scattered back to their input positions (the adjoint of im2col).
template <class T>
void col2im(const T* cols, std::int64_t C, const Conv2dGeometry& g, T* x);

// Whether conv2d_forward builds columns it can keep for the weight gradient, and how many
// elements those of the whole batch take. They are the im2col columns (N * C * kH * kW * OH *
// OW) on the GEMM path, the transformed input on the Winograd path (winograd.hpp: 3x3, stride 1,
// >= 8 channels each side), and none on the direct path for small kernel volumes, on the implicit
// GEMM path, nor for 1x1 convolutions.
bool conv2d_has_columns(const Conv2dGeometry& g);
std::int64_t conv2d_columns_size(const Conv2dGeometry& g);

// y [N, Co, OH, OW] = conv(x, w) (+ bias[co] when bias is not null). When `columns` is not null
// and conv2d_has_columns(g), the columns are built there (conv2d_columns_size(g) elements) and
// left for conv2d_backward_weight_columns, which then needs no im2col (or input transform) pass.
template <class T>
void conv2d_forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y,
                    T* columns = nullptr);

// gx [N, C, H, W] = the gradient of sum(conv(x, w) * gy) with respect to x (overwritten).
template <class T>
void conv2d_backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx);

// gw [Co, C/groups, kH, kW] = the gradient of sum(conv(x, w) * gy) with respect to w
// (overwritten). Samples are summed in chunks, one per thread, then the chunks in order: the
// result is bit-identical for a given thread count. When gb is not null, the bias gradient
// gb [Co] (gy summed over samples and positions) is computed in the same pass over gy, with the
// same chunks.
template <class T>
void conv2d_backward_weight(const T* x, const T* gy, const Conv2dGeometry& g, T* gw,
                            T* gb = nullptr);

// The same gradients from the columns conv2d_forward left in `columns` (same geometry). Groups
// of samples are summed in chunks, one per thread, then the chunks in order: bit-identical for a
// given thread count.
template <class T>
void conv2d_backward_weight_columns(const T* columns, const T* gy, const Conv2dGeometry& g, T* gw,
                                    T* gb = nullptr);

// Whether conv2d_backward_both computes the input and weight gradients together, cheaper than
// conv2d_backward_input plus the weight gradient: on the Winograd path, where both come from one
// transform of gy.
bool conv2d_has_fused_backward(const Conv2dGeometry& g);

// gx [N, C, H, W], gw and (when gb is not null) gb together, when conv2d_has_fused_backward(g):
// from the columns conv2d_forward kept when `columns` is not null, else from x. gw and gb are
// bit-identical to conv2d_backward_weight(_columns)'s; gx differs from conv2d_backward_input's
// in rounding only.
template <class T>
void conv2d_backward_both(const T* x, const T* columns, const T* gy, const T* w,
                          const Conv2dGeometry& g, T* gx, T* gw, T* gb = nullptr);

// acc[co] += the sum of gy's planes (n, co) for samples n0 .. n1 - 1: each plane in kLanes
// interleaved partial sums of T (a fixed order that vectorises), those added in double.
template <class T>
void conv2d_add_bias_sums(const T* gy, const Conv2dGeometry& g, std::int64_t n0, std::int64_t n1,
                          double* acc);

// gb[co] = the sums of `chunks` chunks of conv2d_add_bias_sums (acc [chunks][Co]), in order.
template <class T>
void conv2d_bias_from_sums(const double* acc, std::int64_t chunks, std::int64_t Co, T* gb);

}  // namespace tg::kernels
