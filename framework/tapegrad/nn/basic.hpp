#pragma once
// Small layers: Identity, Flatten, Dropout, and the fixed activations ReLU, Tanh, Sigmoid (the
// activation registry will provide the full catalogue).
#include "tapegrad/core/random.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
};

// Flattens dims start_dim..end_dim (default: all but the batch dimension).
class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  std::int64_t start_dim, end_dim;
};

// Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in
// eval mode. Uses `gen` if given, else the default generator.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  double p;
  Generator* gen;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  // Not for a subclass, whose forward might not be relu.
  bool commutes_with_max_pool() const override;
};
class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
};
class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
};

}  // namespace tg::nn
