#pragma once
/// @file
/// The 2-D convolution layer nn::Conv2d.
#include <array>

#include "tapegrad/nn/module.hpp"
#include "tapegrad/ops/conv.hpp"

namespace tg::nn {

/// 2-D convolution layer (torch.nn.Conv2d): weight [out, in / groups, kH, kW], bias [out].
/// Initialised as PyTorch: weight ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in)) with fan_in = in / groups * kH * kW, and bias ~ the same bound.
/// @code{.cpp}
///   nn::Conv2d conv(1, 6, 5, {.padding = {2, 2}});
/// @endcode
class Conv2d : public Module {
 public:
  /// A square kernel_size x kernel_size kernel. Sizes and groups must be positive, the channels
  /// divisible by groups, dtype floating (else tg::Error).
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
         Conv2dOptions options = {}, bool bias = true, DType dtype = DType::Float32);
  /// A kernel of kernel_size[0] x kernel_size[1] (kH x kW).
  Conv2d(std::int64_t in_channels, std::int64_t out_channels,
         std::array<std::int64_t, 2> kernel_size, Conv2dOptions options = {}, bool bias = true,
         DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  /// "1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)": padding, dilation, groups and
  /// bias only when they differ from the defaults, as PyTorch.
  std::string extra_repr() const override;
  /// Draws weight and bias again, as the constructor does.
  void reset_parameters();

  /// Input channels C_in.
  std::int64_t in_channels, out_channels;
  /// @var out_channels
  /// Output channels C_out.

  std::array<std::int64_t, 2> kernel_size;  ///< (kH, kW)
  Conv2dOptions options;                    ///< stride, padding, dilation, groups
  /// [C_out, C_in / groups, kH, kW].
  Tensor weight, bias;  ///< bias undefined when bias = false
};

}  // namespace tg::nn
