#pragma once
// fmt::format("{}", tensor) prints like PyTorch:
//   tensor([[ 1.0000, -2.5000],
//           [ 3.0000,  4.0000]], shape=[2, 2], dtype=float32, requires_grad=true)
// Large tensors are summarised with "..." (the first and last 3 entries of each dimension once
// there are more than 1000 elements).
#include <string>

#include <fmt/format.h>

#include "tapegrad/core/tensor.hpp"

namespace tg {

struct PrintOptions {
  int precision = 4;
  std::int64_t threshold = 1000;  // summarise above this many elements
  std::int64_t edgeitems = 3;
  int linewidth = 80;
};

std::string to_string(const Tensor& t, const PrintOptions& opts = {});

}  // namespace tg

template <>
struct fmt::formatter<tg::Tensor> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const tg::Tensor& t, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(tg::to_string(t), ctx);
  }
};
