#pragma once
// Shape ops. view, reshape (when it can), transpose, permute, squeeze, unsqueeze, expand, slice
// and narrow return views that share storage; the others copy.
#include <vector>

#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

Tensor reshape(
    const Tensor& x, const Shape& shape,
    std::source_location loc = std::source_location::current());  // one dimension may be -1
Tensor view(
    const Tensor& x, const Shape& shape,
    std::source_location loc = std::source_location::current());  // errors if no view is possible
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1,
               std::source_location loc = std::source_location::current());
Tensor transpose(const Tensor& x, std::int64_t d0, std::int64_t d1,
                 std::source_location loc = std::source_location::current());
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims,
               std::source_location loc = std::source_location::current());
Tensor squeeze(const Tensor& x, std::source_location loc = std::source_location::current());
Tensor squeeze(const Tensor& x, std::int64_t dim,
               std::source_location loc = std::source_location::current());
Tensor unsqueeze(const Tensor& x, std::int64_t dim,
                 std::source_location loc = std::source_location::current());
Tensor expand(const Tensor& x, const Shape& shape,
              std::source_location loc = std::source_location::current());  // -1 keeps a dimension
// Python-style x[start:end:step] along dim (negative start/end count from the end; clamped).
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step = 1, std::source_location loc = std::source_location::current());
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length,
              std::source_location loc = std::source_location::current());

// Copies.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                    std::source_location loc = std::source_location::current());  // int64 1-D index
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index,
              std::source_location loc = std::source_location::current());  // torch.gather
// out = base with src added at index along dim (torch.index_add); differentiable in base and src.
Tensor index_add(const Tensor& base, std::int64_t dim, const Tensor& index, const Tensor& src,
                 std::source_location loc = std::source_location::current());
// out = base with src added at index along dim (torch.scatter_add).
Tensor scatter_add(const Tensor& base, std::int64_t dim, const Tensor& index, const Tensor& src,
                   std::source_location loc = std::source_location::current());
Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim = 0,
           std::source_location loc = std::source_location::current());
Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim = 0,
             std::source_location loc = std::source_location::current());
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0,
                          std::source_location loc = std::source_location::current());
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t dim = 0,
                          std::source_location loc = std::source_location::current());
// Constant padding as torch.nn.functional.pad: pads = {last_left, last_right, prev_left,
// prev_right, ...}, all >= 0.
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0,
           std::source_location loc = std::source_location::current());

}  // namespace tg
