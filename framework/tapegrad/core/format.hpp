#pragma once
/// @file
/// fmt::format("{}", tensor) prints like PyTorch:
/// @verbatim
///   tensor([[ 1.0000, -2.5000],
///           [ 3.0000,  4.0000]], shape=[2, 2], dtype=float32, requires_grad=true)
/// @endverbatim
/// Large tensors are summarised with "..." (the first and last 3 entries of each dimension once
/// there are more than 1000 elements).
#include <string>

#include <fmt/format.h>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// How to_string() prints a tensor (PyTorch's print options).
struct PrintOptions {
  int precision = 4;              ///< digits after the decimal point
  std::int64_t threshold = 1000;  ///< summarise above this many elements
  std::int64_t edgeitems = 3;     ///< entries shown at each end of a summarised dimension
  int linewidth = 80;             ///< characters per line before wrapping
};

/// The tensor printed like PyTorch: its values, shape, dtype and requires_grad.
std::string to_string(const Tensor& t, const PrintOptions& opts = {});

}  // namespace tg

/// @cond internal
// fmt::format("{}", tensor) prints tg::to_string(tensor).
template <>
struct fmt::formatter<tg::Tensor> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const tg::Tensor& t, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(tg::to_string(t), ctx);
  }
};
/// @endcond
