#pragma once
/// @file
/// The backward engine: tg::grad() and tg::backward().
#include <optional>

#include "tapegrad/autograd/tape.hpp"

namespace tg {

/// Options of tg::grad().
struct GradOptions {
  /// Keep the tape entries so the graph can be differentiated again. Defaults to create_graph.
  std::optional<bool> retain_graph;
  /// Record the backward pass so the returned gradients can themselves be differentiated.
  bool create_graph = false;
  /// Return an undefined tensor for an input the outputs do not depend on, instead of an error.
  bool allow_unused = false;
  /// Seeds for non-scalar outputs (default: ones for scalar outputs).
  TensorList grad_outputs;
};

/// Gradients of sum(outputs[i] * grad_outputs[i]) with respect to each input, without touching
/// any tensor's .grad().
TensorList grad(const TensorList& outputs, const TensorList& inputs, const GradOptions& opts = {});
/// grad() of braced lists: grad({y}, {x}) resolves here (not to the single-tensor form below).
inline TensorList grad(std::initializer_list<Tensor> outputs, std::initializer_list<Tensor> inputs,
                       const GradOptions& opts = {}) {
  return grad(TensorList(outputs), TensorList(inputs), opts);
}
/// The gradient of one output with respect to one input.
inline Tensor grad(const Tensor& output, const Tensor& input, const GradOptions& opts = {}) {
  return grad(TensorList{output}, TensorList{input}, opts)[0];
}

/// Accumulates gradients into the .grad() of every leaf that requires grad.
void backward(const TensorList& outputs, const TensorList& grad_outputs = {},
              const BackwardOptions& opts = {});

}  // namespace tg
