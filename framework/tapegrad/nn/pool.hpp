#pragma once
// Pooling layers (torch.nn.MaxPool2d, AvgPool2d, AdaptiveAvgPool2d). No parameters; the
// settings are printed by extra_repr() as PyTorch does, a single number when H and W agree:
//   MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=false)
#include "tapegrad/nn/module.hpp"
#include "tapegrad/ops/pool.hpp"

namespace tg::nn {

class MaxPool2d : public Module {
 public:
  // A stride that is not given equals the kernel size.
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0, Size2 dilation = 1,
                     bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  Size2 kernel_size, stride, padding, dilation;
  bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, Size2 stride = {}, Size2 padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  Size2 kernel_size, stride, padding;
  bool ceil_mode, count_include_pad;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;

  Size2 output_size;
};

}  // namespace tg::nn
