#pragma once
// Pieces the convolution drivers share (im2col.cpp, implicit_conv.cpp): the thread grain and
// zero-padded copies of an image. Raw NCHW pointers; include only from kernel sources.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tapegrad/kernels/im2col.hpp"
#include "tapegrad/kernels/simd.hpp"

namespace tg::kernels {

// Samples per thread so that a thread gets enough multiply-adds to repay waking it: small
// convolutions (tests, tiny layers) stay on one thread, where a parallel region costs more than
// the work.
inline std::int64_t conv_sample_grain(const Conv2dGeometry& g) {
  const std::int64_t work = std::max<std::int64_t>(
      1, g.Co * (g.C / std::max<std::int64_t>(g.groups, 1)) * g.kH * g.kW * g.OH * g.OW);
  return std::max<std::int64_t>(1, (std::int64_t{1} << 18) / work);
}

// The layout of an image's channels copied into rows of width Wx >= W + 2 pW, Hp = H + 2 pH rows
// each, with the padding (and any columns past W + 2 pW) zero.
struct PaddedImage {
  std::int64_t Hp, Wx, plane;
};

// x [C, H, W] into xp [C, Hp, Wx] (C * p.plane elements).
template <class T>
void pad_image(const T* x, std::int64_t C, const Conv2dGeometry& g, const PaddedImage& p, T* xp) {
  std::fill(xp, xp + C * p.plane, T(0));
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t h = 0; h < g.H; ++h)
      copy_row(x + (c * g.H + h) * g.W, xp + c * p.plane + (h + g.pH) * p.Wx + g.pW, g.W);
}

// The weight-gradient drivers sum their samples in `chunks` partial sums (the first written to gw
// itself, the others to `partial`); this adds the others to gw, in order.
template <class T>
void add_partials(T* gw, const std::vector<T>& partial, std::int64_t chunks, std::int64_t wsize) {
  for (std::int64_t ch = 1; ch < chunks; ++ch) {
    const T* p = partial.data() + (ch - 1) * wsize;
    for (std::int64_t i = 0; i < wsize; ++i) gw[i] += p[i];
  }
}

}  // namespace tg::kernels
