#include "tapegrad/autograd/dot.hpp"

#include <unordered_set>

#include <fmt/format.h>

#include "tapegrad/autograd/tape.hpp"

namespace tg {

std::string to_dot(const Tensor& root) {
  if (!root.defined()) fail("to_dot: tensor is undefined");
  const Tape& tp = tape();
  std::unordered_set<std::uint64_t> live{root.id()};
  std::unordered_set<std::uint64_t> drawn;
  std::string nodes, edges;
  auto tensor_node = [&](std::uint64_t id, const Shape& shape, DType dt, bool leaf_param) {
    if (!drawn.insert(id).second) return;
    nodes +=
        fmt::format("  t{} [label=\"#{}\\n{} {}\", shape=ellipse{}];\n", id, id, shape_str(shape),
                    dt, leaf_param ? ", style=filled, fillcolor=\"#cfe8ff\"" : "");
  };
  tensor_node(root.id(), root.shape(), root.dtype(), root.is_leaf() && root.requires_grad());
  // Reverse walk: an entry is drawn when its output is something we already depend on.
  for (std::size_t i = tp.size(); i-- > 0;) {
    const TapeEntry& e = tp[i];
    if (!live.count(e.output_id)) continue;
    nodes +=
        fmt::format("  op{} [label=\"[{}] {}\", shape=box, style=rounded];\n", e.seq, i, e.name);
    edges += fmt::format("  op{} -> t{};\n", e.seq, e.output_id);
    for (const Tensor& in : e.inputs) {
      tensor_node(in.id(), in.shape(), in.dtype(), in.is_leaf() && in.requires_grad());
      edges += fmt::format("  t{} -> op{}{};\n", in.id(), e.seq,
                           in.requires_grad() ? "" : " [style=dashed]");
      live.insert(in.id());
    }
  }
  return fmt::format("digraph tape {{\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n{}{}}}\n",
                     nodes, edges);
}

}  // namespace tg
