// GCC 12.2 (Debian 12.2.0-14) vectoriser bug, standalone: no tapegrad headers.
//
// A loop over groups of 8 doubles (SLP) where a load is only needed on one side of a condition
// is if-converted into a masked load. Where the target prefers 256-bit vectors on AVX-512
// (-march=icelake-server, skylake-avx512, ...: -mprefer-vector-width=256), each group of 8 is
// two vectors of 4, and GCC gives the masked load of the SECOND vector the mask of the FIRST:
//
//   mask_a = ~(x[0..3] > 0);  mask_b = ~(x[4..7] > 0);
//   y[0..3] = .MASK_LOAD (&y[0], mask_a);
//   y[4..7] = .MASK_LOAD (&y[4], mask_a);      <-- should be mask_b
//
// so y[4 + j] is not loaded where x[j] > 0 and x[4 + j] <= 0, and the result uses whatever the
// register held. With 512-bit vectors (-march=x86-64-v4) a group is one vector and the bug does
// not show; without AVX-512 (x86-64-v3) GCC does not use a masked load here.
//
//   g++ -O3 -march=icelake-server gcc12_slp_mask_load.cpp && ./a.out    (needs an AVX-512 CPU)
//   g++ -O3 -march=icelake-server -fdump-tree-optimized -S gcc12_slp_mask_load.cpp
//     (any x86-64 CPU: the dump shows both .MASK_LOADs with the same mask)
//
// Prints "ok" or the wrong elements, and exits 1 on a wrong result.
#include <cstdio>

[[gnu::noinline]] void kernel(const double* __restrict x, const double* __restrict y,
                              double* __restrict o, long n, double a, double* acc) {
  double part[8] = {};
  for (long i = 0; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) {
      const double xv = x[i + l], yv = y[i + l];
      const double d = xv > 0 ? 1.0 : yv / a + 1.0;
      o[i + l] = d;
      part[l] += xv > 0 ? 0.0 : yv / a - xv / a * d;
    }
  double s = 0;
  for (int l = 0; l < 8; ++l) s += part[l];
  *acc = s;
}

int main() {
  constexpr long n = 64;
  double x[n], y[n], o[n], acc = 0;
  for (long i = 0; i < n; ++i) {
    // Lane j of the first half positive, lane j of the second half not.
    x[i] = (i % 8 < 4) ? 1.0 + static_cast<double>(i) : -1.0 - static_cast<double>(i);
    y[i] = 0.5 * static_cast<double>(i + 1);
  }
  kernel(x, y, o, n, 2.0, &acc);
  int bad = 0;
  for (long i = 0; i < n; ++i) {
    const double want = x[i] > 0 ? 1.0 : y[i] / 2.0 + 1.0;
    if (o[i] != want) {
      if (++bad <= 8) std::printf("o[%ld] = %g, expected %g\n", i, o[i], want);
    }
  }
  std::printf(bad ? "%d wrong of %ld\n" : "ok\n", bad, n);
  return bad ? 1 : 0;
}
