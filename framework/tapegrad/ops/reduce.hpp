#pragma once
// Reductions over a list of dimensions (empty list: over everything) with keepdim, and over
// everything. Float32 sums accumulate in double; the order of additions depends only on the
// shape, never on the thread count.
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg {

using Dims = std::vector<std::int64_t>;

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim = false);
// Maximum/minimum values (like torch.amax/amin): the gradient is shared equally by ties.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, const Dims& dims, bool keepdim = false);
// correction = 1 is the unbiased (Bessel) estimate, PyTorch's default.
Tensor var(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1,
           bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
// Index of the first maximum/minimum along dim (int64); without dim, of the flattened tensor.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);

// Sums a broadcast gradient back to `shape` (leading dimensions and size-1 dimensions).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tg
