#pragma once
/// @file
/// Graphviz DOT export of the autograd graph.
#include <string>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// What to_dot() draws.
struct DotOptions {
  /// Draw what each op saved for its backward: one note per saved storage (shape, dtype, bytes),
  /// joined by dotted lines to every op that saved it, labelled with what the op saved ("input
  /// 0", "output").
  bool show_saved = false;
  /// Draw only what a gradient of root flows through: inputs that need no gradient (constants,
  /// integer indices) and their edges are left out.
  bool backward_only = false;
};

/// Graphviz DOT of the part of this thread's tape that `root` depends on: ellipses are tensors
/// (\#id and shape; leaves that require grad are shaded), boxes are ops ([tape index] name),
/// dashed edges are inputs that need no gradient. Render with
/// `dot -Tsvg graph.dot -o graph.svg`.
std::string to_dot(const Tensor& root);
/// to_dot(root) with options.
std::string to_dot(const Tensor& root, const DotOptions& opts);

}  // namespace tg
