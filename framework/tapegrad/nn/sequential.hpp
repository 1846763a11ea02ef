#pragma once
/// @file
/// The container nn::Sequential.
#include <initializer_list>

#include "tapegrad/nn/module.hpp"

namespace tg::nn {

/// Runs its children in order; children are named "0", "1", ...
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}  ///< no children
  /// The modules as children "0", "1", ..., in order.
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  /// Appends m as the next child; returns this.
  Sequential& push_back(std::shared_ptr<Module> m);
  /// Each child applied to the previous one's output. An activation that commutes with max-pooling
  /// (relu), followed by a MaxPool2d, runs after the pool instead: the results are the same bit
  /// for bit, and cheaper.
  Tensor forward(const Tensor& x) override;
  std::string to_onnx(io::OnnxGraph& g, const std::string& x) const override;
  std::size_t size() const { return layers_.size(); }  ///< the number of children
  /// Child i; out of range is a tg::Error.
  const std::shared_ptr<Module>& operator[](std::size_t i) const;

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace tg::nn
