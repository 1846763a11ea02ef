#pragma once
// OpenBLAS as the GEMM backend, for comparison only: built when CMake is configured with
// -DTG_BLAS=ON, which defines TG_USE_BLAS for the tapegrad target; kernels::gemm (gemm.cpp) then
// hands every call to blas_gemm. The default build uses tapegrad's own kernels and compiles
// blas.cpp to nothing.
//
// Same contract as kernels::gemm (kernels/gemm.hpp): row-major
//   C[M,N] = alpha * op(A) * op(B) + beta * C,  op(A) is M x K, op(B) is K x N,
// leading dimensions are row strides in elements, beta == 0 overwrites C (NaNs in C are not
// propagated). Dimensions and leading dimensions above INT_MAX are a tg::Error (OpenBLAS's cblas
// takes int).
//
// Threads: OpenBLAS (the pthread build) keeps its own pool; blas_gemm sets it to
// kernels::num_threads() before a call when that changed. A call from inside an OpenMP parallel
// region (conv2d runs one GEMM per sample in parallel_for) leaves the pool as it is, so with 2
// threads such calls may oversubscribe the cores: one reason TG_BLAS is for comparison only.
// OpenBLAS does not promise the same bits for different thread counts.
#include <cstdint>

namespace tg::kernels {

template <class T>
void blas_gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
               const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
               std::int64_t ldc);

}  // namespace tg::kernels
