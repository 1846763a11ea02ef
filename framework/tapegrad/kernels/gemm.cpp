// A cache-blocked GEMM in the BLIS structure: K is cut into KC slices; for each slice B is packed
// into NR-wide column panels and A into MR-tall row panels of MC-row blocks; a register tile of
// MR x NR accumulators runs over the packed panels. When M is a single block, a row-major B is
// read in place instead (each panel is used once per slice, so packing would only copy it). The
// micro-kernel is chosen at build time from the target (-march): AVX-512 (12 rows x 2 vectors:
// 12x32 float, 12x16 double), else AVX2+FMA intrinsics (6x16 float, 6x8 double), else portable
// C++ that GCC vectorises as it can. The AVX-512 tile's code is shared with an emulated vector
// type that every build has, so its packing, edges and stores are tested on any machine
// (gemm_with_tile_for_testing).
#include "tapegrad/kernels/gemm.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif
#include <vector>

// The wide tile is gemm()'s kernel when the target has AVX-512, unless CMake's TG_AVX512_GEMM is
// OFF (TG_NO_AVX512_GEMM).
#if defined(__AVX512F__) && !defined(TG_NO_AVX512_GEMM)
#define TG_GEMM_WIDE 1
#else
#define TG_GEMM_WIDE 0
#endif

#include "tapegrad/core/storage.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/kernels/scratch.hpp"
#ifdef TG_USE_BLAS
#include "tapegrad/kernels/blas.hpp"
#endif

namespace tg::kernels {

namespace {

// The AVX2 (and portable) tile: 6 rows x 2 vectors of 32 bytes, 16 floats or 8 doubles wide.
template <class T>
struct NarrowTile {
  static constexpr std::int64_t MR = 6, NR = 2 * 32 / sizeof(T), MC = 96, KC_MAX = 320;
};
// The AVX-512 tile: 12 rows x 2 vectors of 64 bytes (32 floats, 16 doubles): 24 of the 32 zmm
// registers hold accumulators. KC_MAX = 192 keeps a B panel (KC x NR) at 24 KB, inside a 32 KB
// L1 beside the A panel streaming from L2 (the AVX2 tile's 320 x 16 floats is 20 KB).
template <class T>
struct WideTile {
  static constexpr std::int64_t MR = 12, NR = 2 * 64 / sizeof(T), MC = 96, KC_MAX = 192;
};

constexpr std::int64_t round_up(std::int64_t v, std::int64_t m) { return (v + m - 1) / m * m; }

#if defined(__AVX2__) && defined(__FMA__)
// dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 float block (rows >= nrows read as zero).
inline void transpose8x8(const float* src, std::int64_t lds, float* dst, std::int64_t ldd,
                         int nrows = 8) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i)
    r[i] = i < nrows ? _mm256_loadu_ps(src + i * lds) : _mm256_setzero_ps();
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // Now r[i] (i < 4) holds column i of rows 0-3 in its low half and column i + 4 of rows 0-3 in
  // its high half; r[i + 4] the same for rows 4-7. Join the halves.
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
    t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
  }
  for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + i * ldd, t[i]);
}
// dst[c * ldd + r] = src[r * lds + c] for a 4 x 8 float block: 8 rows of 4 written.
inline void transpose4x8(const float* src, std::int64_t lds, float* dst, std::int64_t ldd) {
  const __m256 a = _mm256_loadu_ps(src), b = _mm256_loadu_ps(src + lds),
               c = _mm256_loadu_ps(src + 2 * lds), d = _mm256_loadu_ps(src + 3 * lds);
  const __m256 ab0 = _mm256_unpacklo_ps(a, b), ab1 = _mm256_unpackhi_ps(a, b);
  const __m256 cd0 = _mm256_unpacklo_ps(c, d), cd1 = _mm256_unpackhi_ps(c, d);
  // Column j of the block in the low half of col[j & 3] for j < 4, in its high half for j >= 4.
  const __m256 col[4] = {_mm256_shuffle_ps(ab0, cd0, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm256_shuffle_ps(ab0, cd0, _MM_SHUFFLE(3, 2, 3, 2)),
                         _mm256_shuffle_ps(ab1, cd1, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm256_shuffle_ps(ab1, cd1, _MM_SHUFFLE(3, 2, 3, 2))};
  for (int j = 0; j < 4; ++j) {
    _mm_storeu_ps(dst + j * ldd, _mm256_castps256_ps128(col[j]));
    _mm_storeu_ps(dst + (j + 4) * ldd, _mm256_extractf128_ps(col[j], 1));
  }
}
#endif

// Packs op(B)[k0:k0+kc, 0:N] into panels of NR columns: panel j holds kc rows of NR values.
template <class T, std::int64_t NR>
void pack_b(bool tb, const T* B, std::int64_t ldb, std::int64_t k0, std::int64_t kc, std::int64_t N,
            T* out, bool threaded) {
  static_assert(NR % 8 == 0, "panels are copied and transposed 8 columns at a time");
  const std::int64_t panels = (N + NR - 1) / NR, full = N / NR;
  // Packing is cheap per element, but the threads wait for it: when the product itself runs on
  // threads (`threaded`), split it from 8K elements a thread (a 256 x 256 B was packed by one
  // thread at 64K, 10-20% of its 2-thread GEMM). Otherwise a parallel region would cost more
  // than the copy (10 x 128 x 128 ran at half speed).
  const std::int64_t grain =
      threaded ? std::max<std::int64_t>(1, (1 << 13) / std::max<std::int64_t>(kc * NR, 1)) : panels;
  parallel_for(0, panels, grain, [&](std::int64_t pb, std::int64_t pe) {
    std::int64_t p = pb;
    if (!tb) {
      // B as it is: the full panels 8 rows of B at a time, panel after panel. B is then read as
      // 8 sequential streams and each panel written 8 lines at a time. (Panel by panel over all
      // kc rows, B is read one 64-byte line per row, rows ldb apart: a stride the hardware
      // prefetcher does not follow at a few KB. Row by row, the writes go to lines kc * NR
      // apart, which share one L1 set when that is a multiple of 4 KB.)
      const std::int64_t pf = std::min(pe, full);
      for (std::int64_t kb = 0; kb < kc && pb < pf; kb += 8) {
        const std::int64_t ke = std::min(kc, kb + 8);
        for (std::int64_t q = pb; q < pf; ++q) {
          T* d = out + q * kc * NR;
          for (std::int64_t k = kb; k < ke; ++k)
            std::memcpy(d + k * NR, B + (k0 + k) * ldb + q * NR, sizeof(T) * NR);
        }
      }
      p = std::max(pb, pf);
    }
    for (; p < pe; ++p) {
      T* dst = out + p * kc * NR;
      const std::int64_t j0 = p * NR, nr = std::min(NR, N - j0);
      std::int64_t k = 0;
#if defined(__AVX2__) && defined(__FMA__)
      if constexpr (std::is_same_v<T, float>) {
        // B transposed: a full panel's 16 rows of B hold its columns; move 8 x 8 blocks with
        // register transposes rather than one element at a time.
        if (tb && nr == NR)
          for (; k + 8 <= kc; k += 8)
            for (std::int64_t h = 0; h < NR; h += 8)
              transpose8x8(B + (j0 + h) * ldb + k0 + k, ldb, dst + k * NR + h, NR);
      }
#endif
      for (; k < kc; ++k) {
        T* d = dst + k * NR;
        if (!tb) {
          const T* s = B + (k0 + k) * ldb + j0;
          for (std::int64_t j = 0; j < nr; ++j) d[j] = s[j];
        } else {
          for (std::int64_t j = 0; j < nr; ++j) d[j] = B[(j0 + j) * ldb + k0 + k];
        }
        for (std::int64_t j = nr; j < NR; ++j) d[j] = T(0);
      }
    }
  });
}

// Packs op(A)[i0:i0+mc, k0:k0+kc] into panels of MR rows: panel i holds kc columns of MR values.
template <class T, std::int64_t MR>
void pack_a(bool ta, const T* A, std::int64_t lda, std::int64_t i0, std::int64_t mc,
            std::int64_t k0, std::int64_t kc, T* out) {
  for (std::int64_t p = 0; p * MR < mc; ++p) {
    T* dst = out + p * kc * MR;
    const std::int64_t r0 = i0 + p * MR, mr = std::min(MR, i0 + mc - r0);
    std::int64_t k = 0;
#if defined(__AVX2__) && defined(__FMA__)
    if constexpr (std::is_same_v<T, float>) {
      // A not transposed: a full panel's rows (up to 8 at a time), 8 columns at a time, through
      // a register transpose rather than one strided element at a time (the long-K
      // weight-gradient GEMMs).
      // Whole 8-row groups are stored straight into the panel (8 floats at a stride of MR), a
      // last group of 4 rows through a 4 x 8 transpose; any other remainder (the 6-row tile's)
      // through a buffer and copies of a size known at compile time. (A copy of a run-time size
      // became `rep movs`: half of the AVX-512 tile's pack_a, 19% of a CNN epoch.)
      if (!ta && mr == MR) {
        constexpr std::int64_t full = MR / 8 * 8, rem = MR - full;
        for (; k + 8 <= kc; k += 8) {
          const float* src = A + r0 * lda + k0 + k;
          float* d = dst + k * MR;
          for (std::int64_t h = 0; h < full; h += 8) transpose8x8(src + h * lda, lda, d + h, MR);
          if constexpr (rem == 4) {
            transpose4x8(src + full * lda, lda, d + full, MR);
          } else if constexpr (rem > 0) {
            alignas(32) float tmp[8][8];
            transpose8x8(src + full * lda, lda, &tmp[0][0], 8, static_cast<int>(rem));
            for (int i = 0; i < 8; ++i) std::memcpy(d + i * MR + full, tmp[i], sizeof(T) * rem);
          }
        }
      }
    }
#endif
    for (; k < kc; ++k) {
      T* d = dst + k * MR;
      if (!ta) {
        for (std::int64_t r = 0; r < mr; ++r) d[r] = A[(r0 + r) * lda + k0 + k];
      } else {
        const T* s = A + (k0 + k) * lda + r0;
        for (std::int64_t r = 0; r < mr; ++r) d[r] = s[r];
      }
      for (std::int64_t r = mr; r < MR; ++r) d[r] = T(0);
    }
  }
}

// Writes an MR x NR accumulator tile (row-major in `acc`) to the valid mr x nr part of C:
// C = alpha*acc + (first ? beta*C : C).
template <class T>
inline void store_tile(const T* acc, std::int64_t ld_acc, T* C, std::int64_t ldc, std::int64_t mr,
                       std::int64_t nr, T alpha, T beta, bool first) {
  for (std::int64_t r = 0; r < mr; ++r) {
    T* crow = C + r * ldc;
    const T* a = acc + r * ld_acc;
    if (first) {
      if (beta == T(0)) {
        for (std::int64_t c = 0; c < nr; ++c) crow[c] = alpha * a[c];
      } else {
        for (std::int64_t c = 0; c < nr; ++c) crow[c] = alpha * a[c] + beta * crow[c];
      }
    } else {
      for (std::int64_t c = 0; c < nr; ++c) crow[c] += alpha * a[c];
    }
  }
}

// Portable micro-kernel: acc = Ap * Bp over kc, then store_tile. GCC vectorises the inner loop.
template <class T>
inline void micro_kernel_generic(std::int64_t kc, const T* __restrict ap, const T* __restrict bp,
                                 std::int64_t bstride, T* C, std::int64_t ldc, std::int64_t mr,
                                 std::int64_t nr, T alpha, T beta, bool first) {
  constexpr std::int64_t MR = NarrowTile<T>::MR, NR = NarrowTile<T>::NR;
  alignas(64) T acc[MR][NR] = {};
  for (std::int64_t k = 0; k < kc; ++k) {
    const T* a = ap + k * MR;
    const T* b = bp + k * bstride;
    for (std::int64_t r = 0; r < MR; ++r) {
      const T av = a[r];
      for (std::int64_t c = 0; c < NR; ++c) acc[r][c] += av * b[c];
    }
  }
  store_tile<T>(&acc[0][0], NR, C, ldc, mr, nr, alpha, beta, first);
}

#if defined(__AVX2__) && defined(__FMA__)
// AVX2 + FMA register tiles: 6 rows x 2 vectors = 12 accumulators, 2 B vectors and one
// broadcast A value: 15 of the 16 ymm registers. Full tiles are stored straight to C; edge tiles
// go through a small buffer.
template <class T>
struct Avx2Ops;
template <>
struct Avx2Ops<float> {
  using V = __m256;
  static __m256 zero() { return _mm256_setzero_ps(); }
  static __m256 load(const float* p) { return _mm256_load_ps(p); }
  static __m256 loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
  static __m256 bcast(const float* p) { return _mm256_broadcast_ss(p); }
  static __m256 set1(float v) { return _mm256_set1_ps(v); }
  static __m256 fmadd(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
  static __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
};
template <>
struct Avx2Ops<double> {
  using V = __m256d;
  static __m256d zero() { return _mm256_setzero_pd(); }
  static __m256d load(const double* p) { return _mm256_load_pd(p); }
  static __m256d loadu(const double* p) { return _mm256_loadu_pd(p); }
  static void storeu(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
  static __m256d bcast(const double* p) { return _mm256_broadcast_sd(p); }
  static __m256d set1(double v) { return _mm256_set1_pd(v); }
  static __m256d fmadd(__m256d a, __m256d b, __m256d c) { return _mm256_fmadd_pd(a, b, c); }
  static __m256d mul(__m256d a, __m256d b) { return _mm256_mul_pd(a, b); }
  static __m256d add(__m256d a, __m256d b) { return _mm256_add_pd(a, b); }
};

template <class T>
inline void micro_kernel(std::int64_t kc, const T* __restrict ap, const T* __restrict bp,
                         std::int64_t bstride, T* C, std::int64_t ldc, std::int64_t mr,
                         std::int64_t nr, T alpha, T beta, bool first) {
  constexpr int W = 32 / sizeof(T);
  using O = Avx2Ops<T>;
  using V = typename O::V;
  static_assert(NarrowTile<T>::MR == 6 && NarrowTile<T>::NR == 2 * W,
                "tile shape and AVX2 kernel disagree");
  // Ask for the C tile now, so that its lines arrive while the k loop runs: its rows are ldc
  // apart, a pattern the hardware prefetcher does not follow, and C (4 MB at a 1024 square) is
  // out of L1 and L2 between K slices. Waiting for it after the loop cost the 1024 square ~15%.
  for (std::int64_t r = 0; r < mr; ++r) {
    __builtin_prefetch(C + r * ldc, 0, 3);  // _mm_prefetch needs -O1 or above to compile
    __builtin_prefetch(C + r * ldc + nr - 1, 0, 3);
  }
  V c00 = O::zero(), c01 = O::zero(), c10 = O::zero(), c11 = O::zero(), c20 = O::zero(),
    c21 = O::zero(), c30 = O::zero(), c31 = O::zero(), c40 = O::zero(), c41 = O::zero(),
    c50 = O::zero(), c51 = O::zero();
  for (std::int64_t k = 0; k < kc; ++k) {
    const V b0 = O::loadu(bp), b1 = O::loadu(bp + W);
    V a = O::bcast(ap + 0);
    c00 = O::fmadd(a, b0, c00);
    c01 = O::fmadd(a, b1, c01);
    a = O::bcast(ap + 1);
    c10 = O::fmadd(a, b0, c10);
    c11 = O::fmadd(a, b1, c11);
    a = O::bcast(ap + 2);
    c20 = O::fmadd(a, b0, c20);
    c21 = O::fmadd(a, b1, c21);
    a = O::bcast(ap + 3);
    c30 = O::fmadd(a, b0, c30);
    c31 = O::fmadd(a, b1, c31);
    a = O::bcast(ap + 4);
    c40 = O::fmadd(a, b0, c40);
    c41 = O::fmadd(a, b1, c41);
    a = O::bcast(ap + 5);
    c50 = O::fmadd(a, b0, c50);
    c51 = O::fmadd(a, b1, c51);
    ap += 6;
    bp += bstride;
  }
  const V va = O::set1(alpha);
  const V acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == 6 && nr == 2 * W) {
    const V vb = O::set1(beta);
    for (int r = 0; r < 6; ++r) {
      T* crow = C + r * ldc;
      for (int h = 0; h < 2; ++h) {
        V out = O::mul(va, acc[r][h]);
        if (!first)
          out = O::add(O::loadu(crow + h * W), out);
        else if (beta != T(0))
          out = O::fmadd(vb, O::loadu(crow + h * W), out);
        O::storeu(crow + h * W, out);
      }
    }
    return;
  }
  alignas(64) T buf[6][2 * W];
  for (int r = 0; r < 6; ++r) {
    O::storeu(&buf[r][0], acc[r][0]);
    O::storeu(&buf[r][W], acc[r][1]);
  }
  store_tile<T>(&buf[0][0], 2 * W, C, ldc, mr, nr, alpha, beta, first);
}
#else
template <class T>
inline void micro_kernel(std::int64_t kc, const T* __restrict ap, const T* __restrict bp,
                         std::int64_t bstride, T* C, std::int64_t ldc, std::int64_t mr,
                         std::int64_t nr, T alpha, T beta, bool first) {
  micro_kernel_generic<T>(kc, ap, bp, bstride, C, ldc, mr, nr, alpha, beta, first);
}
#endif

// The wide (AVX-512) tile: 12 rows x 2 vectors of 64 bytes, over any vector type O::V with these
// operations. With AVX-512 it is __m512 / __m512d; elsewhere EmulatedWideOps, so that the tile's
// packing, edges and stores run in the tests of every build (gemm_with_tile_for_testing).
#if defined(__AVX512F__)
template <class T>
struct Avx512Ops;
template <>
struct Avx512Ops<float> {
  using V = __m512;
  static constexpr int W = 16;
  static __m512 zero() { return _mm512_setzero_ps(); }
  static __m512 loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, __m512 v) { _mm512_storeu_ps(p, v); }
  static __m512 bcast(const float* p) { return _mm512_set1_ps(*p); }
  static __m512 set1(float v) { return _mm512_set1_ps(v); }
  static __m512 fmadd(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
  static __m512 mul(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
  static __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
};
template <>
struct Avx512Ops<double> {
  using V = __m512d;
  static constexpr int W = 8;
  static __m512d zero() { return _mm512_setzero_pd(); }
  static __m512d loadu(const double* p) { return _mm512_loadu_pd(p); }
  static void storeu(double* p, __m512d v) { _mm512_storeu_pd(p, v); }
  static __m512d bcast(const double* p) { return _mm512_set1_pd(*p); }
  static __m512d set1(double v) { return _mm512_set1_pd(v); }
  static __m512d fmadd(__m512d a, __m512d b, __m512d c) { return _mm512_fmadd_pd(a, b, c); }
  static __m512d mul(__m512d a, __m512d b) { return _mm512_mul_pd(a, b); }
  static __m512d add(__m512d a, __m512d b) { return _mm512_add_pd(a, b); }
};
#endif

#if defined(__AVX2__) && defined(__FMA__)
// A 64-byte vector as two AVX2 halves. Each lane gets the same fused multiply-adds in the same
// order as with AVX-512, so the results are bit for bit the AVX-512 kernel's.
template <class T>
struct EmulatedWideOps {
  using H = Avx2Ops<T>;
  static constexpr int W = 64 / sizeof(T), HW = W / 2;
  struct V {
    typename H::V lo, hi;
  };
  static V zero() { return {H::zero(), H::zero()}; }
  static V loadu(const T* p) { return {H::loadu(p), H::loadu(p + HW)}; }
  static void storeu(T* p, V v) {
    H::storeu(p, v.lo);
    H::storeu(p + HW, v.hi);
  }
  static V bcast(const T* p) {
    const auto b = H::bcast(p);
    return {b, b};
  }
  static V set1(T v) { return {H::set1(v), H::set1(v)}; }
  static V fmadd(V a, V b, V c) { return {H::fmadd(a.lo, b.lo, c.lo), H::fmadd(a.hi, b.hi, c.hi)}; }
  static V mul(V a, V b) { return {H::mul(a.lo, b.lo), H::mul(a.hi, b.hi)}; }
  static V add(V a, V b) { return {H::add(a.lo, b.lo), H::add(a.hi, b.hi)}; }
};
#else
// A 64-byte vector through GCC's vector extension (multiply and add, not fused).
template <class T>
struct EmulatedWideOps {
  typedef T V __attribute__((vector_size(64)));
  static constexpr int W = 64 / sizeof(T);
  static V zero() { return V{}; }
  static V loadu(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void storeu(T* p, V v) { std::memcpy(p, &v, sizeof v); }
  static V bcast(const T* p) { return V{} + *p; }
  static V set1(T v) { return V{} + v; }
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V mul(V a, V b) { return a * b; }
  static V add(V a, V b) { return a + b; }
};
#endif

// The 12 x 2-vector register tile: 24 accumulators, 2 B vectors and one broadcast A value (27 of
// the 32 zmm registers). The loops over rows are unrolled, so the accumulators stay in registers.
template <class T, class O>
inline void micro_kernel_wide(std::int64_t kc, const T* __restrict ap, const T* __restrict bp,
                              std::int64_t bstride, T* C, std::int64_t ldc, std::int64_t mr,
                              std::int64_t nr, T alpha, T beta, bool first) {
  constexpr int MR = WideTile<T>::MR, W = O::W;
  using V = typename O::V;
  static_assert(WideTile<T>::NR == 2 * W, "tile shape and wide kernel disagree");
  // As in the AVX2 kernel: ask for the C tile's lines now (rows ldc apart).
  for (std::int64_t r = 0; r < mr; ++r) {
    __builtin_prefetch(C + r * ldc, 0, 3);
    __builtin_prefetch(C + r * ldc + nr - 1, 0, 3);
  }
  V c[MR][2];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = O::zero();
  for (std::int64_t k = 0; k < kc; ++k) {
    const V b0 = O::loadu(bp), b1 = O::loadu(bp + W);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const V a = O::bcast(ap + r);
      c[r][0] = O::fmadd(a, b0, c[r][0]);
      c[r][1] = O::fmadd(a, b1, c[r][1]);
    }
    ap += MR;
    bp += bstride;
  }
  const V va = O::set1(alpha);
  if (mr == MR && nr == 2 * W) {
    const V vb = O::set1(beta);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      T* crow = C + r * ldc;
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        V out = O::mul(va, c[r][h]);
        if (!first)
          out = O::add(O::loadu(crow + h * W), out);
        else if (beta != T(0))
          out = O::fmadd(vb, O::loadu(crow + h * W), out);
        O::storeu(crow + h * W, out);
      }
    }
    return;
  }
  alignas(64) T buf[MR][2 * W];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    O::storeu(&buf[r][0], c[r][0]);
    O::storeu(&buf[r][W], c[r][1]);
  }
  store_tile<T>(&buf[0][0], 2 * W, C, ldc, mr, nr, alpha, beta, first);
}

// A tile shape with its micro-kernel.
template <class T>
struct NarrowKernel : NarrowTile<T> {
  static void micro(std::int64_t kc, const T* ap, const T* bp, std::int64_t bstride, T* C,
                    std::int64_t ldc, std::int64_t mr, std::int64_t nr, T alpha, T beta,
                    bool first) {
    micro_kernel<T>(kc, ap, bp, bstride, C, ldc, mr, nr, alpha, beta, first);
  }
};
template <class T>
struct WideKernel : WideTile<T> {
#if defined(__AVX512F__)
  using Ops = Avx512Ops<T>;
#else
  using Ops = EmulatedWideOps<T>;
#endif
  static void micro(std::int64_t kc, const T* ap, const T* bp, std::int64_t bstride, T* C,
                    std::int64_t ldc, std::int64_t mr, std::int64_t nr, T alpha, T beta,
                    bool first) {
    micro_kernel_wide<T, Ops>(kc, ap, bp, bstride, C, ldc, mr, nr, alpha, beta, first);
  }
};
// The kernel gemm() uses: the wide tile where the target has AVX-512.
#if TG_GEMM_WIDE
template <class T>
using DefaultKernel = WideKernel<T>;
#else
template <class T>
using DefaultKernel = NarrowKernel<T>;
#endif

// Small problems (the layers of a tiny MLP): packing and threads cost more than the arithmetic,
// so rows of C are computed directly, accumulating over k in order into a row buffer on the
// stack. Serial, so the result does not depend on the thread count either.
constexpr std::int64_t kSmallMaxN = 256;
constexpr std::int64_t kSmallMaxWork = 48 * 48 * 48;

// 32-byte vectors through GCC's vector extension, so float and double share the small path.
template <class T>
struct SmallVec {
  typedef T type __attribute__((vector_size(32)));
};

// RB rows of C from row i0 on, for gemm_small (B row-major unless tb). Every element is a sum
// over k in order from zero, whatever the path: column blocks of two vectors, then one vector,
// then single columns. The RB rows share each load of B, and their RB independent sums keep the
// adds from waiting on each other (one row at a time, each step waited for the last one's add:
// RB = 4 took the tiny MLP's forward + backward from 6.0 to 5.55 us per iteration on Zen 5).
template <class T, int RB>
inline void gemm_small_rows(bool ta, bool tb, std::int64_t i0, std::int64_t N, std::int64_t K,
                            T alpha, const T* A, std::int64_t lda, const T* B, std::int64_t ldb,
                            T beta, T* C, std::int64_t ldc) {
  using V = typename SmallVec<T>::type;
  constexpr std::int64_t L = 32 / sizeof(T);
  auto load = [](const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  auto finish = [&](T* c, T acc) { c[0] = beta == T(0) ? alpha * acc : alpha * acc + beta * c[0]; };
  auto finish_v = [&](T* c, V acc) {
    V out = alpha * acc;
    if (beta != T(0)) out += beta * load(c);
    std::memcpy(c, &out, sizeof out);
  };
  const std::int64_t as = ta ? lda : 1;
  const T* a[RB];
  T* c[RB];
  for (int r = 0; r < RB; ++r) {
    a[r] = ta ? A + i0 + r : A + (i0 + r) * lda;
    c[r] = C + (i0 + r) * ldc;
  }
  std::int64_t j = 0;
  if (!tb) {
    for (; j + 2 * L <= N; j += 2 * L) {
      V c0[RB] = {}, c1[RB] = {};
      for (std::int64_t k = 0; k < K; ++k) {
        const T* b = B + k * ldb + j;
        const V b0 = load(b), b1 = load(b + L);
        for (int r = 0; r < RB; ++r) {
          const V av = V{} + a[r][k * as];
          c0[r] += av * b0;
          c1[r] += av * b1;
        }
      }
      for (int r = 0; r < RB; ++r) {
        finish_v(c[r] + j, c0[r]);
        finish_v(c[r] + j + L, c1[r]);
      }
    }
    for (; j + L <= N; j += L) {
      V c0[RB] = {};
      for (std::int64_t k = 0; k < K; ++k) {
        const V b0 = load(B + k * ldb + j);
        for (int r = 0; r < RB; ++r) c0[r] += (V{} + a[r][k * as]) * b0;
      }
      for (int r = 0; r < RB; ++r) finish_v(c[r] + j, c0[r]);
    }
  }
  for (; j < N; ++j) {
    T acc[RB] = {};
    for (std::int64_t k = 0; k < K; ++k) {
      const T bv = tb ? B[j * ldb + k] : B[k * ldb + j];
      for (int r = 0; r < RB; ++r) acc[r] += a[r][k * as] * bv;
    }
    for (int r = 0; r < RB; ++r) finish(c[r] + j, acc[r]);
  }
}

template <class T>
void gemm_small(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
                std::int64_t ldc) {
  // A transposed B is read across rows for every row of C: when it is small, copy it once into
  // row-major order (k, j) so that the inner loops run along contiguous memory.
  constexpr std::int64_t kPackMax = 4096;
  alignas(64) T bt[kPackMax];
  if (tb && K * N <= kPackMax) {
    for (std::int64_t j = 0; j < N; ++j)
      for (std::int64_t k = 0; k < K; ++k) bt[k * N + j] = B[j * ldb + k];
    B = bt;
    ldb = N;
    tb = false;
  }
  std::int64_t i = 0;
  for (; i + 4 <= M; i += 4)
    gemm_small_rows<T, 4>(ta, tb, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  for (; i < M; ++i) gemm_small_rows<T, 1>(ta, tb, i, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// C = beta * C (K = 0 or alpha = 0: no product to add).
template <class T>
void scale_c(std::int64_t M, std::int64_t N, T beta, T* C, std::int64_t ldc) {
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j)
      C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

// An M block of packed A: rows i0 .. i0 + mc of the M, its MR-row panels `stride` apart.
template <class T>
struct ABlock {
  const T* panels;
  std::int64_t stride, i0, mc, M;
};
// Where a K slice's B panels are: panel p packed at packed + (p - first) * kc * NR or, with
// `direct`, the full panels read in place from a row-major B (only a partial last panel packed,
// at `packed`).
template <class T>
struct BPanels {
  const T* packed;
  std::int64_t first;
  bool direct;
  std::int64_t full_panels;
  const T* B;
  std::int64_t ldb;
};

// C[block rows, panels p0 .. p1) (+)= the block's A times those B panels over one K slice: the
// micro-kernel once per (panel, row panel), in the same order on every path.
template <class T, class KR>
inline void block_times_panels(const ABlock<T>& a, std::int64_t p0, std::int64_t p1,
                               const BPanels<T>& b, std::int64_t k0, std::int64_t kc,
                               std::int64_t N, T alpha, T beta, bool first, T* C,
                               std::int64_t ldc) {
  for (std::int64_t p = p0; p < p1; ++p) {
    const std::int64_t j0 = p * KR::NR, nr = std::min(KR::NR, N - j0);
    const T* panel = b.packed + (p - b.first) * kc * KR::NR;
    std::int64_t bstride = KR::NR;
    if (b.direct) {
      panel = p < b.full_panels ? b.B + k0 * b.ldb + j0 : b.packed;
      bstride = p < b.full_panels ? b.ldb : KR::NR;
    }
    for (std::int64_t ip = 0; ip * KR::MR < a.mc; ++ip) {
      const std::int64_t r0 = a.i0 + ip * KR::MR, mr = std::min(KR::MR, a.M - r0);
      KR::micro(kc, a.panels + ip * a.stride, panel, bstride, C + r0 * ldc + j0, ldc, mr, nr, alpha,
                beta, first);
    }
  }
}

// gemm_blocked's split of N among the threads: each takes a contiguous range of B panels and
// computes those columns of C over every K slice and M block (see gemm_blocked for the blocking).
template <class T, class KR>
void gemm_blocked_split_n(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                          const T* A, std::int64_t lda, const T* apre, const T* B, std::int64_t ldb,
                          T beta, T* C, std::int64_t ldc) {
  using TL = KR;
  const std::int64_t kslices = (K + TL::KC_MAX - 1) / TL::KC_MAX;
  const std::int64_t kc_len = round_up((K + kslices - 1) / kslices, 8);
  const std::int64_t mblocks = (M + TL::MC - 1) / TL::MC;
  const std::int64_t mc_len = round_up((M + mblocks - 1) / mblocks, TL::MR);
  const std::int64_t npanels = (N + TL::NR - 1) / TL::NR;
  const std::int64_t full_panels = N / TL::NR;
  // As in gemm_blocked: with one M block a row-major B's full panels are read in place.
  const bool direct_b = !tb && mblocks == 1;
  parallel_for(0, npanels, 1, [&](std::int64_t pb, std::int64_t pe) {
    const std::int64_t j0 = pb * TL::NR, n = std::min(N, pe * TL::NR) - j0;
    // This thread's columns of op(B): B + j0 (row-major) or its rows j0... (transposed).
    const T* bsub = tb ? B + j0 * ldb : B + j0;
    const bool partial = full_panels < pe;  // this range holds the partial last panel
    Scratch<T> bbuf(direct_b ? (partial ? TL::NR * kc_len : 0) : (pe - pb) * TL::NR * kc_len);
    Scratch<T> abuf(apre ? 0 : mc_len * kc_len);
    T* bp = bbuf.data();
    for (std::int64_t k0 = 0; k0 < K; k0 += kc_len) {
      const std::int64_t kc = std::min(kc_len, K - k0);
      const bool first = k0 == 0;
      if (!direct_b)
        pack_b<T, TL::NR>(tb, bsub, ldb, k0, kc, n, bp, false);
      else if (partial)
        pack_b<T, TL::NR>(false, B + full_panels * TL::NR, ldb, k0, kc, N - full_panels * TL::NR,
                          bp, false);
      for (std::int64_t mb = 0; mb < mblocks; ++mb) {
        const std::int64_t i0 = mb * mc_len, mc = std::min(mc_len, M - i0);
        const T* ap = abuf.data();
        std::int64_t astride = kc * TL::MR;
        if (apre) {
          ap = apre + (i0 / TL::MR) * K * TL::MR + k0 * TL::MR;
          astride = K * TL::MR;
        } else {
          pack_a<T, TL::MR>(ta, A, lda, i0, mc, k0, kc, abuf.data());
        }
        block_times_panels<T, KR>({ap, astride, i0, mc, M}, pb, pe,
                                  {bp, pb, direct_b, full_panels, B, ldb}, k0, kc, N, alpha, beta,
                                  first, C, ldc);
      }
    }
  });
}

// The cache-blocked path. With `apre` (gemm_pack_a's layout: panels of MR rows over the whole
// K), A is not packed again: a block's panels are read from it at their K slice. KR is the tile
// shape and its micro-kernel (NarrowKernel or WideKernel).
template <class T, class KR>
void gemm_blocked(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
                  const T* A, std::int64_t lda, const T* apre, const T* B, std::int64_t ldb, T beta,
                  T* C, std::int64_t ldc) {
  using TL = KR;
  // K slices: as few as fit (KC_MAX), of even length, so that no thin last slice re-reads C for
  // little work (K = 288 is one slice, K = 784 three of 264/264/256).
  const std::int64_t kslices = (K + TL::KC_MAX - 1) / TL::KC_MAX;
  const std::int64_t kc_len = round_up((K + kslices - 1) / kslices, 8);
  // M blocks: as few as fit (MC), of even height (a multiple of MR), so that the threads that
  // share them get equal work: M = 128 is two blocks of 66/62 rows, not 96/32.
  const std::int64_t mblocks = (M + TL::MC - 1) / TL::MC;
  const std::int64_t mc_len = round_up((M + mblocks - 1) / mblocks, TL::MR);
  const std::int64_t npanels = (N + TL::NR - 1) / TL::NR;
  // With one M block, every B panel is used once per K slice, by that block's row panels one
  // after the other (from L1): packing it would only copy it. Then the micro-kernel reads the
  // full panels of a row-major B in place (rows ldb apart); only a partial last panel is packed.
  const bool direct_b = !tb && mblocks == 1;
  const std::int64_t full_panels = N / TL::NR;
  // Threads may split N (gemm_blocked_split_n): every thread then packs and reads only its own
  // B panels (no packed panel is written on one core and read on the other), packs every A block
  // itself, and runs all the K slices in one parallel region without waiting for the other (its
  // columns of C are its own). Otherwise the work items below, (M block, group of B panels), are
  // shared out, with a parallel region per K slice. Whichever split gives the busiest thread
  // less work is used (N's on a near tie): with 12 x 32 tiles, 150 x 100 shares its 84- and
  // 66-row M blocks more evenly than its panels (64 and 36 columns). Each C tile is computed by
  // the same micro-kernel calls over the same K slices either way: the split changes no bit.
  const std::int64_t ngroup = std::max<std::int64_t>(1, std::min<std::int64_t>(npanels, 8));
  const std::int64_t panels_per_group = (npanels + ngroup - 1) / ngroup;
  const std::int64_t items = mblocks * ngroup;
  const int nthreads = num_threads();
  if (nthreads > 1 && !omp_in_parallel() && M * N * std::min(K, kc_len) > 200000 &&
      npanels >= nthreads) {
    // The most columns (N split) and the most M x N area (item split) one thread gets.
    const std::int64_t pchunk = (npanels + nthreads - 1) / nthreads;
    std::int64_t most_n = 0, most_items = 0;
    for (std::int64_t t = 0; t < nthreads; ++t) {
      const std::int64_t pb = t * pchunk, pe = std::min(npanels, pb + pchunk);
      if (pb < pe) most_n = std::max(most_n, std::min(N, pe * TL::NR) - pb * TL::NR);
    }
    const std::int64_t ichunk = (items + nthreads - 1) / nthreads;
    for (std::int64_t t = 0; t < nthreads; ++t) {
      std::int64_t area = 0;
      for (std::int64_t w = t * ichunk; w < std::min(items, (t + 1) * ichunk); ++w) {
        const std::int64_t mb = w / ngroup, grp = w % ngroup;
        const std::int64_t rows = std::min(mc_len, M - mb * mc_len);
        const std::int64_t p0 = grp * panels_per_group,
                           p1 = std::min(npanels, p0 + panels_per_group);
        const std::int64_t cols = p0 < p1 ? std::min(N, p1 * TL::NR) - p0 * TL::NR : 0;
        area += rows * cols;
      }
      most_items = std::max(most_items, area);
    }
    if (100 * most_n * M <= 102 * most_items) {
      gemm_blocked_split_n<T, KR>(ta, tb, M, N, K, alpha, A, lda, apre, B, ldb, beta, C, ldc);
      return;
    }
  }
  Scratch<T> bbuf(direct_b ? (full_panels < npanels ? TL::NR * kc_len : 0)
                           : npanels * TL::NR * kc_len);
  T* bp = bbuf.data();
  for (std::int64_t k0 = 0; k0 < K; k0 += kc_len) {
    const std::int64_t kc = std::min(kc_len, K - k0);
    const bool first = k0 == 0;
    const bool threaded = M * N * kc > 200000;
    if (!direct_b)
      pack_b<T, TL::NR>(tb, B, ldb, k0, kc, N, bp, threaded);
    else if (full_panels < npanels)
      pack_b<T, TL::NR>(false, B + full_panels * TL::NR, ldb, k0, kc, N - full_panels * TL::NR, bp,
                        threaded);
    parallel_for(0, items, threaded ? 1 : items, [&](std::int64_t wb, std::int64_t we) {
      Scratch<T> abuf(apre ? 0 : mc_len * kc_len);
      const T* ap = abuf.data();
      std::int64_t packed_block = -1;
      for (std::int64_t w = wb; w < we; ++w) {
        const std::int64_t mb = w / ngroup, grp = w % ngroup;
        const std::int64_t i0 = mb * mc_len, mc = std::min(mc_len, M - i0);
        // Row panel ip of this block and K slice: at ap + ip * astride.
        std::int64_t astride = kc * TL::MR;
        if (apre) {
          ap = apre + (i0 / TL::MR) * K * TL::MR + k0 * TL::MR;
          astride = K * TL::MR;
        } else if (packed_block != mb) {
          pack_a<T, TL::MR>(ta, A, lda, i0, mc, k0, kc, abuf.data());
          packed_block = mb;
        }
        const std::int64_t p0 = grp * panels_per_group,
                           p1 = std::min(npanels, p0 + panels_per_group);
        block_times_panels<T, KR>({ap, astride, i0, mc, M}, p0, p1,
                                  {bp, 0, direct_b, full_panels, B, ldb}, k0, kc, N, alpha, beta,
                                  first, C, ldc);
      }
    });
  }
}

// gemm() with the tile shape KR (after the checks every path shares).
template <class T, class KR>
void gemm_impl(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
               const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
               std::int64_t ldc) {
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (N <= kSmallMaxN && M * N * K <= kSmallMaxWork) {
    gemm_small<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (N < KR::NR && M >= 2 * KR::NR) {
    // A narrow C (an output layer with 10 classes) would fill only N of every NR-wide tile:
    // compute C^T = op(B)^T op(A)^T instead, whose N = M fills the tiles, then transpose it in.
    Scratch<T> tbuf(M * N);
    T* ct = tbuf.data();
    gemm_impl<T, KR>(!tb, !ta, N, M, K, alpha, B, ldb, A, lda, T(0), ct, M);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j)
        C[i * ldc + j] = beta == T(0) ? ct[j * M + i] : ct[j * M + i] + beta * C[i * ldc + j];
    return;
  }
  gemm_blocked<T, KR>(ta, tb, M, N, K, alpha, A, lda, nullptr, B, ldb, beta, C, ldc);
}

}  // namespace

template <class T>
void gemm(bool ta, bool tb, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
#ifdef TG_USE_BLAS
  // TG_BLAS=ON: OpenBLAS does every GEMM (for comparison only; see kernels/blas.hpp).
  blas_gemm<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return;
#endif
  gemm_impl<T, DefaultKernel<T>>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
std::int64_t gemm_packed_a_size(std::int64_t M, std::int64_t K) {
#ifdef TG_USE_BLAS
  return M * K;
#else
  constexpr std::int64_t MR = DefaultKernel<T>::MR;
  return (M + MR - 1) / MR * MR * K;
#endif
}

template <class T>
void gemm_pack_a(bool ta, std::int64_t M, std::int64_t K, const T* A, std::int64_t lda, T* packed) {
#ifdef TG_USE_BLAS
  // OpenBLAS takes op(A) as it is: a row-major copy.
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t k = 0; k < K; ++k) packed[i * K + k] = ta ? A[k * lda + i] : A[i * lda + k];
#else
  pack_a<T, DefaultKernel<T>::MR>(ta, A, lda, 0, M, 0, K, packed);
#endif
}

template <class T>
void gemm_prepacked_a(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* packed,
                      bool tb, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
#ifdef TG_USE_BLAS
  blas_gemm<T>(false, tb, M, N, K, alpha, packed, K, B, ldb, beta, C, ldc);
#else
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  gemm_blocked<T, DefaultKernel<T>>(false, tb, M, N, K, alpha, nullptr, 0, packed, B, ldb, beta, C,
                                    ldc);
#endif
}

namespace {
template <class T, class KR>
void gemm_tile_test(bool ta, bool tb, bool prepack_a, std::int64_t M, std::int64_t N,
                    std::int64_t K, T alpha, const T* A, std::int64_t lda, const T* B,
                    std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (!prepack_a) {
    gemm_impl<T, KR>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  std::vector<T> packed(static_cast<std::size_t>((M + KR::MR - 1) / KR::MR * KR::MR * K));
  pack_a<T, KR::MR>(ta, A, lda, 0, M, 0, K, packed.data());
  gemm_blocked<T, KR>(false, tb, M, N, K, alpha, nullptr, 0, packed.data(), B, ldb, beta, C, ldc);
}
}  // namespace

const char* gemm_kernel_name() {
#if defined(TG_USE_BLAS)
  return "OpenBLAS (TG_BLAS=ON)";
#elif TG_GEMM_WIDE
  return "AVX-512 12x32 tile";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2+FMA 6x16 tile";
#else
  return "portable 6x16 tile";
#endif
}

template <class T>
void gemm_with_tile_for_testing(GemmTile tile, bool ta, bool tb, bool prepack_a, std::int64_t M,
                                std::int64_t N, std::int64_t K, T alpha, const T* A,
                                std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
                                std::int64_t ldc) {
  if (tile == GemmTile::wide)
    gemm_tile_test<T, WideKernel<T>>(ta, tb, prepack_a, M, N, K, alpha, A, lda, B, ldb, beta, C,
                                     ldc);
  else
    gemm_tile_test<T, NarrowKernel<T>>(ta, tb, prepack_a, M, N, K, alpha, A, lda, B, ldb, beta, C,
                                       ldc);
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*,
                          std::int64_t, const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                           const double*, std::int64_t, const double*, std::int64_t, double,
                           double*, std::int64_t);
#define TG_INSTANTIATE(T)                                                                        \
  template std::int64_t gemm_packed_a_size<T>(std::int64_t, std::int64_t);                       \
  template void gemm_pack_a<T>(bool, std::int64_t, std::int64_t, const T*, std::int64_t, T*);    \
  template void gemm_prepacked_a<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, bool, \
                                    const T*, std::int64_t, T, T*, std::int64_t);                \
  template void gemm_with_tile_for_testing<T>(                                                   \
      GemmTile, bool, bool, bool, std::int64_t, std::int64_t, std::int64_t, T, const T*,         \
      std::int64_t, const T*, std::int64_t, T, T*, std::int64_t);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::kernels
