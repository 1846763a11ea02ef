#pragma once
#include <string>

#include "tapegrad/core/tensor.hpp"

namespace tg {

// Graphviz DOT of the part of this thread's tape that `root` depends on: ellipses are tensors
// (#id and shape; leaves that require grad are shaded), boxes are ops. Render with
// `dot -Tsvg graph.dot -o graph.svg`.
std::string to_dot(const Tensor& root);

}  // namespace tg
