#pragma once
#include <array>

#include "tapegrad/nn/module.hpp"
#include "tapegrad/ops/conv.hpp"

namespace tg::nn {

// 2-D convolution layer (torch.nn.Conv2d): weight [out, in / groups, kH, kW], bias [out].
// Initialised as PyTorch: weight ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) with fan_in = in / groups * kH * kW, and bias ~ the same bound.
//   nn::Conv2d conv(1, 6, 5, {.padding = {2, 2}});
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
         Conv2dOptions options = {}, bool bias = true, DType dtype = DType::Float32);
  Conv2d(std::int64_t in_channels, std::int64_t out_channels,
         std::array<std::int64_t, 2> kernel_size, Conv2dOptions options = {}, bool bias = true,
         DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  // "1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)": padding, dilation, groups and
  // bias only when they differ from the defaults, as PyTorch.
  std::string extra_repr() const override;
  void reset_parameters();

  std::int64_t in_channels, out_channels;
  std::array<std::int64_t, 2> kernel_size;
  Conv2dOptions options;
  Tensor weight, bias;  // bias undefined when bias = false
};

}  // namespace tg::nn
