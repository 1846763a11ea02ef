#pragma once
/// @file
/// Matrix multiplication (tg::matmul).
#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// torch.matmul semantics: 1-D x 1-D is a dot product; a 1-D operand is promoted to a matrix and
/// the added dimension removed afterwards; >= 3-D operands are batches of matrices whose batch
/// dimensions broadcast. The compute goes through kernels::gemm.
Tensor matmul(const Tensor& a, const Tensor& b,
              std::source_location loc = std::source_location::current());

namespace detail {
// out = op(a) * op(b) + beta * out for 2-D a and b of out's dtype, where op(t) is t or, when
// the flag is set, t^T; out is contiguous [M, N]. No tape, no checks beyond the shapes: for ops
// (linear) that call the kernel directly. Operands whose layout GEMM cannot read (neither rows
// nor columns contiguous) are copied first.
void mm_into(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, double beta,
             const Tensor& out);
}  // namespace detail

}  // namespace tg
