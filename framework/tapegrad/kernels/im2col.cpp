#include "tapegrad/kernels/im2col.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "tapegrad/kernels/conv_util.hpp"
#include "tapegrad/kernels/gemm.hpp"
#include "tapegrad/kernels/implicit_conv.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/scratch.hpp"
#include "tapegrad/kernels/simd.hpp"
#include "tapegrad/kernels/winograd.hpp"

namespace tg::kernels {

namespace {

// The output columns ow whose input column ow*s + off lies in [0, W): [lo, hi).
inline void valid_range(std::int64_t off, std::int64_t s, std::int64_t W, std::int64_t OW,
                        std::int64_t& lo, std::int64_t& hi) {
  // ow*s + off >= 0  <=>  ow >= ceil(-off / s);  ow*s + off <= W - 1  <=>  ow <= floor((W-1-off)/s)
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  const std::int64_t top = W - 1 - off;
  hi = top < 0 ? 0 : std::min(OW, top / s + 1);
  lo = std::min(lo, hi);
}

// A 1x1 kernel with stride 1 and no padding reads the input itself as the column matrix.
inline bool is_pointwise(const Conv2dGeometry& g) {
  return g.kH == 1 && g.kW == 1 && g.sH == 1 && g.sW == 1 && g.pH == 0 && g.pW == 0;
}

template <class T>
inline void add_row(const T* __restrict src, T* __restrict dst, std::int64_t n) {
  std::int64_t k = 0;
  for (; k + kLanes<T> <= n; k += kLanes<T>) storev(dst + k, loadv(dst + k) + loadv(src + k));
  for (; k < n; ++k) dst[k] += src[k];
}

// ---------------------------------------------------------------- direct convolution
// For stride 1, no dilation and a small kernel volume per output channel (LeNet's conv1: one
// input channel, 5x5, 6 outputs), im2col + GEMM spends its time building and packing a column
// matrix 25x larger than the input for a GEMM whose M is tiny. The direct loops instead read a
// zero-padded copy of each image, vectorised along the output row: the forward is
// implicit::forward_rows (tiles of 6 output channels x 2 vectors of a row, summed over the kernel
// taps); the weight gradient accumulates, for each kernel row, one vector per kernel column of
// gy-row times shifted input-row products.

constexpr std::int64_t kDirectMaxKW = 8;

inline bool use_direct(const Conv2dGeometry& g) {
  const std::int64_t Cg = g.C / g.groups;
  return g.sH == 1 && g.sW == 1 && g.dH == 1 && g.dW == 1 && g.kW <= kDirectMaxKW && g.OW >= 8 &&
         Cg * g.kH * g.kW <= 32;
}

// The implicit GEMM (implicit_conv.hpp) for the layers neither Winograd, the direct loops nor
// the 1x1 path take, when its operands stay in cache.
inline bool use_implicit(const Conv2dGeometry& g) {
  return !winograd::applicable(g) && !use_direct(g) && !is_pointwise(g) && implicit::applicable(g);
}

// The direct weight gradient's vectors: 64 bytes where the target has AVX-512 (16 floats: a
// LeNet conv1 row of 28 outputs is 2 of them, not 4), else 32. Its accumulators are summed
// across lanes, so the two give results that differ in the last bits; each is deterministic.
#if defined(__AVX512F__)
template <class T>
using WgradVec = Vec2<T>;  // one 64-byte register (simd.hpp)
template <class T>
inline WgradVec<T> wgrad_load(const T* p) {
  return load2(p);
}
template <class T>
inline WgradVec<T> wgrad_fma(WgradVec<T> a, WgradVec<T> b, WgradVec<T> c) {
  return fmadd2<T>(a, b, c);
}
#else
template <class T>
using WgradVec = Vec<T>;
template <class T>
inline WgradVec<T> wgrad_load(const T* p) {
  return loadv(p);
}
template <class T>
inline WgradVec<T> wgrad_fma(WgradVec<T> a, WgradVec<T> b, WgradVec<T> c) {
  return fmadd<T>(a, b, c);
}
#endif
template <class T>
constexpr std::int64_t kWgradLanes = sizeof(WgradVec<T>) / sizeof(T);
// The integer vector a comparison of two WgradVec gives (lane masks).
template <class T>
using LaneMask = decltype(WgradVec<T>{} < WgradVec<T>{});

// The direct weight gradient's padded copy: rows wide enough for whole vectors of outputs.
template <class T>
PaddedImage padded_image(const Conv2dGeometry& g) {
  const std::int64_t L = kWgradLanes<T>;
  const std::int64_t OWv = (g.OW + L - 1) / L * L;
  const std::int64_t Hp = g.H + 2 * g.pH;
  const std::int64_t Wx = std::max(g.W + 2 * g.pW, OWv + g.kW - 1);
  return {Hp, Wx, Hp * Wx};
}

// The lane mask of the last, partial vector of an output row: lanes [0, OW % L) live (all
// lanes when OW is a multiple of L, where it is not used).
template <class T>
LaneMask<T> tail_mask(std::int64_t OW) {
  using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  LaneMask<T> lane;
  for (std::int64_t k = 0; k < kWgradLanes<T>; ++k) lane[k] = static_cast<I>(k);
  return lane < static_cast<I>(OW % kWgradLanes<T>);
}

// acc[c][j] += sum over the output row of gy_c[ow] * xr[ow + j], j < KW, for NC planes of gy
// (rows gr + c * gstride) sharing the input row's loads. The gy rows are padded with zeros to a
// whole number of vectors; the input lanes past OW are masked to zero too (the input there may be
// inf, and 0 * inf is NaN).
template <class T, int KW, int NC>
inline void direct_wgrad_row(const T* gr, std::int64_t gstride, const T* xr, std::int64_t OW,
                             const LaneMask<T>& live, WgradVec<T> (&acc)[NC][KW]) {
  constexpr std::int64_t L = kWgradLanes<T>;
  std::int64_t ow = 0;
  for (; ow < OW; ow += L) {
    WgradVec<T> gv[NC];
    for (int c = 0; c < NC; ++c) gv[c] = wgrad_load(gr + c * gstride + ow);
    const bool tail = ow + L > OW;
    for (int j = 0; j < KW; ++j) {
      WgradVec<T> xv = wgrad_load(xr + ow + j);
      if (tail) xv = live ? xv : WgradVec<T>{};
      for (int c = 0; c < NC; ++c) acc[c][j] = wgrad_fma<T>(gv[c], xv, acc[c][j]);
    }
  }
}

// The weight gradient of output channels co0 .. co0 + NC - 1 (one group) from one image: gy's
// planes copied to gpad with rows padded to whole vectors, then for every (c, i) one vector
// accumulator per (channel, kernel column) over the output rows, summed across lanes into acc_w.
template <class T, int KW, int NC>
void direct_wgrad_block(const T* xg, const PaddedImage& p, const T* gy, const Conv2dGeometry& g,
                        std::int64_t co0, T* gpad, T* acc_w) {
  constexpr std::int64_t L = kWgradLanes<T>;
  const std::int64_t Cg = g.C / g.groups, Lo = g.OH * g.OW, OWv = (g.OW + L - 1) / L * L;
  const std::int64_t gplane = g.OH * OWv;
  const LaneMask<T> live = tail_mask<T>(g.OW);
  for (int c = 0; c < NC; ++c)
    for (std::int64_t oh = 0; oh < g.OH; ++oh) {
      T* row = gpad + c * gplane + oh * OWv;
      copy_row(gy + (co0 + c) * Lo + oh * g.OW, row, g.OW);
      std::fill(row + g.OW, row + OWv, T(0));
    }
  for (std::int64_t ci = 0; ci < Cg; ++ci)
    for (std::int64_t i = 0; i < g.kH; ++i) {
      WgradVec<T> acc[NC][KW] = {};
      for (std::int64_t oh = 0; oh < g.OH; ++oh)
        direct_wgrad_row<T, KW, NC>(gpad + oh * OWv, gplane, xg + ci * p.plane + (oh + i) * p.Wx,
                                    g.OW, live, acc);
      for (int c = 0; c < NC; ++c) {
        T* out = acc_w + (((co0 + c) * Cg + ci) * g.kH + i) * KW;
        for (int j = 0; j < KW; ++j) {
          T s = 0;
          for (std::int64_t k = 0; k < L; ++k) s += acc[c][j][k];
          out[j] += s;
        }
      }
    }
}

// Output channels in pairs where the accumulators fit in registers (2 * KW <= 10), each pair
// within one group; gpad: scratch for two gy planes with rows padded to whole vectors.
template <class T, int KW>
void direct_wgrad_image(const T* xp, const PaddedImage& p, const T* gy, const Conv2dGeometry& g,
                        T* gpad, T* acc_w) {
  constexpr int NC = KW <= 5 ? 2 : 1;
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    const T* xg = xp + grp * Cg * p.plane;
    const std::int64_t end = (grp + 1) * Cog;
    std::int64_t co = grp * Cog;
    for (; co + NC <= end; co += NC) direct_wgrad_block<T, KW, NC>(xg, p, gy, g, co, gpad, acc_w);
    for (; co < end; ++co) direct_wgrad_block<T, KW, 1>(xg, p, gy, g, co, gpad, acc_w);
  }
}

template <class T>
void direct_wgrad_dispatch(const T* xp, const PaddedImage& p, const T* gy, const Conv2dGeometry& g,
                           T* gpad, T* acc_w) {
  switch (g.kW) {
    case 1:
      return direct_wgrad_image<T, 1>(xp, p, gy, g, gpad, acc_w);
    case 2:
      return direct_wgrad_image<T, 2>(xp, p, gy, g, gpad, acc_w);
    case 3:
      return direct_wgrad_image<T, 3>(xp, p, gy, g, gpad, acc_w);
    case 4:
      return direct_wgrad_image<T, 4>(xp, p, gy, g, gpad, acc_w);
    case 5:
      return direct_wgrad_image<T, 5>(xp, p, gy, g, gpad, acc_w);
    case 6:
      return direct_wgrad_image<T, 6>(xp, p, gy, g, gpad, acc_w);
    case 7:
      return direct_wgrad_image<T, 7>(xp, p, gy, g, gpad, acc_w);
    default:
      return direct_wgrad_image<T, 8>(xp, p, gy, g, gpad, acc_w);
  }
}

}  // namespace

namespace {

// im2col / col2im with the rows of `cols` ld apart (ld >= L), so that the columns of several
// images can sit side by side in one [K, images * L] matrix.
template <class T>
void im2col_ld(const T* x, std::int64_t C, const Conv2dGeometry& g, T* cols, std::int64_t ld) {
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t i = 0; i < g.kH; ++i)
      for (std::int64_t j = 0; j < g.kW; ++j) {
        T* dst = cols + ((c * g.kH + i) * g.kW + j) * ld;
        const std::int64_t off_w = j * g.dW - g.pW;
        std::int64_t lo, hi;
        valid_range(off_w, g.sW, g.W, g.OW, lo, hi);
        for (std::int64_t oh = 0; oh < g.OH; ++oh) {
          T* d = dst + oh * g.OW;
          const std::int64_t ih = oh * g.sH - g.pH + i * g.dH;
          if (ih < 0 || ih >= g.H) {
            std::fill(d, d + g.OW, T(0));
            continue;
          }
          const T* row = x + (c * g.H + ih) * g.W;
          for (std::int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
          if (g.sW == 1) {
            copy_row(row + lo + off_w, d + lo, hi - lo);
          } else {
            for (std::int64_t ow = lo; ow < hi; ++ow) d[ow] = row[ow * g.sW + off_w];
          }
          for (std::int64_t ow = hi; ow < g.OW; ++ow) d[ow] = T(0);
        }
      }
}

template <class T>
void col2im_ld(const T* cols, std::int64_t C, const Conv2dGeometry& g, T* x, std::int64_t ld) {
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t i = 0; i < g.kH; ++i)
      for (std::int64_t j = 0; j < g.kW; ++j) {
        const T* src = cols + ((c * g.kH + i) * g.kW + j) * ld;
        const std::int64_t off_w = j * g.dW - g.pW;
        std::int64_t lo, hi;
        valid_range(off_w, g.sW, g.W, g.OW, lo, hi);
        for (std::int64_t oh = 0; oh < g.OH; ++oh) {
          const std::int64_t ih = oh * g.sH - g.pH + i * g.dH;
          if (ih < 0 || ih >= g.H) continue;
          const T* s = src + oh * g.OW;
          T* row = x + (c * g.H + ih) * g.W;
          if (g.sW == 1)
            add_row(s + lo, row + lo + off_w, hi - lo);
          else
            for (std::int64_t ow = lo; ow < hi; ++ow) row[ow * g.sW + off_w] += s[ow];
        }
      }
}

// Images per GEMM in the im2col drivers: enough that the GEMM's N (images * L) is wide and the
// weights are packed once per group of images rather than per image, while the column buffer
// stays near 256 KiB: the GEMM reads the columns in place (one row block of weights), right
// after im2col wrote them, or col2im reads them right after the GEMM wrote them, and at this
// size they are still in L2 (512 KiB here). 1 MiB groups were 5-15% slower on LeNet conv2
// (forward, and forward + backward, at 1 and 2 threads). A function of the shapes alone (not
// of the thread count).
inline std::int64_t images_per_gemm(std::int64_t K, std::int64_t L, std::int64_t N) {
  const std::int64_t per = std::max<std::int64_t>(1, K * L);
  return std::clamp<std::int64_t>((std::int64_t{1} << 16) / per, 1, std::max<std::int64_t>(N, 1));
}

// The output-side planes [Cog, L] of conv group grp of samples n0 .. n0+m-1 of y (or its
// gradient) side by side in out [Cog, m*L].
template <class T>
void gather_planes(const T* y, const Conv2dGeometry& g, std::int64_t grp, std::int64_t n0,
                   std::int64_t m, T* out) {
  const std::int64_t Cog = g.Co / g.groups, L = g.OH * g.OW;
  for (std::int64_t j = 0; j < m; ++j)
    for (std::int64_t co = 0; co < Cog; ++co) {
      const T* src = y + ((n0 + j) * g.Co + grp * Cog + co) * L;
      std::copy(src, src + L, out + co * m * L + j * L);
    }
}

}  // namespace

template <class T>
void conv2d_add_bias_sums(const T* gy, const Conv2dGeometry& g, std::int64_t n0, std::int64_t n1,
                          double* acc) {
  constexpr std::int64_t L = kLanes<T>;
  const std::int64_t P = g.OH * g.OW;
  for (std::int64_t n = n0; n < n1; ++n)
    for (std::int64_t co = 0; co < g.Co; ++co) {
      const T* row = gy + (n * g.Co + co) * P;
      Vec<T> part{};
      std::int64_t l = 0;
      for (; l + L <= P; l += L) part += loadv(row + l);
      double s = 0;
      for (; l < P; ++l) s += static_cast<double>(row[l]);
      for (std::int64_t k = 0; k < L; ++k) s += static_cast<double>(part[k]);
      acc[co] += s;
    }
}

template <class T>
void conv2d_bias_from_sums(const double* acc, std::int64_t chunks, std::int64_t Co, T* gb) {
  for (std::int64_t co = 0; co < Co; ++co) {
    double s = 0;
    for (std::int64_t ch = 0; ch < chunks; ++ch) s += acc[ch * Co + co];
    gb[co] = static_cast<T>(s);
  }
}

template <class T>
void im2col(const T* x, std::int64_t C, const Conv2dGeometry& g, T* cols) {
  im2col_ld(x, C, g, cols, g.OH * g.OW);
}

template <class T>
void col2im(const T* cols, std::int64_t C, const Conv2dGeometry& g, T* x) {
  col2im_ld(cols, C, g, x, g.OH * g.OW);
}

bool conv2d_has_columns(const Conv2dGeometry& g) {
  return winograd::applicable(g) || (!use_direct(g) && !is_pointwise(g) && !use_implicit(g));
}

std::int64_t conv2d_columns_size(const Conv2dGeometry& g) {
  if (winograd::applicable(g)) return winograd::saved_size(g);
  return g.N * g.C * g.kH * g.kW * g.OH * g.OW;
}

bool conv2d_has_fused_backward(const Conv2dGeometry& g) { return winograd::applicable(g); }

template <class T>
void conv2d_backward_both(const T* x, const T* columns, const T* gy, const T* w,
                          const Conv2dGeometry& g, T* gx, T* gw, T* gb) {
  if (!conv2d_has_fused_backward(g))
    throw std::logic_error("conv2d_backward_both: no fused backward for this geometry");
  winograd::backward_both<T>(x, columns, gy, w, g, gx, gw, gb);
}

template <class T>
void conv2d_forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y,
                    T* columns) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t K = Cg * g.kH * g.kW, L = g.OH * g.OW;
  const bool pointwise = is_pointwise(g);
  if (winograd::applicable(g)) return winograd::forward(x, w, bias, g, y, columns);
  if (use_direct(g)) return implicit::forward_rows(x, w, bias, g, y);
  if (use_implicit(g)) return implicit::forward(x, w, bias, g, y);
  if (!pointwise) {
    // nb images per GEMM: cols [K, nb*L] = their columns side by side; out [Cog, nb*L] =
    // W_g * cols, then each image's [Cog, L] block is copied to y with the bias added. Each
    // output is the same k-ordered sum as with one image per GEMM.
    const std::int64_t nb = images_per_gemm(K, L, g.N), chunks = (g.N + nb - 1) / nb;
    parallel_for(
        0, chunks, std::max<std::int64_t>(1, conv_sample_grain(g) / nb),
        [&](std::int64_t cb, std::int64_t ce) {
          Scratch<T> scratch(columns ? 0 : K * nb * L);
          Scratch<T> out(Cog * nb * L);
          for (std::int64_t ch = cb; ch < ce; ++ch) {
            const std::int64_t n0 = ch * nb, m = std::min(nb, g.N - n0), ld = m * L;
            for (std::int64_t grp = 0; grp < g.groups; ++grp) {
              // Kept columns: chunk by chunk, group by group, each [K, m*L].
              T* cols = columns ? columns + (n0 * g.groups + grp * m) * K * L : scratch.data();
              for (std::int64_t j = 0; j < m; ++j)
                im2col_ld(x + ((n0 + j) * g.C + grp * Cg) * g.H * g.W, Cg, g, cols + j * L, ld);
              gemm<T>(false, false, Cog, ld, K, T(1), w + grp * Cog * K, K, cols, ld, T(0),
                      out.data(), ld);
              for (std::int64_t j = 0; j < m; ++j)
                for (std::int64_t co = 0; co < Cog; ++co) {
                  const T* src = out.data() + co * ld + j * L;
                  T* dst = y + ((n0 + j) * g.Co + grp * Cog + co) * L;
                  const T b = bias ? bias[grp * Cog + co] : T(0);
                  if (bias)
                    for (std::int64_t l = 0; l < L; ++l) dst[l] = src[l] + b;
                  else
                    std::copy(src, src + L, dst);
                }
            }
          }
        });
    return;
  }
  // 1x1, stride 1, no padding: the input itself is the column matrix of each image.
  parallel_for(0, g.N, conv_sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
    for (std::int64_t n = nb; n < ne; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const T* xg = x + (n * g.C + grp * Cg) * g.H * g.W;
        T* yg = y + (n * g.Co + grp * Cog) * L;
        gemm<T>(false, false, Cog, L, K, T(1), w + grp * Cog * K, K, xg, L, T(0), yg, L);
      }
      if (bias) {
        for (std::int64_t co = 0; co < g.Co; ++co) {
          T* yc = y + (n * g.Co + co) * L;
          const T b = bias[co];
          for (std::int64_t l = 0; l < L; ++l) yc[l] += b;
        }
      }
    }
  });
}

template <class T>
void conv2d_backward_input(const T* gy, const T* w, const Conv2dGeometry& g, T* gx) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t K = Cg * g.kH * g.kW, L = g.OH * g.OW;
  if (winograd::applicable(g)) return winograd::backward_input(gy, w, g, gx);
  if (use_implicit(g) && implicit::applicable_input(g))
    return implicit::backward_input(gy, w, g, gx);
  if (is_pointwise(g)) {
    // gx_g [Cg, L] = W_g^T [Cg, Cog] * gy_g [Cog, L], written straight into gx.
    parallel_for(0, g.N, conv_sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
      for (std::int64_t n = nb; n < ne; ++n)
        for (std::int64_t grp = 0; grp < g.groups; ++grp)
          gemm<T>(true, false, K, L, Cog, T(1), w + grp * Cog * K, K,
                  gy + (n * g.Co + grp * Cog) * L, L, T(0), gx + (n * g.C + grp * Cg) * g.H * g.W,
                  L);
    });
    return;
  }
  // nb images per GEMM: gys [Cog, nb*L] gathers their output gradients side by side; cols
  // [K, nb*L] = W_g^T * gys; then col2im of each image's block.
  const std::int64_t nb = images_per_gemm(K, L, g.N), chunks = (g.N + nb - 1) / nb;
  parallel_for(0, chunks, std::max<std::int64_t>(1, conv_sample_grain(g) / nb),
               [&](std::int64_t cb, std::int64_t ce) {
                 Scratch<T> cols(K * nb * L);
                 Scratch<T> gys(Cog * nb * L);
                 for (std::int64_t ch = cb; ch < ce; ++ch) {
                   const std::int64_t n0 = ch * nb, m = std::min(nb, g.N - n0), ld = m * L;
                   std::fill(gx + n0 * g.C * g.H * g.W, gx + (n0 + m) * g.C * g.H * g.W, T(0));
                   for (std::int64_t grp = 0; grp < g.groups; ++grp) {
                     gather_planes(gy, g, grp, n0, m, gys.data());
                     gemm<T>(true, false, K, ld, Cog, T(1), w + grp * Cog * K, K, gys.data(), ld,
                             T(0), cols.data(), ld);
                     for (std::int64_t j = 0; j < m; ++j)
                       col2im_ld(cols.data() + j * L, Cg, g,
                                 gx + ((n0 + j) * g.C + grp * Cg) * g.H * g.W, ld);
                   }
                 }
               });
}

template <class T>
void conv2d_backward_weight(const T* x, const T* gy, const Conv2dGeometry& g, T* gw, T* gb) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t K = Cg * g.kH * g.kW, L = g.OH * g.OW;
  const std::int64_t wsize = g.Co * K;
  const bool pointwise = is_pointwise(g);
  if (winograd::applicable(g)) return winograd::backward_weight<T>(x, nullptr, gy, g, gw, gb);
  if (use_implicit(g)) return implicit::backward_weight(x, gy, g, gw, gb);
  std::fill(gw, gw + wsize, T(0));
  if (gb) std::fill(gb, gb + g.Co, T(0));
  if (g.N == 0) return;
  // One partial sum per chunk of samples; the chunks are fixed by the thread count alone.
  const std::int64_t chunks =
      std::max<std::int64_t>(1, std::min<std::int64_t>(num_threads(), g.N / conv_sample_grain(g)));
  std::vector<T> partial(static_cast<std::size_t>((chunks - 1) * wsize));
  std::vector<double> bias_acc(gb ? static_cast<std::size_t>(chunks * g.Co) : 0);
  if (std::fill(partial.begin(), partial.end(), T(0)); use_direct(g)) {
    const PaddedImage p = padded_image<T>(g);
    parallel_for(0, chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
      Scratch<T> xp(g.C * p.plane);
      Scratch<T> gpad(2 * g.OH * ((g.OW + kWgradLanes<T> - 1) / kWgradLanes<T> * kWgradLanes<T>));
      for (std::int64_t ch = cb; ch < ce; ++ch) {
        T* acc = ch == 0 ? gw : partial.data() + (ch - 1) * wsize;
        for (std::int64_t n = g.N * ch / chunks; n < g.N * (ch + 1) / chunks; ++n) {
          pad_image(x + n * g.C * g.H * g.W, g.C, g, p, xp.data());
          direct_wgrad_dispatch(xp.data(), p, gy + n * g.Co * L, g, gpad.data(), acc);
          if (gb) conv2d_add_bias_sums(gy, g, n, n + 1, bias_acc.data() + ch * g.Co);
        }
      }
    });
  } else {
    // Within a thread's chunk, nb images per GEMM: gW_g (+)= gys [Cog, nb*L] * cols^T, with
    // the images' output gradients and columns side by side.
    const std::int64_t nb = pointwise ? 1 : images_per_gemm(K, L, g.N);
    parallel_for(0, chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
      Scratch<T> cols(pointwise ? 0 : K * nb * L);
      Scratch<T> gys(nb > 1 ? Cog * nb * L : 0);
      for (std::int64_t ch = cb; ch < ce; ++ch) {
        T* acc = ch == 0 ? gw : partial.data() + (ch - 1) * wsize;
        const std::int64_t n0 = g.N * ch / chunks, n1 = g.N * (ch + 1) / chunks;
        for (std::int64_t s0 = n0; s0 < n1; s0 += nb) {
          const std::int64_t m = std::min(nb, n1 - s0), ld = m * L;
          for (std::int64_t grp = 0; grp < g.groups; ++grp) {
            const T* B = x + (s0 * g.C + grp * Cg) * g.H * g.W;  // pointwise: the input
            const T* G = gy + (s0 * g.Co + grp * Cog) * L;       // one image: gy itself
            if (!pointwise) {
              for (std::int64_t j = 0; j < m; ++j)
                im2col_ld(x + ((s0 + j) * g.C + grp * Cg) * g.H * g.W, Cg, g, cols.data() + j * L,
                          ld);
              B = cols.data();
            }
            if (m > 1) {
              gather_planes(gy, g, grp, s0, m, gys.data());
              G = gys.data();
            }
            gemm<T>(false, true, Cog, K, ld, T(1), G, ld, B, ld, s0 == n0 ? T(0) : T(1),
                    acc + grp * Cog * K, K);
          }
          if (gb) conv2d_add_bias_sums(gy, g, s0, s0 + m, bias_acc.data() + ch * g.Co);
        }
      }
    });
  }
  add_partials(gw, partial, chunks, wsize);
  if (gb) conv2d_bias_from_sums(bias_acc.data(), chunks, g.Co, gb);
}

template <class T>
void conv2d_backward_weight_columns(const T* columns, const T* gy, const Conv2dGeometry& g, T* gw,
                                    T* gb) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t K = Cg * g.kH * g.kW, L = g.OH * g.OW;
  const std::int64_t wsize = g.Co * K;
  if (winograd::applicable(g)) return winograd::backward_weight<T>(nullptr, columns, gy, g, gw, gb);
  std::fill(gw, gw + wsize, T(0));
  if (gb) std::fill(gb, gb + g.Co, T(0));
  if (g.N == 0) return;
  // The forward's groups of nb samples; each thread sums a contiguous range of them.
  const std::int64_t nb = images_per_gemm(K, L, g.N), groups_n = (g.N + nb - 1) / nb;
  const std::int64_t chunks = std::max<std::int64_t>(
      1, std::min<std::int64_t>(num_threads(),
                                groups_n / std::max<std::int64_t>(1, conv_sample_grain(g) / nb)));
  std::vector<T> partial(static_cast<std::size_t>((chunks - 1) * wsize));
  std::vector<double> bias_acc(gb ? static_cast<std::size_t>(chunks * g.Co) : 0);
  parallel_for(0, chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
    Scratch<T> gys(nb > 1 ? Cog * nb * L : 0);
    for (std::int64_t ch = cb; ch < ce; ++ch) {
      T* acc = ch == 0 ? gw : partial.data() + (ch - 1) * wsize;
      const std::int64_t c0 = groups_n * ch / chunks, c1 = groups_n * (ch + 1) / chunks;
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t n0 = c * nb, m = std::min(nb, g.N - n0), ld = m * L;
        for (std::int64_t grp = 0; grp < g.groups; ++grp) {
          const T* cols = columns + (n0 * g.groups + grp * m) * K * L;
          const T* G = gy + (n0 * g.Co + grp * Cog) * L;  // one sample: gy itself
          if (m > 1) {
            gather_planes(gy, g, grp, n0, m, gys.data());
            G = gys.data();
          }
          gemm<T>(false, true, Cog, K, ld, T(1), G, ld, cols, ld, c == c0 ? T(0) : T(1),
                  acc + grp * Cog * K, K);
        }
        if (gb) conv2d_add_bias_sums(gy, g, n0, n0 + m, bias_acc.data() + ch * g.Co);
      }
    }
  });
  add_partials(gw, partial, chunks, wsize);
  if (gb) conv2d_bias_from_sums(bias_acc.data(), chunks, g.Co, gb);
}

#define TG_INSTANTIATE(T)                                                                        \
  template void im2col<T>(const T*, std::int64_t, const Conv2dGeometry&, T*);                    \
  template void col2im<T>(const T*, std::int64_t, const Conv2dGeometry&, T*);                    \
  template void conv2d_forward<T>(const T*, const T*, const T*, const Conv2dGeometry&, T*, T*);  \
  template void conv2d_backward_input<T>(const T*, const T*, const Conv2dGeometry&, T*);         \
  template void conv2d_backward_weight<T>(const T*, const T*, const Conv2dGeometry&, T*, T*);    \
  template void conv2d_backward_weight_columns<T>(const T*, const T*, const Conv2dGeometry&, T*, \
                                                  T*);                                           \
  template void conv2d_backward_both<T>(const T*, const T*, const T*, const T*,                  \
                                        const Conv2dGeometry&, T*, T*, T*);                      \
  template void conv2d_add_bias_sums<T>(const T*, const Conv2dGeometry&, std::int64_t,           \
                                        std::int64_t, double*);                                  \
  template void conv2d_bias_from_sums<T>(const double*, std::int64_t, std::int64_t, T*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::kernels
