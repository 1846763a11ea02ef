#include "tapegrad/kernels/im2col.hpp"

#include <algorithm>
#include <vector>

#include "tapegrad/kernels/gemm.hpp"
#include "tapegrad/kernels/parallel.hpp"

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

// Samples per thread so that a thread gets enough multiply-adds to repay waking it: small
// convolutions (tests, tiny layers) stay on one thread, where a parallel region costs more than
// the work.
inline std::int64_t sample_grain(const Conv2dGeometry& g) {
  const std::int64_t work = std::max<std::int64_t>(
      1, g.Co * (g.C / std::max<std::int64_t>(g.groups, 1)) * g.kH * g.kW * g.OH * g.OW);
  return std::max<std::int64_t>(1, (std::int64_t{1} << 18) / work);
}

}  // namespace

template <class T>
void im2col(const T* x, std::int64_t C, const Conv2dGeometry& g, T* cols) {
  const std::int64_t L = g.OH * g.OW;
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t i = 0; i < g.kH; ++i)
      for (std::int64_t j = 0; j < g.kW; ++j) {
        T* dst = cols + ((c * g.kH + i) * g.kW + j) * L;
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
            for (std::int64_t ow = lo; ow < hi; ++ow) d[ow] = row[ow + off_w];
          } else {
            for (std::int64_t ow = lo; ow < hi; ++ow) d[ow] = row[ow * g.sW + off_w];
          }
          for (std::int64_t ow = hi; ow < g.OW; ++ow) d[ow] = T(0);
        }
      }
}

template <class T>
void col2im(const T* cols, std::int64_t C, const Conv2dGeometry& g, T* x) {
  const std::int64_t L = g.OH * g.OW;
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t i = 0; i < g.kH; ++i)
      for (std::int64_t j = 0; j < g.kW; ++j) {
        const T* src = cols + ((c * g.kH + i) * g.kW + j) * L;
        const std::int64_t off_w = j * g.dW - g.pW;
        std::int64_t lo, hi;
        valid_range(off_w, g.sW, g.W, g.OW, lo, hi);
        for (std::int64_t oh = 0; oh < g.OH; ++oh) {
          const std::int64_t ih = oh * g.sH - g.pH + i * g.dH;
          if (ih < 0 || ih >= g.H) continue;
          const T* s = src + oh * g.OW;
          T* row = x + (c * g.H + ih) * g.W;
          for (std::int64_t ow = lo; ow < hi; ++ow) row[ow * g.sW + off_w] += s[ow];
        }
      }
}

template <class T>
void conv2d_forward(const T* x, const T* w, const T* bias, const Conv2dGeometry& g, T* y) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t K = Cg * g.kH * g.kW, L = g.OH * g.OW;
  const bool pointwise = is_pointwise(g);
  // Samples in parallel; with one sample the GEMM parallelises itself.
  parallel_for(0, g.N, sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
    std::vector<T> cols(pointwise ? 0 : static_cast<std::size_t>(K * L));
    for (std::int64_t n = nb; n < ne; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const T* xg = x + (n * g.C + grp * Cg) * g.H * g.W;
        const T* B = xg;
        if (!pointwise) {
          im2col(xg, Cg, g, cols.data());
          B = cols.data();
        }
        T* yg = y + (n * g.Co + grp * Cog) * L;
        gemm<T>(false, false, Cog, L, K, T(1), w + grp * Cog * K, K, B, L, T(0), yg, L);
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
  const bool pointwise = is_pointwise(g);
  parallel_for(0, g.N, sample_grain(g), [&](std::int64_t nb, std::int64_t ne) {
    std::vector<T> cols(pointwise ? 0 : static_cast<std::size_t>(K * L));
    for (std::int64_t n = nb; n < ne; ++n) {
      T* gxn = gx + n * g.C * g.H * g.W;
      if (!pointwise) std::fill(gxn, gxn + g.C * g.H * g.W, T(0));
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const T* gyg = gy + (n * g.Co + grp * Cog) * L;
        T* gxg = gxn + grp * Cg * g.H * g.W;
        // cols [K, L] = W_g^T [K, Cog] * gy_g [Cog, L]
        T* C = pointwise ? gxg : cols.data();
        gemm<T>(true, false, K, L, Cog, T(1), w + grp * Cog * K, K, gyg, L, T(0), C, L);
        if (!pointwise) col2im(cols.data(), Cg, g, gxg);
      }
    }
  });
}

template <class T>
void conv2d_backward_weight(const T* x, const T* gy, const Conv2dGeometry& g, T* gw) {
  const std::int64_t Cg = g.C / g.groups, Cog = g.Co / g.groups;
  const std::int64_t K = Cg * g.kH * g.kW, L = g.OH * g.OW;
  const std::int64_t wsize = g.Co * K;
  const bool pointwise = is_pointwise(g);
  std::fill(gw, gw + wsize, T(0));
  if (g.N == 0) return;
  // One partial sum per chunk of samples; the chunks are fixed by the thread count alone.
  const std::int64_t chunks =
      std::max<std::int64_t>(1, std::min<std::int64_t>(num_threads(), g.N / sample_grain(g)));
  std::vector<T> partial(static_cast<std::size_t>((chunks - 1) * wsize));
  parallel_for(0, chunks, 1, [&](std::int64_t cb, std::int64_t ce) {
    std::vector<T> cols(pointwise ? 0 : static_cast<std::size_t>(K * L));
    for (std::int64_t ch = cb; ch < ce; ++ch) {
      T* acc = ch == 0 ? gw : partial.data() + (ch - 1) * wsize;
      const std::int64_t n0 = g.N * ch / chunks, n1 = g.N * (ch + 1) / chunks;
      for (std::int64_t n = n0; n < n1; ++n)
        for (std::int64_t grp = 0; grp < g.groups; ++grp) {
          const T* xg = x + (n * g.C + grp * Cg) * g.H * g.W;
          const T* B = xg;
          if (!pointwise) {
            im2col(xg, Cg, g, cols.data());
            B = cols.data();
          }
          // gW_g [Cog, K] (+)= gy_g [Cog, L] * cols^T [L, K]
          gemm<T>(false, true, Cog, K, L, T(1), gy + (n * g.Co + grp * Cog) * L, L, B, L,
                  n == n0 ? T(0) : T(1), acc + grp * Cog * K, K);
        }
    }
  });
  for (std::int64_t ch = 1; ch < chunks; ++ch) {
    const T* p = partial.data() + (ch - 1) * wsize;
    for (std::int64_t i = 0; i < wsize; ++i) gw[i] += p[i];
  }
}

#define TG_INSTANTIATE(T)                                                                   \
  template void im2col<T>(const T*, std::int64_t, const Conv2dGeometry&, T*);               \
  template void col2im<T>(const T*, std::int64_t, const Conv2dGeometry&, T*);               \
  template void conv2d_forward<T>(const T*, const T*, const T*, const Conv2dGeometry&, T*); \
  template void conv2d_backward_input<T>(const T*, const T*, const Conv2dGeometry&, T*);    \
  template void conv2d_backward_weight<T>(const T*, const T*, const Conv2dGeometry&, T*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::kernels
