#pragma once
/// @file
/// Pooling layers (torch.nn.MaxPool2d, AvgPool2d, AdaptiveAvgPool2d). No parameters; the
/// settings are printed by extra_repr() as PyTorch does, a single number when H and W agree:
/// @verbatim
///   MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false)
/// @endverbatim
#include "tapegrad/nn/module.hpp"
#include "tapegrad/ops/pool.hpp"

namespace tg::nn {

/// tg::max_pool2d as a layer.
class MaxPool2d : public Module {
 public:
  /// A stride that is not given equals the kernel size.
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, Size2 dilation = 1,
                     bool ceil_mode = false);
  /// max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode).
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  /// The window size.
  Size2 kernel_size, stride, padding, dilation;
  /// @var stride
  /// The step between windows.
  /// @var padding
  /// Implicit -inf padding on each side.
  /// @var dilation
  /// The spacing of kernel positions.

  bool ceil_mode;  ///< round the output size up instead of down
};

/// tg::avg_pool2d as a layer.
class AvgPool2d : public Module {
 public:
  /// A stride that is not given equals the kernel size.
  explicit AvgPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true);
  /// avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad).
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  /// The window size.
  Size2 kernel_size, stride, padding;
  /// @var stride
  /// The step between windows.
  /// @var padding
  /// Implicit zero padding on each side.

  /// Round the output size up instead of down.
  bool ceil_mode, count_include_pad;
  /// @var count_include_pad
  /// Divide by the window size clipped to the padded input, not by the real elements in it.
};

/// tg::adaptive_avg_pool2d as a layer.
class AdaptiveAvgPool2d : public Module {
 public:
  /// Any input size gives this output size (H, W).
  explicit AdaptiveAvgPool2d(Size2 output_size);
  /// adaptive_avg_pool2d(x, output_size).
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  Size2 output_size;  ///< (OH, OW)
};

}  // namespace tg::nn
