#pragma once
// Implicit-GEMM convolution: the GEMM y^T [P, Co] = cols^T [P, K] * W^T [K, Co] (P = OH * OW
// output positions, K = C * kH * kW) computed without building the columns. The register tile
// is 6 positions x 2 vectors of output channels; its left operand, cols^T[p, (c, i, j)], is
// broadcast straight from the (zero-padded) image at position(p) + offset(c, i, j), and its
// right operand is W^T, packed once per call. The weight gradient is the same tile with the roles
// of positions and kernel taps swapped:
//   gW^T [K, Co] = sum over samples and positions p of x[offset(k) + position(p)] * gy^T[p, Co].
// For layers whose im2col columns are large next to their GEMM (LeNet-5's conv2: 6 -> 16 channels,
// 5x5, where im2col alone took 14% of an epoch): no column pass, no packing of the columns, and
// nothing to keep between the forward and the weight gradient. Used by the im2col.hpp drivers
// when applicable(); raw NCHW pointers.
#include <cstdint>

#include "tapegrad/kernels/im2col.hpp"

namespace tg::kernels::implicit {

// One group, at least 8 output channels, and a padded image small enough to stay in L2 while
// its positions are swept (C * (H + 2 pH) * (W + 2 pW) <= 32768 elements) with K <= 1024.
bool applicable(const Conv2dGeometry& g);

// y [N, Co, OH, OW] = conv(x, w) (+ bias[co] when bias is not null).
template <class T>
void forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y);

// y = conv(x, w) (+ bias) for stride 1 (any padding, dilation and groups): tiles of 6 output
// channels x 2 vectors along an output row, each vector read from the zero-padded image at a
// shift per kernel tap. For small kernel volumes (LeNet-5's and the wider CNN's conv1: one input
// channel), where the other forms have too little work per position.
template <class T>
void forward_rows(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y);

// Stride 1 and rows of at least 8 (the input gradient's vectors run along the rows of gx):
// applicable() with these, backward_input() takes the input gradient too.
bool applicable_input(const Conv2dGeometry& g);

// gx [N, C, H, W] = the gradient of sum(conv(x, w) * gy) with respect to x (overwritten): the
// transposed convolution as a tile of 6 input channels x 2 vectors along a row of gx, each
// vector read from gy's zero-padded rows at a shift per kernel tap, the kernel rows that fall
// outside gy skipped.
template <class T>
void backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx);

// gw [Co, C, kH, kW] = the gradient of sum(conv(x, w) * gy) with respect to w (overwritten),
// and, when gb is not null, gb [Co] = gy summed over samples and positions. Samples are summed
// in chunks, one per thread, then the chunks in order: bit-identical for a given thread count.
template <class T>
void backward_weight(const T* x, const T* gy, const Conv2dGeometry& g, T* gw, T* gb);

}  // namespace tg::kernels::implicit
