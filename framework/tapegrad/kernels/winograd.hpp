#pragma once
// Winograd F(2x2, 3x3) convolution (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016) for 3x3 kernels with stride 1: each 2x2 block of outputs (a tile) comes from
// the 4x4 input patch under it as
//   Y = A^T [ (G g G^T) . (B^T d B) ] A
// (. the elementwise product), so that, per channel pair and tile, 16 multiplies replace the 36
// of the direct sum. Across channels the 16 products become 16 GEMMs:
//   M_xi [Co, tiles] = U_xi [Co, C] * V_xi [C, tiles],  U = G g G^T,  V = B^T d B,  xi in 0..15
// - 2.25x fewer multiply-adds than im2col + GEMM, and V is smaller than the im2col columns.
// The input gradient is the same convolution of gy with the flipped, channel-transposed kernel;
// the weight gradient is dU_xi [Co, C] = sum over tiles of dM_xi * V_xi^T with dM = A dY A^T,
// then dg = G^T dU G. Used by the im2col.hpp drivers when applicable(); raw NCHW pointers.
#include <cstdint>

#include "tapegrad/kernels/im2col.hpp"

namespace tg::kernels::winograd {

// 3x3 kernel, stride 1, no dilation, one group, padding 0..2 on each axis (so that the input
// gradient is again such a convolution), and at least 8 input and 8 output channels (below that
// the transforms cost more than the multiplies they save).
bool applicable(const Conv2dGeometry& g);

// Elements of the transformed input V of the whole batch, which forward() can keep for
// backward_weight(): N * 16 * C * ceil(OH/2) * ceil(OW/2).
std::int64_t saved_size(const Conv2dGeometry& g);

// y [N, Co, OH, OW] = conv(x, w) (+ bias[co] when bias is not null). When `saved` is not null
// the transformed input is left there (saved_size(g) elements) for backward_weight.
template <class T>
void forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y, T* saved);

// gx [N, C, H, W] = the gradient of sum(conv(x, w) * gy) with respect to x (overwritten).
template <class T>
void backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx);

// gw [Co, C, 3, 3] = the gradient with respect to w (overwritten), from the transformed input
// forward() saved, or from x when `saved` is null; and, when gb is not null, the bias gradient
// gb [Co] in the same pass over gy. Groups of samples are summed in chunks, one per thread, then
// the chunks in order: bit-identical for a given thread count.
template <class T>
void backward_weight(const T* x, const T* saved, const T* gy, const Conv2dGeometry& g, T* gw,
                     T* gb);

// backward_weight's gradients and, in the same pass, gx [N, C, H, W] (overwritten): the input
// gradient from the weight gradient's dM = A dY A^T as dV_xi = U_xi^T dM_xi [C, tiles] and the
// adjoint of the input transform, B dV B^T, overlap-added per tile. Its values differ from
// backward_input's in rounding only.
template <class T>
void backward_both(const T* x, const T* saved, const T* gy, const T* w, const Conv2dGeometry& g,
                   T* gx, T* gw, T* gb);

}  // namespace tg::kernels::winograd
