#pragma once
// parallel_for over an index range with OpenMP. The range is cut into one contiguous block per
// thread, so the work each thread does depends only on the thread count: results are
// bit-identical for the same thread count.
#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace tg::kernels {

int num_threads();
void set_num_threads(int n);

// Calls f(begin, end) on sub-ranges; runs serially when the range is smaller than `grain` or
// when already inside a parallel region.
template <class F>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, F&& f) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const int max_t = num_threads();
  if (n <= grain || max_t <= 1 || omp_in_parallel()) {
    f(begin, end);
    return;
  }
  const std::int64_t want = std::min<std::int64_t>(max_t, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast <int>(want))
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t chunk = (n + nt - 1) / nt;
    const std::int64_t b = begin + t * chunk, e = std::min(end, b + chunk);
    if (b < e) f(b, e);
  }
}

}  // namespace tg::kernels
