#pragma once
/// @file
/// Small layers: Identity, Flatten, Dropout, and the fixed activations ReLU, Tanh, Sigmoid (the
/// activation registry will provide the full catalogue).
#include "tapegrad/core/random.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

/// Returns its input.
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}                      ///< an identity module
  Tensor forward(const Tensor& x) override { return x; }  ///< x itself
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
};

/// Flattens dims start_dim..end_dim (default: all but the batch dimension).
class Flatten : public Module {
 public:
  /// Flattens dims start_dim..end_dim (negative ones count from the end).
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  /// The first dimension flattened.
  std::int64_t start_dim, end_dim;
  /// @var end_dim
  /// The last dimension flattened.
};

/// Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in
/// eval mode. Uses `gen` if given, else the default generator.
class Dropout : public Module {
 public:
  /// p must be in [0, 1] (else tg::Error).
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::string extra_repr() const override;
  double p;        ///< the probability of zeroing an element
  Generator* gen;  ///< the generator drawn from; null: the default generator
};

/// max(x, 0) elementwise (tg::relu).
class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}  ///< a ReLU module
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  /// Not for a subclass, whose forward might not be relu.
  bool commutes_with_max_pool() const override;
};
/// tanh(x) elementwise (tg::tanh).
class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}  ///< a Tanh module
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
};
/// 1 / (1 + e^-x) elementwise (tg::sigmoid).
class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}  ///< a Sigmoid module
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
};

}  // namespace tg::nn
