#pragma once
/// @file
/// 2-D convolution (torch.nn.functional.conv2d), NCHW, float32 and float64.
///
/// The forward is im2col + GEMM per sample and group (kernels/im2col.hpp). The backward is written
/// with the two gradient ops below, which are themselves recorded: conv2d is bilinear in (x, w),
/// and so are its gradients, so each op's backward is made of the other two and gradients of any
/// order work (create_graph, second-order gradcheck).
#include <array>
#include <cstdint>

#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// Stride, zero padding and dilation along (H, W), and the number of groups, as PyTorch's conv2d.
struct Conv2dOptions {
  /// Step between windows along (H, W).
  std::array<std::int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{1, 1};
  /// @var padding
  /// Zero padding on each side along (H, W).
  /// @var dilation
  /// Spacing of kernel positions along (H, W).

  std::int64_t groups = 1;  ///< C_in and C_out are split into this many independent groups
};

/// x [N, C_in, H, W] (or unbatched [C_in, H, W]), w [C_out, C_in / groups, kH, kW], b [C_out]
/// (optional). Output [N, C_out, OH, OW] with OH = (H + 2*pad - dil*(kH-1) - 1) / stride + 1.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b = {}, Conv2dOptions o = {},
              std::source_location loc = std::source_location::current());

/// The gradient of sum(conv2d(x, w) * g) with respect to x, for an x of shape x_shape (4-D):
/// a transposed convolution of g with w (col2im of W^T g).
Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& x_shape,
                         Conv2dOptions o = {},
                         std::source_location loc = std::source_location::current());
/// The gradient of sum(conv2d(x, w) * g) with respect to w, for a w of shape w_shape:
/// g * cols(x)^T summed over the batch.
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Shape& w_shape,
                          Conv2dOptions o = {},
                          std::source_location loc = std::source_location::current());

}  // namespace tg
