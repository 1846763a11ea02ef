#pragma once
/// @file
/// Shapes and strides are small vectors of int64 (in elements, not bytes).
#include <cstdint>
#include <string>
#include <vector>

namespace tg {

/// The sizes of a tensor's dimensions, outermost first (also used for strides).
using Shape = std::vector<std::int64_t>;

/// The number of elements of a tensor of this shape (1 for a 0-d shape).
std::int64_t numel_of(const Shape& shape);
/// Row-major strides for a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);
/// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
/// NumPy broadcasting; `op` names the caller in the error message.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Accepts negative dims Python-style; throws naming `op` when out of range.
std::int64_t normalize_dim(std::int64_t dim, std::int64_t ndim, const char* op);

}  // namespace tg
