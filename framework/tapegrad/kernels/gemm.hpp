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

// The kernel gemm<float>() runs, for reports: "AVX-512 12x32 tile", "AVX2+FMA 6x16 tile",
// "portable 6x16 tile" or "OpenBLAS (TG_BLAS=ON)".
const char* gemm_kernel_name();

// For tests: gemm() (or, with prepack_a, gemm_pack_a + gemm_prepacked_a) through one of the two
// register tiles, whatever the target and TG_BLAS. `narrow` is 6 rows x 2 AVX2 vectors (the
// portable loop without AVX2); `wide` is the AVX-512 tile, 12 rows x 2 vectors of 64 bytes,
// which gemm() uses where the target has AVX-512 and which elsewhere runs the same code over an
// emulated 64-byte vector (two AVX2 halves with the same fused multiply-adds, or GCC vectors).
enum class GemmTile { narrow, wide };
template <class T>
void gemm_with_tile_for_testing(GemmTile tile, bool trans_a, bool trans_b, bool prepack_a,
                                std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* A,
                                std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C,
                                std::int64_t ldc);

}  // namespace tg::kernels
