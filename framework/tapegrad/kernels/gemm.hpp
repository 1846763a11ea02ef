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

// A left operand packed once for several products (Winograd's forward multiplies the same
// transformed weights by every group of images): gemm_pack_a writes op(A) [M, K] in the
// micro-kernel's panel order into `packed` (gemm_packed_a_size(M, K) elements), and
// gemm_prepacked_a is gemm() with that A. Results are bit-identical to gemm() on the packed
// path.
template <class T>
std::int64_t gemm_packed_a_size(std::int64_t M, std::int64_t K);
template <class T>
void gemm_pack_a(bool trans_a, std::int64_t M, std::int64_t K, const T* A, std::int64_t lda,
                 T* packed);
template <class T>
void gemm_prepacked_a(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* packed,
                      bool trans_b, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

}  // namespace tg::kernels
