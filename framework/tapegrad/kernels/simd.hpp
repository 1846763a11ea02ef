#pragma once
// 32-byte vectors through GCC's vector extension, so that float and double kernels share one
// source (8 or 4 lanes; AVX2 registers with -march=native, two SSE registers otherwise).
// Unaligned loads and stores go through memcpy, which compiles to one vmovups.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace tg::kernels {

template <class T>
struct VecOf {
  typedef T type __attribute__((vector_size(32)));
};
template <class T>
using Vec = typename VecOf<T>::type;
template <class T>
constexpr std::int64_t kLanes = 32 / sizeof(T);

// The integer vector of the same lane count (comparison results, shuffle indices).
template <class T>
struct LaneIntOf {
  using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  typedef I type __attribute__((vector_size(32)));
};
template <class T>
using LaneInt = typename LaneIntOf<T>::type;

template <class T>
inline Vec<T> loadv(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void storev(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}

// A vector of n copies of x (one broadcast; `Vec<T>{} + x` would also add the zeros).
template <class T>
inline Vec<T> splat(T x) {
  if constexpr (kLanes<T> == 8)
    return Vec<T>{x, x, x, x, x, x, x, x};
  else
    return Vec<T>{x, x, x, x};
}

// a * b + c, fused (one rounding) where the target has FMA, else a * b + c. The library is built
// with -ffp-contract=off, so kernels that want FMA ask for it here.
template <class T>
inline Vec<T> fmadd(Vec<T> a, Vec<T> b, Vec<T> c) {
#if defined(__AVX__) && defined(__FMA__)
  if constexpr (sizeof(T) == 4)
    return reinterpret_cast<Vec<T>>(_mm256_fmadd_ps(
        reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(c)));
  else
    return reinterpret_cast<Vec<T>>(_mm256_fmadd_pd(
        reinterpret_cast<__m256d>(a), reinterpret_cast<__m256d>(b), reinterpret_cast<__m256d>(c)));
#else
  return a * b + c;
#endif
}

// Two vectors' worth of lanes (16 floats, 8 doubles) as one value: one 64-byte register where
// the target has AVX-512, else a pair of 32-byte vectors. Lane i holds the same element either
// way and fmadd2 rounds each lane once, so a kernel written with these gives the same bits on
// both, in half the instructions on AVX-512.
#if defined(__AVX512F__)
template <class T>
struct Vec2Of {
  typedef T type __attribute__((vector_size(64)));
};
template <class T>
using Vec2 = typename Vec2Of<T>::type;
template <class T>
inline Vec2<T> load2(const T* p) {
  Vec2<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store2(T* p, Vec2<T> v) {
  std::memcpy(p, &v, sizeof v);
}
template <class T>
inline Vec2<T> splat2(T x) {
  if constexpr (sizeof(T) == 4)
    return reinterpret_cast<Vec2<T>>(_mm512_set1_ps(x));
  else
    return reinterpret_cast<Vec2<T>>(_mm512_set1_pd(x));
}
// p[0, n) = v[0, n) for 0 <= n <= lanes, one masked store (a store through a buffer on the
// stack and a copy back stalled on store forwarding: 3/4 of a conv row tile's time).
template <class T>
inline void store2_first(T* p, Vec2<T> v, std::int64_t n) {
  if constexpr (sizeof(T) == 4)
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512>(v));
  else
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), reinterpret_cast<__m512d>(v));
}
template <class T>
inline Vec2<T> fmadd2(Vec2<T> a, Vec2<T> b, Vec2<T> c) {
  if constexpr (sizeof(T) == 4)
    return reinterpret_cast<Vec2<T>>(_mm512_fmadd_ps(
        reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(c)));
  else
    return reinterpret_cast<Vec2<T>>(_mm512_fmadd_pd(
        reinterpret_cast<__m512d>(a), reinterpret_cast<__m512d>(b), reinterpret_cast<__m512d>(c)));
}
#else
template <class T>
struct Vec2 {
  Vec<T> lo, hi;
};
template <class T>
inline Vec2<T> load2(const T* p) {
  return {loadv(p), loadv(p + kLanes<T>)};
}
template <class T>
inline void store2(T* p, Vec2<T> v) {
  storev(p, v.lo);
  storev(p + kLanes<T>, v.hi);
}
template <class T>
inline Vec2<T> splat2(T x) {
  const Vec<T> v = splat(x);
  return {v, v};
}
template <class T>
inline Vec2<T> fmadd2(Vec2<T> a, Vec2<T> b, Vec2<T> c) {
  return {fmadd<T>(a.lo, b.lo, c.lo), fmadd<T>(a.hi, b.hi, c.hi)};
}
#endif

// Short row copies (a conv row is often 5-30 elements), written with vectors so that GCC neither
// adds an overlap check nor turns the loop into a memmove call per row. A copy of n >= lanes
// ends with a vector that overlaps the previous one, so no scalar tail is needed.
template <class T>
inline void copy_row(const T* __restrict src, T* __restrict dst, std::int64_t n) {
  constexpr std::int64_t L = kLanes<T>;
  // Up to four vectors without a loop (GCC would turn a copy loop back into a memcpy call).
  if (n < L) {
    for (std::int64_t k = 0; k < n; ++k) dst[k] = src[k];
  } else if (n <= 2 * L) {
    const Vec<T> a = loadv(src), b = loadv(src + n - L);
    storev(dst, a);
    storev(dst + n - L, b);
  } else if (n <= 4 * L) {
    const Vec<T> a = loadv(src), b = loadv(src + L), c = loadv(src + n - 2 * L),
                 d = loadv(src + n - L);
    storev(dst, a);
    storev(dst + L, b);
    storev(dst + n - 2 * L, c);
    storev(dst + n - L, d);
  } else {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
  }
}

#if !defined(__AVX512F__)
// p[0, n) = v[0, n) for 0 <= n <= 2 lanes (Vec2's masked store on AVX-512).
template <class T>
inline void store2_first(T* p, Vec2<T> v, std::int64_t n) {
  alignas(64) T buf[2 * kLanes<T>];
  store2(buf, v);
  copy_row(buf, p, std::min<std::int64_t>(n, 2 * kLanes<T>));  // (n <= 2 L: bounds for GCC)
}
#endif
// (a0 b0 a1 b1 ...) as two vectors: lo holds the first half of the pairs, hi the second.
template <class T>
inline void interleave(Vec<T> a, Vec<T> b, Vec<T>& lo, Vec<T>& hi) {
  if constexpr (kLanes<T> == 8) {
    lo = __builtin_shuffle(a, b, LaneInt<T>{0, 8, 1, 9, 2, 10, 3, 11});
    hi = __builtin_shuffle(a, b, LaneInt<T>{4, 12, 5, 13, 6, 14, 7, 15});
  } else {
    lo = __builtin_shuffle(a, b, LaneInt<T>{0, 4, 1, 5});
    hi = __builtin_shuffle(a, b, LaneInt<T>{2, 6, 3, 7});
  }
}

}  // namespace tg::kernels
