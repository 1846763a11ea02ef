#pragma once
// Vectorisable float32 math: exp, expm1, log, log1p, tanh, erf, sigmoid, softplus, and the normal
// distribution's density and cumulative distribution.
//
// glibc's expf, tanhf, erff, ... are scalar calls, and GCC only substitutes libmvec's vector
// versions under -ffast-math, so a loop that calls them runs one element at a time. These
// versions are branch-free (range reduction, polynomials, selects on values that are always
// computed) and fully inlined, so GCC vectorises the loops that call them (AVX2 / AVX-512 with
// -march=native). Accuracy against the correctly rounded result, over the whole float range
// (tests/kernels/test_vecmath.cpp asserts the bounds in brackets): exp 1.0 ulp (2), expm1 1.4
// (2), log 0.8 (2), log1p 2.4 (3), tanh 1.3 (3), sigmoid 2.8 (3), softplus 1.7 (2), erf 7.5 (8;
// near |x| = 3.9 where erf is 1 - 1e-8, i.e. <= 4.3e-7 absolute). Special values as std::: NaN
// propagates, +-inf and large |x| saturate, log(0) = -inf, log(x < 0) = NaN.
//
// The double overloads are the std:: functions, unchanged: gradcheck runs in float64 and must
// see the exact functions. Algorithms: Cephes (S. L. Moshier) expf/logf/tanhf polynomials;
// erf is the rational approximation of Eigen's generic_fast_erf_float.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#define TG_VM_INLINE [[gnu::always_inline]] inline

namespace tg::vm {

// c ? a : b on already computed values, written with a bit mask: as a ternary GCC may turn it
// back into a branch (pushing a later multiply into both arms), which stops the vectoriser under
// -ftrapping-math ("control flow in loop").
TG_VM_INLINE float select(bool c, float a, float b) {
  const std::uint32_t m = 0u - static_cast<std::uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<std::uint32_t>(a) & m) |
                              (std::bit_cast<std::uint32_t>(b) & ~m));
}
// std::max / std::min semantics (a NaN first argument is returned), as selects.
TG_VM_INLINE float max(float a, float b) { return select(a < b, b, a); }
TG_VM_INLINE float min(float a, float b) { return select(b < a, b, a); }
// x clamped to [lo, hi], with a NaN x giving lo (for the argument of a range reduction whose NaN
// result is restored by a final select).
TG_VM_INLINE float clamp_nan_lo(float x, float lo, float hi) {
  const float y = select(x > lo, x, lo);
  return select(y < hi, y, hi);
}

namespace detail {
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer

// 2^k for an integer k in [-126, 127].
TG_VM_INLINE float pow2i(std::int32_t k) { return std::bit_cast<float>((k + 127) << 23); }

// e^r - 1 for |r| <= ln(2) / 2 (Cephes expf polynomial without its leading 1).
TG_VM_INLINE float expm1_reduced(float r) {
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  return std::fma(p, r * r, r);
}

// log(1 + f) = f - f^2 / 2 + f^3 p(f) for f in [sqrt(1/2) - 1, sqrt(2) - 1): p (Cephes logf).
TG_VM_INLINE float log_poly(float f) {
  float p = 7.0376836292e-2f;
  p = std::fma(p, f, -1.1514610310e-1f);
  p = std::fma(p, f, 1.1676998740e-1f);
  p = std::fma(p, f, -1.2420140846e-1f);
  p = std::fma(p, f, 1.4249322787e-1f);
  p = std::fma(p, f, -1.6668057665e-1f);
  p = std::fma(p, f, 2.0000714765e-1f);
  p = std::fma(p, f, -2.4999993993e-1f);
  p = std::fma(p, f, 3.3333331174e-1f);
  return p;
}

// x = k ln2 + r with k = round(x / ln2); x must be finite and |x| < 2^21.
TG_VM_INLINE float reduce(float x, float& kf) {
  kf = std::fma(x, kLog2e, kRound) - kRound;
  float r = std::fma(kf, -kLn2Hi, x);
  return std::fma(kf, -kLn2Lo, r);
}
}  // namespace detail

namespace detail {
// e^x for x in [-104, 88.72] (not NaN): k is in [-150, 128], so 2^k is applied in two halves
// that are both normal floats (subnormal results keep their precision).
TG_VM_INLINE float exp_finite(float x) {
  float kf;
  const float r = reduce(x, kf);
  const float p = expm1_reduced(r) + 1.0f;
  const std::int32_t k = static_cast<std::int32_t>(kf);
  const std::int32_t k1 = k >> 1;
  return p * pow2i(k1) * pow2i(k - k1);
}
}  // namespace detail

TG_VM_INLINE float exp(float x) {
  // exp(x) overflows above this (the next float up gives inf) and is 0 below -104.
  constexpr float kMax = 88.72283172607422f;
  const float y = detail::exp_finite(clamp_nan_lo(x, -104.0f, kMax));
  const float big = select(x > kMax, std::numeric_limits<float>::infinity(), y);
  return select(x != x, x, big);
}

// e^x for x <= 0, without exp's overflow and NaN handling: a NaN x gives a meaningless finite
// value, so the caller must propagate NaN itself (sigmoid, softplus and the fused backward
// formulas do). The same bits as exp(x) for every x <= 0.
TG_VM_INLINE float exp_nonpositive(float x) {
  // k is in [-150, 0], so 2^(k + 64) is a normal float: p 2^k = (p 2^(k + 64)) 2^-64, where the
  // first product is exact and the second rounds once, as exp's two-halves scaling does, with
  // one power of two to build instead of two.
  float kf;
  const float r = detail::reduce(select(x > -104.0f, x, -104.0f), kf);
  const float p = detail::expm1_reduced(r) + 1.0f;
  return p * detail::pow2i(static_cast<std::int32_t>(kf) + 64) * 0x1p-64f;
}

TG_VM_INLINE float expm1(float x) {
  // Below -80 the result is -1 in float. 2^k is applied as 2 * 2^(k-1), so that k = 128 (x up
  // to exp's overflow bound) needs no second exp: 2 (2^(k-1) q + 2^(k-1) - 1/2) is the same
  // single rounding as 2^k q + (2^k - 1), scaled by an exact factor of 2, and overflows to inf
  // exactly where e^x - 1 does.
  constexpr float kMax = 88.72283172607422f;
  const float xc = clamp_nan_lo(x, -80.0f, kMax);
  float kf;
  const float r = detail::reduce(xc, kf);
  const float q = detail::expm1_reduced(r);
  const float th = detail::pow2i(static_cast<std::int32_t>(kf) - 1);  // 2^(k-1)
  const float small = 2.0f * std::fma(th, q, th - 0.5f);
  // Below 2^-25, expm1(x) rounds to x (and halving a subnormal q would drop its last bit).
  const float tiny = select(std::fabs(x) < 0x1p-25f, x, small);
  const float big = select(x > kMax, std::numeric_limits<float>::infinity(), tiny);
  return select(x != x, x, big);
}

TG_VM_INLINE float log(float x) {
  constexpr float kMinNormal = std::numeric_limits<float>::min();
  const bool sub = x < kMinNormal;
  const float xs = select(sub, x * 8388608.0f, x);  // subnormals: scale by 2^23
  const std::int32_t bits = std::bit_cast<std::int32_t>(xs);
  std::int32_t e = ((bits >> 23) & 0xff) - 126;  // xs = m 2^e, m in [0.5, 1)
  e -= 23 * static_cast<std::int32_t>(sub);
  const float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);
  const bool lo = m < 0.707106781186547524f;
  e -= static_cast<std::int32_t>(lo);
  const float f = select(lo, m + m - 1.0f, m - 1.0f);  // in [sqrt(1/2) - 1, sqrt(2) - 1)
  const float z = f * f;
  const float p = detail::log_poly(f);
  const float fe = static_cast<float>(e);
  float y = p * f * z;
  y = std::fma(fe, detail::kLn2Lo, y);
  y = std::fma(-0.5f, z, y);
  float res = std::fma(fe, detail::kLn2Hi, f + y);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  res = select(x == kInf, kInf, res);
  res = select(x == 0.0f, -kInf, res);
  res = select(x < 0.0f, std::numeric_limits<float>::quiet_NaN(), res);
  return select(x != x, x, res);
}

// log(1 + x) = log(u) * x / (u - 1) with u = 1 + x rounded: the factor corrects the rounding of
// u (Goldberg, "What every computer scientist should know about floating-point arithmetic").
TG_VM_INLINE float log1p(float x) {
  const float u = 1.0f + x;
  const float d = u - 1.0f;
  const float r = log(u) * (x / d);
  const float res = select(d == 0.0f, x, r);
  return select(x == std::numeric_limits<float>::infinity(), x, res);
}

namespace detail {
// log(1 + e) for e in [0, 1] (softplus's and logsigmoid's log1p(e^-|x|)): u = 1 + e is in [1, 2],
// so log's special cases, subnormal scaling and exponent extraction are not needed, and the
// rounding error of u is corrected by adding (e - (u - 1)) / u, which is exact to first order.
TG_VM_INLINE float log1p_unit(float e) {
  const float u = 1.0f + e;
  const float c = e - (u - 1.0f);  // exact (Fast2Sum: 1 >= e)
  const bool hi = u > 1.41421356237309505f;
  const float f = select(hi, std::fma(u, 0.5f, -1.0f), u - 1.0f);  // exact either way
  const float z = f * f;
  const float p = log_poly(f);
  const float fe = select(hi, 1.0f, 0.0f);
  float y = p * f * z;
  y = std::fma(fe, kLn2Lo, y);
  y = std::fma(-0.5f, z, y);
  y = y + c / u;
  return std::fma(fe, kLn2Hi, f + y);
}
}  // namespace detail

TG_VM_INLINE float tanh(float x) {
  const float ax = std::fabs(x);
  // |x| < 0.625: odd polynomial (Cephes tanhf).
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = std::fma(p, z, 2.06390887954e-2f);
  p = std::fma(p, z, -5.37397155531e-2f);
  p = std::fma(p, z, 1.33314422036e-1f);
  p = std::fma(p, z, -3.33332819422e-1f);
  const float small = std::fma(p * z, x, x);
  // Otherwise 1 - 2 / (e^{2|x|} + 1); beyond |x| = 9.1 it is 1 in float.
  const float e = detail::exp_finite(2.0f * clamp_nan_lo(ax, 0.0f, 9.1f));
  const float big = std::copysign(1.0f - 2.0f / (e + 1.0f), x);
  return select(x != x, x, select(ax < 0.625f, small, big));
}

TG_VM_INLINE float erf(float x) {
  const float xc = clamp_nan_lo(x, -4.0f, 4.0f);  // erf(4) is 1 in float
  const float x2 = xc * xc;
  float p = -2.72614225801306e-10f;
  p = std::fma(p, x2, 2.77068142495902e-08f);
  p = std::fma(p, x2, -2.10102402082508e-06f);
  p = std::fma(p, x2, -5.69250639462346e-05f);
  p = std::fma(p, x2, -7.34990630326855e-04f);
  p = std::fma(p, x2, -2.95459980854025e-03f);
  p = std::fma(p, x2, -1.60960333262415e-02f);
  float q = -1.45660718464996e-05f;
  q = std::fma(q, x2, -2.13374055278905e-04f);
  q = std::fma(q, x2, -1.68282697438203e-03f);
  q = std::fma(q, x2, -7.37332916720468e-03f);
  q = std::fma(q, x2, -1.42647390514189e-02f);
  return select(x != x, x, xc * (p / q));  // x * (p / q): no underflow for tiny x
}

// With e = e^-|x|: 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so nothing overflows and
// tiny results keep their precision.
TG_VM_INLINE float sigmoid(float x) {
  const float e = exp_nonpositive(-std::fabs(x));
  const float r = 1.0f / (1.0f + e);
  return select(x != x, x, select(x >= 0.0f, r, e * r));
}

// e^min(x, 0): the negative side of the elu family's derivatives. Cheaper than exp (no
// overflow or NaN tests inside); NaN propagates.
TG_VM_INLINE float exp_min0(float x) {
  return select(x != x, x, exp_nonpositive(select(x < 0.0f, x, 0.0f)));
}

// sigmoid(x) and sigmoid(-x) = 1 - sigmoid(x) from one exp and one division, each to a few ulps
// (1 - sigmoid(x) computed as a difference would lose every digit for large x).
TG_VM_INLINE void sigmoid_pair(float x, float& s, float& sn) {
  const float e = exp_nonpositive(-std::fabs(x));
  const float r = 1.0f / (1.0f + e);
  const bool pos = x >= 0.0f;
  s = select(x != x, x, select(pos, r, e * r));
  sn = select(x != x, x, select(pos, e * r, r));
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow.
TG_VM_INLINE float softplus(float x) {
  const float m = clamp_nan_lo(x, 0.0f, std::numeric_limits<float>::infinity());
  return select(x != x, x, m + detail::log1p_unit(exp_nonpositive(-std::fabs(x))));
}

// e^(-x^2 / 2) with x^2 = hi + lo split exactly (lo by an FMA): e^(-hi/2) (1 - lo/2). Rounding
// x^2 first would cost x^2/2 ulp of relative error (50 ulp at x = 10).
TG_VM_INLINE float exp_neg_half_square(float x) {
  const float hi = x * x;
  const float lo = select(hi < 1e4f, std::fma(x, x, -hi), 0.0f);  // inf and NaN: no fma(inf)
  return exp(-0.5f * hi) * std::fma(-0.5f, lo, 1.0f);
}

// The standard normal density phi(x) = e^(-x^2/2) / sqrt(2 pi).
TG_VM_INLINE float normal_pdf(float x) { return exp_neg_half_square(x) * 0.398942280401432678f; }

// The standard normal distribution Phi(x), from q = erfc(|x| / sqrt 2) / 2 = Phi(-|x|): Phi is
// q for x < 0 and 1 - q for x >= 0 (q <= 1/2, so that difference does not cancel). Forming
// (1 + erf(x / sqrt 2)) / 2 instead cancels for x < 0 (Phi(-5.6) = 1e-8). erfc(z) =
// t e^(-z^2 + c(t)), t = 1 / (1 + z / 2), where c is the Chebyshev fit of Numerical Recipes'
// erfcc (W. H. Press et al., relative error < 1.2e-7 for z >= 0); -z^2 = -x^2/2 comes from x
// split exactly (hi + lo) and is added to c(t) with its rounding error kept (TwoSum), so the one
// exp sees the exponent to about 2^-40.
TG_VM_INLINE float normal_cdf(float x) {
  const float ax = std::fabs(x);
  const float z = ax * 0.707106781186547524f;
  const float t = 1.0f / std::fma(0.5f, z, 1.0f);
  float c = 0.17087277f;
  c = std::fma(c, t, -0.82215223f);
  c = std::fma(c, t, 1.48851587f);
  c = std::fma(c, t, -1.13520398f);
  c = std::fma(c, t, 0.27886807f);
  c = std::fma(c, t, -0.18628806f);
  c = std::fma(c, t, 0.09678418f);
  c = std::fma(c, t, 0.37409196f);
  c = std::fma(c, t, 1.00002368f);
  c = std::fma(c, t, -1.26551223f);
  // Beyond |x| = 100 (and for inf and NaN) e^s is 0: the corrections, which would be NaN for an
  // infinite x, are left out.
  const bool finite = ax < 100.0f;
  const float hi = ax * ax;
  const float lo = select(finite, std::fma(ax, ax, -hi), 0.0f);
  const float a = -0.5f * hi;
  const float s = a + c;  // TwoSum(a, c): s + e = a + c exactly
  const float bv = s - a;
  const float e = select(finite, (a - (s - bv)) + (c - bv), 0.0f);
  const float q = 0.5f * t * exp(s) * (1.0f + (e - 0.5f * lo));
  return select(x != x, x, select(x < 0.0f, q, 1.0f - q));
}

// ------------------------------------------------------------------ float64: the std:: functions

inline double exp(double x) { return std::exp(x); }
inline double exp_nonpositive(double x) { return std::exp(x); }
inline double expm1(double x) { return std::expm1(x); }
inline double log(double x) { return std::log(x); }
inline double log1p(double x) { return std::log1p(x); }
inline double tanh(double x) { return std::tanh(x); }
inline double erf(double x) { return std::erf(x); }
// Bit-mask selects in float64 too, not ternaries. A ternary lets GCC sink a load that only one
// side uses into that side, and the vectoriser then turns it into a masked load; GCC 12.2 gives
// the second vector of a two-vector SLP group the first vector's mask (tests/compiler/
// gcc12_slp_mask_load.cpp), so on AVX-512 targets that prefer 256-bit vectors (icelake-server,
// skylake-avx512) learnable_celu's backward loaded y[i + 4] only where x[i] <= 0, not where
// x[i + 4] <= 0. With both sides computed and masked together there is no conditional load.
TG_VM_INLINE double select(bool c, double a, double b) {
  const std::uint64_t m = std::uint64_t{0} - static_cast<std::uint64_t>(c);
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(a) & m) |
                               (std::bit_cast<std::uint64_t>(b) & ~m));
}
TG_VM_INLINE double max(double a, double b) { return select(a < b, b, a); }
TG_VM_INLINE double min(double a, double b) { return select(b < a, b, a); }
// Stable forms for float64 (branches are fine: these loops are not the fast path).
inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}
inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
inline double exp_min0(double x) { return std::exp(x < 0 || x != x ? x : 0.0); }
inline void sigmoid_pair(double x, double& s, double& sn) {
  const double e = std::exp(-std::abs(x)), r = 1.0 / (1.0 + e);
  s = x >= 0 ? r : e * r;
  sn = x >= 0 ? e * r : r;
  if (x != x) s = sn = x;
}
inline double exp_neg_half_square(double x) {
  const double hi = x * x;
  const double lo = hi < 1e300 ? std::fma(x, x, -hi) : 0.0;
  return std::exp(-0.5 * hi) * std::fma(-0.5, lo, 1.0);
}
inline double normal_pdf(double x) { return exp_neg_half_square(x) * 0.398942280401432677939946; }
// For x < 0, erfc(z) / 2 with z = -x / sqrt 2; the rounding of z (up to x^2/2 ulp of relative
// error in erfc) is corrected to first order: z + dz is -x / sqrt 2 to about 2^-106, and
// erfc(z + dz) = erfc(z) - 2 / sqrt(pi) e^(-x^2/2) dz.
inline double normal_cdf(double x) {
  if (!(x < 0)) return 0.5 * (1.0 + std::erf(x * 0.707106781186547524401));
  constexpr double kHi = 0.70710678118654757;      // 1 / sqrt 2 rounded to double
  constexpr double kLo = -4.8336466567264567e-17;  // 1 / sqrt 2 - kHi
  const double z = -x * kHi;
  const double dz = std::fma(-x, kHi, -z) + -x * kLo;
  return 0.5 * (std::erfc(z) - 1.1283791670955126 * exp_neg_half_square(x) * dz);
}

}  // namespace tg::vm

#undef TG_VM_INLINE
