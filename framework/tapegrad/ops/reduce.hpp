#pragma once
// Reductions over a list of dimensions (empty list: over everything) with keepdim, and over
// everything. Float32 sums accumulate in double; the order of additions depends only on the
// shape, never on the thread count.
#include <vector>

#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

using Dims = std::vector<std::int64_t>;

Tensor sum(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim = false,
           std::source_location loc = std::source_location::current());
Tensor mean(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim = false,
            std::source_location loc = std::source_location::current());
// Maximum/minimum values (like torch.amax/amin): the gradient is shared equally by ties.
Tensor max(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor max(const Tensor& x, const Dims& dims, bool keepdim = false,
           std::source_location loc = std::source_location::current());
Tensor min(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor min(const Tensor& x, const Dims& dims, bool keepdim = false,
           std::source_location loc = std::source_location::current());
// correction = 1 is the unbiased (Bessel) estimate, PyTorch's default.
Tensor var(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1,
           bool keepdim = false, std::source_location loc = std::source_location::current());
Tensor std(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1,
           bool keepdim = false, std::source_location loc = std::source_location::current());
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false,
                 std::source_location loc = std::source_location::current());
// Index of the first maximum/minimum along dim (int64); without dim, of the flattened tensor.
Tensor argmax(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false,
              std::source_location loc = std::source_location::current());
Tensor argmin(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false,
              std::source_location loc = std::source_location::current());

// Sums a broadcast gradient back to `shape` (leading dimensions and size-1 dimensions).
Tensor sum_to(const Tensor& x, const Shape& shape,
              std::source_location loc = std::source_location::current());

}  // namespace tg
