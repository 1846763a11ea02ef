#pragma once
/// @file
/// Reductions over a list of dimensions (empty list: over everything) with keepdim, and over
/// everything. Float32 sums accumulate in double; the order of additions depends only on the
/// shape, never on the thread count.
#include <vector>

#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// A list of dimensions to reduce over (negative ones count from the end; empty: all of them).
using Dims = std::vector<std::int64_t>;

/// The sum of all elements (a 0-d tensor).
Tensor sum(const Tensor& x, std::source_location loc = std::source_location::current());
/// The sum over dims; keepdim keeps them with size 1.
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim = false,
           std::source_location loc = std::source_location::current());
/// The mean of all elements (a 0-d tensor).
Tensor mean(const Tensor& x, std::source_location loc = std::source_location::current());
/// The mean over dims; keepdim keeps them with size 1.
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim = false,
            std::source_location loc = std::source_location::current());
/// @name Maximum and minimum
/// Maximum/minimum values (like torch.amax/amin): the gradient is shared equally by ties.
/// @{

/// The maximum of all elements (a 0-d tensor).
Tensor max(const Tensor& x, std::source_location loc = std::source_location::current());
/// The maximum over dims; keepdim keeps them with size 1.
Tensor max(const Tensor& x, const Dims& dims, bool keepdim = false,
           std::source_location loc = std::source_location::current());
/// The minimum of all elements (a 0-d tensor).
Tensor min(const Tensor& x, std::source_location loc = std::source_location::current());
/// The minimum over dims; keepdim keeps them with size 1.
Tensor min(const Tensor& x, const Dims& dims, bool keepdim = false,
           std::source_location loc = std::source_location::current());
/// @}
/// Variance over dims (floating dtypes). correction = 1 is the unbiased (Bessel) estimate,
/// PyTorch's default.
Tensor var(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1,
           bool keepdim = false, std::source_location loc = std::source_location::current());
/// Standard deviation over dims: sqrt(var(x, dims, correction, keepdim)).
Tensor std(const Tensor& x, const Dims& dims = {}, std::int64_t correction = 1,
           bool keepdim = false, std::source_location loc = std::source_location::current());
/// log(sum(exp(x))) over dims, computed stably (shifted by the maximum); floating dtypes.
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false,
                 std::source_location loc = std::source_location::current());
/// @name Arg-maximum and arg-minimum
/// Index of the first maximum/minimum along dim (int64); without dim, of the flattened tensor.
/// Not differentiable.
/// @{

/// Index of the first maximum of the flattened tensor.
Tensor argmax(const Tensor& x, std::source_location loc = std::source_location::current());
/// Index of the first maximum along dim.
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false,
              std::source_location loc = std::source_location::current());
/// Index of the first minimum of the flattened tensor.
Tensor argmin(const Tensor& x, std::source_location loc = std::source_location::current());
/// Index of the first minimum along dim.
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false,
              std::source_location loc = std::source_location::current());
/// @}

/// Sums a broadcast gradient back to `shape` (leading dimensions and size-1 dimensions).
Tensor sum_to(const Tensor& x, const Shape& shape,
              std::source_location loc = std::source_location::current());

}  // namespace tg
