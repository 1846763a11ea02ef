#include "tapegrad/activations/pointwise.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace tg::act::detail {

namespace {

// The last-level cache as sysconf reports it, at most 32 MiB: a VM may report the whole chip's
// L3 (256 MiB on the project's EPYC machine, whose core sees 32 MiB).
std::int64_t default_stream_min_bytes() {
  constexpr std::int64_t kMax = std::int64_t{32} << 20;
  long llc = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
  llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
  return llc > 0 ? std::min<std::int64_t>(llc, kMax) : kMax;
}

std::atomic<std::int64_t> g_stream_override{-1};

template <class T>
void stream_copy_impl(T* dst, const T* src, std::int64_t n) {
#if defined(__AVX__)
  std::int64_t i = 0;
  for (; i < n && (reinterpret_cast<std::uintptr_t>(dst + i) & 31) != 0; ++i) dst[i] = src[i];
  if constexpr (sizeof(T) == 4) {
    for (; i + 8 <= n; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
  } else {
    for (; i + 4 <= n; i += 4) _mm256_stream_pd(dst + i, _mm256_loadu_pd(src + i));
  }
  for (; i < n; ++i) dst[i] = src[i];
#else
  std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
#endif
}

}  // namespace

std::int64_t stream_min_bytes() {
  static const std::int64_t dflt = default_stream_min_bytes();
  const std::int64_t o = g_stream_override.load(std::memory_order_relaxed);
  return o >= 0 ? o : dflt;
}

void set_stream_min_bytes(std::int64_t n) {
  g_stream_override.store(n < 0 ? -1 : n, std::memory_order_relaxed);
}

void stream_copy(float* dst, const float* src, std::int64_t n) { stream_copy_impl(dst, src, n); }
void stream_copy(double* dst, const double* src, std::int64_t n) { stream_copy_impl(dst, src, n); }

void stream_fence() {
#if defined(__AVX__)
  _mm_sfence();
#endif
}

namespace {
std::atomic<bool> g_two_valued_masks{true};
}  // namespace

bool two_valued_masks() { return g_two_valued_masks.load(std::memory_order_relaxed); }
void set_two_valued_masks(bool on) { g_two_valued_masks.store(on, std::memory_order_relaxed); }

void pack_mask(const std::int8_t* m, std::int64_t n, std::uint8_t* bits) {
  std::int64_t i = 0;
#if defined(__AVX2__)
  for (; i + 32 <= n; i += 32) {
    const auto w = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + i))));
    std::memcpy(bits + i / 8, &w, 4);  // little-endian: element i + l is bit l of the word
  }
#endif
  for (; i < n; i += 8) {
    unsigned b = 0;
    for (std::int64_t l = 0; l < 8 && i + l < n; ++l) b |= (m[i + l] != 0 ? 1u : 0u) << l;
    bits[i / 8] = static_cast<std::uint8_t>(b);
  }
}

namespace {
template <class T>
void masked_scale_tail(const T* g, const std::uint8_t* bits, T lo, T hi, T* gx, std::int64_t i,
                       std::int64_t n) {
  for (; i < n; ++i) gx[i] = g[i] * (((bits[i / 8] >> (i % 8)) & 1) != 0 ? hi : lo);
}
}  // namespace

void masked_scale(const float* g, const std::uint8_t* bits, float lo, float hi, float* gx,
                  std::int64_t n) {
  std::int64_t i = 0;
#if defined(__AVX2__)
  const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  for (; i + 8 <= n; i += 8) {
    const __m256i b = _mm256_set1_epi32(bits[i / 8]);
    const __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(b, sel), sel);
    const __m256 d = _mm256_blendv_ps(vlo, vhi, _mm256_castsi256_ps(on));
    _mm256_storeu_ps(gx + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d));
  }
#endif
  masked_scale_tail(g, bits, lo, hi, gx, i, n);
}

void masked_scale(const double* g, const std::uint8_t* bits, double lo, double hi, double* gx,
                  std::int64_t n) {
  std::int64_t i = 0;
#if defined(__AVX2__)
  const __m256i sel = _mm256_setr_epi64x(1, 2, 4, 8);
  const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
  for (; i + 4 <= n; i += 4) {
    const __m256i b = _mm256_set1_epi64x((bits[i / 8] >> (i % 8)) & 0xf);
    const __m256i on = _mm256_cmpeq_epi64(_mm256_and_si256(b, sel), sel);
    const __m256d d = _mm256_blendv_pd(vlo, vhi, _mm256_castsi256_pd(on));
    _mm256_storeu_pd(gx + i, _mm256_mul_pd(_mm256_loadu_pd(g + i), d));
  }
#endif
  masked_scale_tail(g, bits, lo, hi, gx, i, n);
}

PointwiseLayout pointwise_layout(const Tensor& x, const std::vector<Tensor>& params,
                                 const char* name) {
  if (!x.defined()) fail("{}: input is an undefined tensor", name);
  if (!is_floating(x.dtype()))
    fail("{}: expected a float32 or float64 input, got {}", name, x.dtype());
  PointwiseLayout L;
  std::int64_t channels = 1;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const Tensor& p = params[k];
    if (!p.defined() || p.dim() != 1)
      fail("{}: parameter {} must be a 1-D tensor of size 1 or the channel count", name, k);
    if (p.numel() == 1) continue;
    if (x.dim() < 2)
      fail(
          "{}: per-channel parameters ({} channels) need an input with a channel dimension "
          "(dimension 1), got shape {}",
          name, p.numel(), shape_str(x.shape()));
    if (p.numel() != x.shape()[1])
      fail(
          "{}: input has {} channels (dimension 1 of shape {}) but the activation has {} "
          "per-channel values",
          name, x.shape()[1], shape_str(x.shape()), p.numel());
    channels = p.numel();
  }
  if (channels > 1) {
    L.outer = x.shape()[0];
    L.channels = channels;
    L.inner = 1;
    for (std::int64_t d = 2; d < x.dim(); ++d) L.inner *= x.shape()[d];
  } else {
    L.inner = x.numel();
  }
  return L;
}

}  // namespace tg::act::detail
