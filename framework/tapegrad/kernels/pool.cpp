#include "tapegrad/kernels/pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/simd.hpp"

namespace tg::kernels {

namespace {

// Enough work per thread to be worth a thread.
std::int64_t plane_grain(std::int64_t work_per_plane) {
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(work_per_plane, 1));
}

// The window of output position o along one axis, clipped as PyTorch's avg_pool2d:
// [start, end) within the padded input gives the divisor with padding; the clamped window
// [lo, hi) within the real input is what is summed.
struct AvgWindow {
  std::int64_t lo, hi, padded;
};
inline AvgWindow avg_window(std::int64_t o, std::int64_t s, std::int64_t p, std::int64_t k,
                            std::int64_t n) {
  const std::int64_t start = o * s - p;
  const std::int64_t end = std::min(start + k, n + p);
  return {std::max<std::int64_t>(start, 0), std::min(end, n), end - start};
}

inline std::int64_t adaptive_start(std::int64_t i, std::int64_t in, std::int64_t out) {
  return (i * in) / out;
}
inline std::int64_t adaptive_end(std::int64_t i, std::int64_t in, std::int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

}  // namespace

// The common 2x2 window with stride 2, no padding or dilation, every window inside the input
// (ceil_mode may add a last window that is not; the generic path takes that). The four values
// are visited in the generic order with the same test, so the result and the index are the same;
// written without branches so that GCC vectorises the row.
inline bool is_pool_2x2(const Pool2dGeometry& g) {
  return g.kH == 2 && g.kW == 2 && g.sH == 2 && g.sW == 2 && g.pH == 0 && g.pW == 0 && g.dH == 1 &&
         g.dW == 1 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;
}

// One output row of the 2x2 pool: r0, r1 are the two input rows, `base` the index of r0[0]
// within its plane. Scalar, branch-free; the reference order (a, b, c, d) and test.
template <class T>
inline void max_pool2x2_row(const T* __restrict r0, const T* __restrict r1, std::int64_t W,
                            std::int64_t base, std::int64_t ow0, std::int64_t OW, T* __restrict yr,
                            std::int64_t* __restrict ir) {
  for (std::int64_t ow = ow0; ow < OW; ++ow) {
    const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
    T m = a;
    std::int64_t k = 0;
    bool t = (b > m) | (b != b);
    m = t ? b : m;
    k = t ? 1 : k;
    t = (c > m) | (c != c);
    m = t ? c : m;
    k = t ? W : k;
    t = (d > m) | (d != d);
    m = t ? d : m;
    k = t ? W + 1 : k;
    yr[ow] = m;
    ir[ow] = base + 2 * ow + k;
  }
}

#if defined(__AVX2__)
// Eight outputs at a time: even and odd columns are split with shuffles, the same comparisons
// as the scalar row made with masks. Returns the outputs done (all of them).
inline std::int64_t max_pool2x2_row_avx2(const float* r0, const float* r1, std::int64_t W,
                                         std::int64_t base, std::int64_t OW, float* yr,
                                         std::int64_t* ir) {
  // The 2 * n floats at p (n <= 8 outputs' windows), split into even and odd columns. With
  // n < 8 (AVX-512 only) masked loads read nothing past them, and the second one is made only
  // when it reads something (p + 8 then points inside the row).
  const auto split = [&](const float* p, std::int64_t n, __m256& even, __m256& odd) {
    __m256 lo, hi;
    if (n == 8) {
      lo = _mm256_loadu_ps(p);
      hi = _mm256_loadu_ps(p + 8);
    } else {
#if defined(__AVX512VL__)
      const unsigned m2 = (1u << (2 * n)) - 1;
      lo = _mm256_maskz_loadu_ps(static_cast<__mmask8>(m2), p);
      hi = n > 4 ? _mm256_maskz_loadu_ps(static_cast<__mmask8>(m2 >> 8), p + 8)
                 : _mm256_setzero_ps();
#else
      lo = hi = _mm256_setzero_ps();  // not reached: without AVX-512 every group is whole
#endif
    }
    even = _mm256_castpd_ps(_mm256_permute4x64_pd(
        _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
    odd = _mm256_castpd_ps(_mm256_permute4x64_pd(
        _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
  };
  const auto wins = [](__m256 v, __m256 m) {
    return _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  };
  const __m256 k1 = _mm256_castsi256_ps(_mm256_set1_epi32(1));
  const __m256 kW = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(W)));
  const __m256 kW1 = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(W + 1)));
  const __m256i lane = _mm256_setr_epi64x(0, 2, 4, 6);
  // Outputs [ow, ow + n), n <= 8, from the windows at p0 and p1 (the two input rows from column
  // 2 ow on), into yo and io.
  const auto block = [&](const float* p0, const float* p1, std::int64_t ow, std::int64_t n,
                         float* yo, std::int64_t* io) {
    __m256 a, b, c, d;
    split(p0, n, a, b);
    split(p1, n, c, d);
    __m256 m = a, k = _mm256_setzero_ps();
    __m256 t = wins(b, m);
    m = _mm256_blendv_ps(m, b, t);
    k = _mm256_blendv_ps(k, k1, t);
    t = wins(c, m);
    m = _mm256_blendv_ps(m, c, t);
    k = _mm256_blendv_ps(k, kW, t);
    t = wins(d, m);
    m = _mm256_blendv_ps(m, d, t);
    k = _mm256_blendv_ps(k, kW1, t);
    const __m256i ki = _mm256_castps_si256(k);
    const __m256i start = _mm256_add_epi64(_mm256_set1_epi64x(base + 2 * ow), lane);
    const __m256i lo = _mm256_add_epi64(start, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(ki)));
    const __m256i hi = _mm256_add_epi64(_mm256_add_epi64(start, _mm256_set1_epi64x(8)),
                                        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(ki, 1)));
    auto* il = reinterpret_cast<long long*>(io);
    if (n == 8) {
      _mm256_storeu_ps(yo, m);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(il), lo);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(il + 4), hi);
    } else {
#if defined(__AVX512VL__)
      const unsigned keep = (1u << n) - 1;
      _mm256_mask_storeu_ps(yo, static_cast<__mmask8>(keep), m);
      _mm256_mask_storeu_epi64(il, static_cast<__mmask8>(keep & 15u), lo);
      if (n > 4) _mm256_mask_storeu_epi64(il + 4, static_cast<__mmask8>(keep >> 4), hi);
#endif
    }
  };
  std::int64_t ow = 0;
  for (; ow + 8 <= OW; ow += 8) block(r0 + 2 * ow, r1 + 2 * ow, ow, 8, yr + ow, ir + ow);
  if (ow == OW) return OW;
  if (OW >= 8) {
    // A partial last group: the last eight outputs again, overlapping the previous group (the
    // same values are written twice), rather than a scalar tail (6 of a row of 14 outputs).
    const std::int64_t o = OW - 8;
    block(r0 + 2 * o, r1 + 2 * o, o, 8, yr + o, ir + o);
    return OW;
  }
  // A row of fewer than 8 outputs (the wider CNN's second pool has 7, LeNet's 5) is one group
  // too. AVX-512's masked loads and stores touch only the lanes they keep. AVX2's (vmaskmov) may
  // fault on the others on AMD (the manual calls it implementation dependent), so without
  // AVX-512 the group runs on zero-padded copies of the rows and its outputs are copied back.
#if defined(__AVX512VL__)
  block(r0, r1, 0, OW, yr, ir);
#else
  alignas(32) float a[16] = {}, b[16] = {}, yb[8];
  alignas(32) std::int64_t ib[8];
  copy_row(r0, a, 2 * OW);
  copy_row(r1, b, 2 * OW);
  block(a, b, 0, 8, yb, ib);
  copy_row(yb, yr, OW);
  copy_row(ib, ir, OW);
#endif
  return OW;
}
#endif

template <class T>
void max_pool2x2_forward(const T* x, const Pool2dGeometry& g, T* y, std::int64_t* idx) {
  const std::int64_t in_size = g.H * g.W, out_size = g.OH * g.OW, W = g.W;
  parallel_for(0, g.planes, plane_grain(out_size * 4), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p)
      for (std::int64_t oh = 0; oh < g.OH; ++oh) {
        const T* r0 = x + p * in_size + 2 * oh * W;
        T* yr = y + p * out_size + oh * g.OW;
        std::int64_t* ir = idx + p * out_size + oh * g.OW;
        std::int64_t ow0 = 0;
#if defined(__AVX2__)
        if constexpr (std::is_same_v<T, float>)
          ow0 = max_pool2x2_row_avx2(r0, r0 + W, W, 2 * oh * W, g.OW, yr, ir);
#endif
        max_pool2x2_row(r0, r0 + W, W, 2 * oh * W, ow0, g.OW, yr, ir);
      }
  });
}

template <class T>
void max_pool2d_forward(const T* x, const Pool2dGeometry& g, T* y, std::int64_t* idx) {
  if (is_pool_2x2(g)) return max_pool2x2_forward(x, g, y, idx);
  const std::int64_t in_size = g.H * g.W, out_size = g.OH * g.OW;
  parallel_for(0, g.planes, plane_grain(out_size * g.kH * g.kW),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t p = b; p < e; ++p) {
                   const T* xp = x + p * in_size;
                   T* yp = y + p * out_size;
                   std::int64_t* ip = idx + p * out_size;
                   for (std::int64_t oh = 0; oh < g.OH; ++oh) {
                     std::int64_t h0 = oh * g.sH - g.pH;
                     const std::int64_t h1 = std::min(h0 + (g.kH - 1) * g.dH + 1, g.H);
                     while (h0 < 0) h0 += g.dH;
                     for (std::int64_t ow = 0; ow < g.OW; ++ow) {
                       std::int64_t w0 = ow * g.sW - g.pW;
                       const std::int64_t w1 = std::min(w0 + (g.kW - 1) * g.dW + 1, g.W);
                       while (w0 < 0) w0 += g.dW;
                       // A window made only of padding (possible with dilation) has no position:
                       // -1, which scatter and gather skip.
                       std::int64_t best = h0 < h1 && w0 < w1 ? h0 * g.W + w0 : -1;
                       T m = -std::numeric_limits<T>::infinity();
                       for (std::int64_t h = h0; h < h1; h += g.dH)
                         for (std::int64_t w = w0; w < w1; w += g.dW) {
                           const T v = xp[h * g.W + w];
                           // Strictly greater: the first maximum wins; NaN always wins (so the last
                           // NaN).
                           if (v > m || std::isnan(v)) {
                             m = v;
                             best = h * g.W + w;
                           }
                         }
                       yp[oh * g.OW + ow] = m;
                       ip[oh * g.OW + ow] = best;
                     }
                   }
                 }
               });
}

#if defined(__AVX2__)
// Eight outputs of a 2x2 pool's backward at a time: each gradient goes to the window position
// its index names (k = idx - the window's first position: 0, 1, W or W + 1), zero to the other
// three; the two input rows are written whole. A last partial group of outputs goes through a
// padded copy. Sets `bad` when an index is outside its window.
inline void pool2x2_scatter_row_avx2(const float* yr, const std::int64_t* ir, std::int64_t base,
                                     std::int64_t W, std::int64_t OW, float* r0, float* r1,
                                     bool& bad) {
  const __m256i lane = _mm256_setr_epi64x(0, 2, 4, 6);
  const __m256i k0 = _mm256_setzero_si256(), k1 = _mm256_set1_epi32(1),
                kW = _mm256_set1_epi32(static_cast<int>(W)),
                kW1 = _mm256_set1_epi32(static_cast<int>(W + 1));
  __m256i outside = _mm256_setzero_si256();
  // Outputs yv[0..8) with indices iv, whose first window starts at `first`, into d0[0..16) and
  // d1[0..16) (the two input rows).
  const auto block = [&](const float* yv, const std::int64_t* iv, std::int64_t first, float* d0,
                         float* d1) {
    const __m256 g = _mm256_loadu_ps(yv);
    const __m256i start = _mm256_add_epi64(_mm256_set1_epi64x(first), lane);
    const __m256i dlo =
        _mm256_sub_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(iv)), start);
    const __m256i dhi =
        _mm256_sub_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(iv + 4)),
                         _mm256_add_epi64(start, _mm256_set1_epi64x(8)));
    // The low 32 bits of each 64-bit difference, in order; the high 32 bits must be zero.
    const __m256i k = _mm256_permutevar8x32_epi32(
        _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(dlo), _mm256_castsi256_ps(dhi),
                                              _MM_SHUFFLE(2, 0, 2, 0))),
        _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
    const __m256i high = _mm256_or_si256(_mm256_srli_epi64(dlo, 32), _mm256_srli_epi64(dhi, 32));
    const __m256i m0 = _mm256_cmpeq_epi32(k, k0), m1 = _mm256_cmpeq_epi32(k, k1),
                  mW = _mm256_cmpeq_epi32(k, kW), mW1 = _mm256_cmpeq_epi32(k, kW1);
    const __m256i any = _mm256_or_si256(_mm256_or_si256(m0, m1), _mm256_or_si256(mW, mW1));
    outside = _mm256_or_si256(
        outside, _mm256_or_si256(_mm256_andnot_si256(any, _mm256_set1_epi32(-1)), high));
    const auto row = [&](__m256i me, __m256i mo, float* dst) {
      const __m256 e = _mm256_and_ps(g, _mm256_castsi256_ps(me)),
                   o = _mm256_and_ps(g, _mm256_castsi256_ps(mo));
      const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);
      _mm256_storeu_ps(dst, _mm256_permute2f128_ps(lo, hi, 0x20));
      _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    };
    row(m0, m1, d0);
    row(mW, mW1, d1);
  };
  std::int64_t ow = 0;
  for (; ow + 8 <= OW; ow += 8) block(yr + ow, ir + ow, base + 2 * ow, r0 + 2 * ow, r1 + 2 * ow);
  if (ow < OW && OW >= 8) {
    // A partial last group: the last eight outputs again, overlapping the previous group (each
    // block writes whole windows, so the overlap is written twice with the same values).
    const std::int64_t o = OW - 8;
    block(yr + o, ir + o, base + 2 * o, r0 + 2 * o, r1 + 2 * o);
  } else if (const std::int64_t n = OW - ow; n > 0) {
    // A row of fewer than 8 outputs: past the row, gradient 0 at the window's first position;
    // 2 n floats kept of each row (masked stores are slow on some cores: copied instead).
    alignas(32) float yt[8], d0[16], d1[16];
    alignas(32) std::int64_t it[8];
    for (std::int64_t i = 0; i < 8; ++i) {
      yt[i] = i < n ? yr[ow + i] : 0.0f;
      it[i] = i < n ? ir[ow + i] : base + 2 * (ow + i);
    }
    block(yt, it, base + 2 * ow, d0, d1);
    copy_row(d0, r0 + 2 * ow, std::min<std::int64_t>(2 * n, 16));
    copy_row(d1, r1 + 2 * ow, std::min<std::int64_t>(2 * n, 16));
  }
  bad |= !_mm256_testz_si256(outside, outside);
}
#endif

template <class T>
void pool_scatter(const T* gy, const std::int64_t* idx, std::int64_t planes, std::int64_t H,
                  std::int64_t W, std::int64_t OH, std::int64_t OW, T* gx) {
  const std::int64_t in_size = H * W, out_size = OH * OW;
  // When every index lies in its own disjoint 2x2 window (the common 2x2 stride-2 pool), each
  // input position receives at most one output's gradient: the plane is written in one pass,
  // zeros included, instead of being zero-filled and then scattered into.
  const bool disjoint = 2 * OH <= H && 2 * OW <= W;
  parallel_for(0, planes, plane_grain(out_size + in_size), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      T* gp = gx + p * in_size;
      const T* yp = gy + p * out_size;
      const std::int64_t* ip = idx + p * out_size;
      bool in_window = disjoint;
      for (std::int64_t oh = 0; in_window && oh < OH; ++oh) {
        T *r0 = gp + 2 * oh * W, *r1 = r0 + W;
        const T* yr = yp + oh * OW;
        const std::int64_t* ir = ip + oh * OW;
        bool bad = false;
        std::int64_t ow0 = 0;
#if defined(__AVX2__)
        if constexpr (std::is_same_v<T, float>) {
          pool2x2_scatter_row_avx2(yr, ir, 2 * oh * W, W, OW, r0, r1, bad);
          ow0 = OW;
        }
#endif
        for (std::int64_t ow = ow0; ow < OW; ++ow) {
          const std::int64_t k = ir[ow] - (2 * oh * W + 2 * ow);
          const T g = yr[ow];
          r0[2 * ow] = k == 0 ? g : T(0);
          r0[2 * ow + 1] = k == 1 ? g : T(0);
          r1[2 * ow] = k == W ? g : T(0);
          r1[2 * ow + 1] = k == W + 1 ? g : T(0);
          bad |= (k != 0) & (k != 1) & (k != W) & (k != W + 1);
        }
        std::fill(r0 + 2 * OW, r0 + W, T(0));
        std::fill(r1 + 2 * OW, r1 + W, T(0));
        in_window = !bad;
      }
      if (in_window) {
        std::fill(gp + 2 * OH * W, gp + in_size, T(0));
        continue;
      }
      std::fill(gp, gp + in_size, T(0));
      for (std::int64_t o = 0; o < out_size; ++o)
        if (ip[o] >= 0) gp[ip[o]] += yp[o];
    }
  });
}

template <class T>
void pool_gather(const T* x, const std::int64_t* idx, std::int64_t planes, std::int64_t in_size,
                 std::int64_t out_size, T* y) {
  parallel_for(0, planes, plane_grain(out_size), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x + p * in_size;
      T* yp = y + p * out_size;
      const std::int64_t* ip = idx + p * out_size;
      for (std::int64_t o = 0; o < out_size; ++o) yp[o] = ip[o] >= 0 ? xp[ip[o]] : T(0);
    }
  });
}

template <class T>
void avg_pool2d_forward(const T* x, const Pool2dGeometry& g, bool count_include_pad, T* y) {
  const std::int64_t in_size = g.H * g.W, out_size = g.OH * g.OW;
  parallel_for(
      0, g.planes, plane_grain(out_size * g.kH * g.kW), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t p = b; p < e; ++p) {
          const T* xp = x + p * in_size;
          T* yp = y + p * out_size;
          for (std::int64_t oh = 0; oh < g.OH; ++oh) {
            const AvgWindow wh = avg_window(oh, g.sH, g.pH, g.kH, g.H);
            for (std::int64_t ow = 0; ow < g.OW; ++ow) {
              const AvgWindow ww = avg_window(ow, g.sW, g.pW, g.kW, g.W);
              if (wh.lo >= wh.hi || ww.lo >= ww.hi) {
                yp[oh * g.OW + ow] = T(0);
                continue;
              }
              double s = 0;
              for (std::int64_t h = wh.lo; h < wh.hi; ++h)
                for (std::int64_t w = ww.lo; w < ww.hi; ++w)
                  s += static_cast<double>(xp[h * g.W + w]);
              const std::int64_t div =
                  count_include_pad ? wh.padded * ww.padded : (wh.hi - wh.lo) * (ww.hi - ww.lo);
              yp[oh * g.OW + ow] = static_cast<T>(s / static_cast<double>(div));
            }
          }
        }
      });
}

template <class T>
void avg_pool2d_backward(const T* gy, const Pool2dGeometry& g, bool count_include_pad, T* gx) {
  const std::int64_t in_size = g.H * g.W, out_size = g.OH * g.OW;
  parallel_for(
      0, g.planes, plane_grain(out_size * g.kH * g.kW), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t p = b; p < e; ++p) {
          T* gp = gx + p * in_size;
          std::fill(gp, gp + in_size, T(0));
          const T* yp = gy + p * out_size;
          for (std::int64_t oh = 0; oh < g.OH; ++oh) {
            const AvgWindow wh = avg_window(oh, g.sH, g.pH, g.kH, g.H);
            for (std::int64_t ow = 0; ow < g.OW; ++ow) {
              const AvgWindow ww = avg_window(ow, g.sW, g.pW, g.kW, g.W);
              if (wh.lo >= wh.hi || ww.lo >= ww.hi) continue;
              const std::int64_t div =
                  count_include_pad ? wh.padded * ww.padded : (wh.hi - wh.lo) * (ww.hi - ww.lo);
              const T v = static_cast<T>(yp[oh * g.OW + ow] / static_cast<T>(div));
              for (std::int64_t h = wh.lo; h < wh.hi; ++h)
                for (std::int64_t w = ww.lo; w < ww.hi; ++w) gp[h * g.W + w] += v;
            }
          }
        }
      });
}

template <class T>
void adaptive_avg_pool2d_forward(const T* x, const Pool2dGeometry& g, T* y) {
  const std::int64_t in_size = g.H * g.W, out_size = g.OH * g.OW;
  parallel_for(0, g.planes, plane_grain(in_size + out_size), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x + p * in_size;
      T* yp = y + p * out_size;
      for (std::int64_t oh = 0; oh < g.OH; ++oh) {
        const std::int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          const std::int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
          double s = 0;
          for (std::int64_t h = h0; h < h1; ++h)
            for (std::int64_t w = w0; w < w1; ++w) s += static_cast<double>(xp[h * g.W + w]);
          yp[oh * g.OW + ow] = static_cast<T>(s / static_cast<double>((h1 - h0) * (w1 - w0)));
        }
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward(const T* gy, const Pool2dGeometry& g, T* gx) {
  const std::int64_t in_size = g.H * g.W, out_size = g.OH * g.OW;
  parallel_for(0, g.planes, plane_grain(in_size + out_size), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      T* gp = gx + p * in_size;
      std::fill(gp, gp + in_size, T(0));
      const T* yp = gy + p * out_size;
      for (std::int64_t oh = 0; oh < g.OH; ++oh) {
        const std::int64_t h0 = adaptive_start(oh, g.H, g.OH), h1 = adaptive_end(oh, g.H, g.OH);
        for (std::int64_t ow = 0; ow < g.OW; ++ow) {
          const std::int64_t w0 = adaptive_start(ow, g.W, g.OW), w1 = adaptive_end(ow, g.W, g.OW);
          const T v = yp[oh * g.OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
          for (std::int64_t h = h0; h < h1; ++h)
            for (std::int64_t w = w0; w < w1; ++w) gp[h * g.W + w] += v;
        }
      }
    }
  });
}

#define TG_INSTANTIATE(T)                                                                  \
  template void max_pool2d_forward<T>(const T*, const Pool2dGeometry&, T*, std::int64_t*); \
  template void pool_scatter<T>(const T*, const std::int64_t*, std::int64_t, std::int64_t, \
                                std::int64_t, std::int64_t, std::int64_t, T*);             \
  template void pool_gather<T>(const T*, const std::int64_t*, std::int64_t, std::int64_t,  \
                               std::int64_t, T*);                                          \
  template void avg_pool2d_forward<T>(const T*, const Pool2dGeometry&, bool, T*);          \
  template void avg_pool2d_backward<T>(const T*, const Pool2dGeometry&, bool, T*);         \
  template void adaptive_avg_pool2d_forward<T>(const T*, const Pool2dGeometry&, T*);       \
  template void adaptive_avg_pool2d_backward<T>(const T*, const Pool2dGeometry&, T*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::kernels
