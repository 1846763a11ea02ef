#pragma once
// Iteration over N operands that share one shape but have their own strides (a broadcast
// operand has stride 0). Dimensions that are contiguous for every operand are merged first, so
// the common contiguous case becomes one long row and the inner loop sees unit strides.
#include <array>
#include <cstdint>
#include <vector>

#include "tapegrad/kernels/parallel.hpp"

namespace tg::kernels {

template <std::size_t N>
struct StridedLayout {
  std::vector<std::int64_t> shape;                   // merged shape
  std::array<std::vector<std::int64_t>, N> strides;  // merged strides per operand
};

template <std::size_t N>
StridedLayout<N> coalesce(const std::vector<std::int64_t>& shape,
                          const std::array<const std::int64_t*, N>& strides) {
  StridedLayout<N> L;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;  // size-1 dims never move the offset
    bool merge = !L.shape.empty();
    for (std::size_t k = 0; merge && k < N; ++k)
      merge = L.strides[k].back() == strides[k][d] * shape[d];
    if (merge) {
      L.shape.back() *= shape[d];
      for (std::size_t k = 0; k < N; ++k) L.strides[k].back() = strides[k][d];
    } else {
      L.shape.push_back(shape[d]);
      for (std::size_t k = 0; k < N; ++k) L.strides[k].push_back(strides[k][d]);
    }
  }
  if (L.shape.empty()) {
    L.shape.push_back(1);
    for (std::size_t k = 0; k < N; ++k) L.strides[k].push_back(0);
  }
  return L;
}

// Calls row(offsets, n, inner_strides) for every innermost row, where offsets[k] is operand k's
// element offset at the start of the row. Rows are distributed over threads when the total size
// exceeds `grain` elements.
template <std::size_t N, class Row>
void for_each_row(const std::vector<std::int64_t>& shape,
                  const std::array<const std::int64_t*, N>& strides, std::int64_t grain,
                  Row&& row) {
  for (auto s : shape)
    if (s == 0) return;
  const StridedLayout<N> L = coalesce<N>(shape, strides);
  const std::size_t nd = L.shape.size();
  const std::int64_t inner = L.shape[nd - 1];
  std::array<std::int64_t, N> inner_st;
  for (std::size_t k = 0; k < N; ++k) inner_st[k] = L.strides[k][nd - 1];
  std::int64_t rows = 1;
  for (std::size_t d = 0; d + 1 < nd; ++d) rows *= L.shape[d];
  const std::int64_t row_grain =
      std::max<std::int64_t>(1, grain / std::max<std::int64_t>(inner, 1));
  parallel_for(0, rows, row_grain, [&](std::int64_t rb, std::int64_t re) {
    for (std::int64_t r = rb; r < re; ++r) {
      std::array<std::int64_t, N> off{};
      std::int64_t rem = r;
      for (std::size_t d = nd - 1; d-- > 0;) {
        const std::int64_t i = rem % L.shape[d];
        rem /= L.shape[d];
        for (std::size_t k = 0; k < N; ++k) off[k] += i * L.strides[k][d];
      }
      row(off, inner, inner_st);
    }
  });
}

// Grain (in elements) above which elementwise loops use several threads.
inline constexpr std::int64_t kElementwiseGrain = 32768;

}  // namespace tg::kernels
