#pragma once
// Row reductions over a contiguous [rows, len] block. Sums use a double accumulator and a fixed
// chunking of each row, so the result depends only on the data and shape, not on threads.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tapegrad/kernels/parallel.hpp"

namespace tg::kernels {

inline constexpr std::int64_t kSumChunk = 8192;

template <class T>
double sum_span(const T* p, std::int64_t n) {
  // Four accumulators: shorter dependency chains, still a fixed order.
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += static_cast<double>(p[i]);
    a1 += static_cast<double>(p[i + 1]);
    a2 += static_cast<double>(p[i + 2]);
    a3 += static_cast<double>(p[i + 3]);
  }
  for (; i < n; ++i) a0 += static_cast<double>(p[i]);
  return (a0 + a1) + (a2 + a3);
}

template <class T>
void sum_rows(const T* in, T* out, std::int64_t rows, std::int64_t len) {
  if (rows == 1 && len > 4 * kSumChunk) {
    const std::int64_t nchunks = (len + kSumChunk - 1) / kSumChunk;
    std::vector<double> part(static_cast<std::size_t>(nchunks));
    parallel_for(0, nchunks, 4, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t c = b; c < e; ++c)
        part[c] = sum_span(in + c * kSumChunk, std::min(kSumChunk, len - c * kSumChunk));
    });
    double s = 0;
    for (double v : part) s += v;
    out[0] = static_cast<T>(s);
    return;
  }
  parallel_for(0, rows, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(len, 1)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t r = b; r < e; ++r)
                   out[r] = static_cast<T>(sum_span(in + r * len, len));
               });
}

// Max (is_max) or min of each row; NaN propagates. Also writes the index of the first extreme
// into idx when idx is not null.
template <class T>
void extreme_rows(const T* in, T* out, std::int64_t* idx, std::int64_t rows, std::int64_t len,
                  bool is_max) {
  parallel_for(0, rows, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(len, 1)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t r = b; r < e; ++r) {
                   const T* p = in + r * len;
                   T best = p[0];
                   std::int64_t bi = 0;
                   for (std::int64_t i = 1; i < len; ++i) {
                     if (std::isnan(static_cast<double>(best))) break;
                     const T v = p[i];
                     if (std::isnan(static_cast<double>(v)) || (is_max ? v > best : v < best)) {
                       best = v;
                       bi = i;
                     }
                   }
                   if (out) out[r] = best;
                   if (idx) idx[r] = bi;
                 }
               });
}

}  // namespace tg::kernels
