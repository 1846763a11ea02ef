#pragma once
/// @file
/// The fully connected layer nn::Linear.
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

/// y = x W^T + b, W of shape [out_features, in_features] (PyTorch's layout). Initialised as
/// PyTorch does: W ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and b ~ the
/// same bound.
class Linear : public Module {
 public:
  /// Sizes must be positive (else tg::Error).
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true,
         DType dtype = DType::Float32);
  /// x [..., in_features] -> [..., out_features].
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  /// Draws weight and bias again, as the constructor does.
  void reset_parameters();

  /// Size of each input row.
  std::int64_t in_features, out_features;
  /// @var out_features
  /// Size of each output row.

  /// [out_features, in_features].
  Tensor weight, bias;  ///< bias undefined when bias = false
};

}  // namespace tg::nn
