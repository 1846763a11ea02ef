#pragma once
/// @file
/// Shape ops. view, reshape (when it can), transpose, permute, squeeze, unsqueeze, expand, slice
/// and narrow return views that share storage; the others copy.
#include <vector>

#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

Tensor reshape(
    const Tensor& x, const Shape& shape,
    std::source_location loc = std::source_location::current());  ///< one dimension may be -1
Tensor view(
    const Tensor& x, const Shape& shape,
    std::source_location loc = std::source_location::current());  ///< errors if no view is possible
/// Dimensions start_dim..end_dim merged into one (a 0-d input becomes shape [1]); through
/// reshape, so a view when possible.
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1,
               std::source_location loc = std::source_location::current());
/// Dimensions d0 and d1 swapped (a view).
Tensor transpose(const Tensor& x, std::int64_t d0, std::int64_t d1,
                 std::source_location loc = std::source_location::current());
/// Dimension i of the result is dimension dims[i] of x (a view); dims must be a permutation.
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims,
               std::source_location loc = std::source_location::current());
/// Every size-1 dimension removed (a view).
Tensor squeeze(const Tensor& x, std::source_location loc = std::source_location::current());
/// Dimension dim removed if its size is 1; x itself otherwise (as PyTorch).
Tensor squeeze(const Tensor& x, std::int64_t dim,
               std::source_location loc = std::source_location::current());
/// A new size-1 dimension inserted at dim (a view).
Tensor unsqueeze(const Tensor& x, std::int64_t dim,
                 std::source_location loc = std::source_location::current());
Tensor expand(
    const Tensor& x, const Shape& shape,
    std::source_location loc = std::source_location::current());  ///< -1 keeps a dimension
/// Python-style x[start:end:step] along dim (negative start/end count from the end; clamped).
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step = 1, std::source_location loc = std::source_location::current());
/// Elements [start, start + length) of dimension dim (a view); they must fit the dimension.
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length,
              std::source_location loc = std::source_location::current());

// The ops below copy.
/// The entries of x at `index` along dim (torch.index_select).
Tensor index_select(
    const Tensor& x, std::int64_t dim, const Tensor& index,
    std::source_location loc = std::source_location::current());  ///< int64 1-D index
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index,
              std::source_location loc = std::source_location::current());  ///< torch.gather
/// out = base with src added at index along dim (torch.index_add); differentiable in base and src.
Tensor index_add(const Tensor& base, std::int64_t dim, const Tensor& index, const Tensor& src,
                 std::source_location loc = std::source_location::current());
/// out = base with src added at index along dim (torch.scatter_add).
Tensor scatter_add(const Tensor& base, std::int64_t dim, const Tensor& index, const Tensor& src,
                   std::source_location loc = std::source_location::current());
/// Concatenation along dim. The tensors (at least one) must have one dtype and the same shape
/// except in dim.
Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim = 0,
           std::source_location loc = std::source_location::current());
/// The tensors (at least one, all of one shape) joined along a new dimension dim.
Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim = 0,
             std::source_location loc = std::source_location::current());
/// Views of consecutive chunks of split_size along dim (the last one may be smaller).
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0,
                          std::source_location loc = std::source_location::current());
/// Views of consecutive chunks of the given sizes along dim, which must add up to its size.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t dim = 0,
                          std::source_location loc = std::source_location::current());
/// Constant padding as torch.nn.functional.pad: pads = {last_left, last_right, prev_left,
/// prev_right, ...}, all >= 0.
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0,
           std::source_location loc = std::source_location::current());

}  // namespace tg
