#pragma once
#include "tapegrad/core/tensor.hpp"

namespace tg {

// torch.matmul semantics: 1-D x 1-D is a dot product; a 1-D operand is promoted to a matrix and
// the added dimension removed afterwards; >= 3-D operands are batches of matrices whose batch
// dimensions broadcast. The compute goes through kernels::gemm.
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace tg
