// kernels::blas_gemm through OpenBLAS's cblas (see blas.hpp). The whole file is inside
// TG_USE_BLAS: the library globs every .cpp, and the default build must not need OpenBLAS.
#ifdef TG_USE_BLAS

#include "tapegrad/kernels/blas.hpp"

#include <atomic>
#include <climits>
#include <type_traits>

#include <cblas.h>  // OpenBLAS's (openblas-pthread/cblas.h): declares openblas_set_num_threads

#include "tapegrad/core/error.hpp"
#include "tapegrad/kernels/parallel.hpp"

namespace tg::kernels {

namespace {

// The thread count last given to OpenBLAS (0: never set).
std::atomic<int> blas_threads{0};

void sync_threads() {
  // openblas_set_num_threads changes a global: only from serial code, where no other GEMM runs.
  if (omp_in_parallel()) return;
  const int want = num_threads();
  if (blas_threads.load(std::memory_order_relaxed) != want) {
    openblas_set_num_threads(want);
    blas_threads.store(want, std::memory_order_relaxed);
  }
}

int to_int(std::int64_t v, const char* what, std::int64_t M, std::int64_t N, std::int64_t K) {
  if (v > INT_MAX)
    fail(
        "gemm (TG_BLAS): {} = {} exceeds INT_MAX, which OpenBLAS's cblas interface cannot take "
        "(M={}, N={}, K={})",
        what, v, M, N, K);
  return static_cast<int>(v);
}

template <class T>
void call(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, T alpha, const T* A, int lda,
          const T* B, int ldb, T beta, T* C, int ldc) {
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

template <class T>
void blas_gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
               const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
               std::int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) {
    // Nothing to multiply: C = beta * C, with beta == 0 writing exact zeros (as kernels::gemm).
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j)
        C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
    return;
  }
  // cblas checks these too, but reports a violation by printing to stderr and returning.
  const std::int64_t need_a = trans_a ? M : K, need_b = trans_b ? K : N;
  if (lda < need_a || ldb < need_b || ldc < N)
    fail(
        "gemm (TG_BLAS): leading dimensions lda={} ldb={} ldc={} too small for M={} N={} K={} "
        "(trans_a={}, trans_b={})",
        lda, ldb, ldc, M, N, K, trans_a, trans_b);
  const int m = to_int(M, "M", M, N, K), n = to_int(N, "N", M, N, K), k = to_int(K, "K", M, N, K);
  const int la = to_int(lda, "lda", M, N, K), lb = to_int(ldb, "ldb", M, N, K),
            lc = to_int(ldc, "ldc", M, N, K);
  sync_threads();
  call<T>(trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
          A, la, B, lb, beta, C, lc);
}

template void blas_gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                               const float*, std::int64_t, const float*, std::int64_t, float,
                               float*, std::int64_t);
template void blas_gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                                const double*, std::int64_t, const double*, std::int64_t, double,
                                double*, std::int64_t);

}  // namespace tg::kernels

#endif  // TG_USE_BLAS
