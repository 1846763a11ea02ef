#pragma once
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

// y = x W^T + b, W of shape [out_features, in_features] (PyTorch's layout). Initialised as
// PyTorch does: W ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and b ~ the
// same bound.
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true,
         DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  void reset_parameters();

  std::int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when bias = false
};

}  // namespace tg::nn
