#pragma once
// General matrix multiply on raw row-major pointers:
//   C[M,N] = alpha * op(A) * op(B) + beta * C,  op(A) is M x K, op(B) is K x N,
// where op(X) = X or X^T (trans_a / trans_b). Leading dimensions are row strides in elements.
// Transposed operands are handled while packing, never by copying whole matrices.
// Each element of C is computed by one thread in a fixed order: results are deterministic.
#include <cstdint>

namespace tg::kernels {

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, T alpha,
          const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
          std::int64_t ldc);

}  // namespace tg::kernels
