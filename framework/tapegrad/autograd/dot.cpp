#include "tapegrad/autograd/dot.hpp"

#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "tapegrad/autograd/inspect.hpp"
#include "tapegrad/autograd/tape.hpp"

namespace tg {

std::string to_dot(const Tensor& root) { return to_dot(root, DotOptions{}); }

std::string to_dot(const Tensor& root, const DotOptions& opts) {
  if (!root.defined()) fail("to_dot: tensor is undefined");
  std::unordered_set<std::uint64_t> drawn;
  std::string nodes, edges;
  auto tensor_node = [&](std::uint64_t id, const Shape& shape, DType dt, bool leaf_param) {
    if (!drawn.insert(id).second) return;
    nodes +=
        fmt::format("  t{} [label=\"#{}\\n{} {}\", shape=ellipse{}];\n", id, id, shape_str(shape),
                    dt, leaf_param ? ", style=filled, fillcolor=\"#cfe8ff\"" : "");
  };
  tensor_node(root.id(), root.shape(), root.dtype(), root.is_leaf() && root.requires_grad());
  // One note per saved storage, keyed by the storage: an activation saved by two ops is one
  // note with two lines, which is also how much memory it costs.
  std::unordered_map<const void*, std::size_t> notes;
  // The root's creator first, then what it depends on: the order the old tape walk drew them.
  const std::vector<NodeRef> graph = graph_of(root);
  for (std::size_t k = graph.size(); k-- > 0;) {
    const NodeRef& n = graph[k];
    nodes += fmt::format("  op{} [label=\"[{}] {}\", shape=box, style=rounded];\n", n.seq, n.index,
                         n.op);
    edges += fmt::format("  op{} -> t{};\n", n.seq, n.output_id);
    for (std::size_t j = 0; j < n.inputs.size(); ++j) {
      const InputRef& in = n.inputs[j];
      if (in.id == 0) continue;
      if (opts.backward_only && !n.needs_grad[j]) continue;
      tensor_node(in.id, in.shape, in.dtype, in.creator_seq == 0 && in.requires_grad);
      edges += fmt::format("  t{} -> op{}{};\n", in.id, n.seq,
                           in.requires_grad ? "" : " [style=dashed]");
    }
    if (!opts.show_saved) continue;
    const TapeEntry& e = tape()[n.index];
    for (std::size_t s = 0; s < n.saved.size() && s < e.saved.size(); ++s) {
      const SavedTensorInfo& info = n.saved[s];
      // A packed storage that is gone since gets a note of its own.
      const std::shared_ptr<Storage> st = e.saved[s].watch.lock();
      const void* key = st ? static_cast<const void*>(st.get()) : &e.saved[s];
      auto [it, fresh] = notes.emplace(key, notes.size());
      if (fresh)
        nodes += fmt::format(
            "  s{} [label=\"saved #{}\\n{} {}\\n{} bytes\", shape=note, fontsize=10, "
            "color=gray40];\n",
            it->second, info.tensor_id, shape_str(info.shape), dtype_name(info.dtype), info.bytes);
      edges += fmt::format(
          "  s{} -> op{} [style=dotted, arrowhead=none, color=gray40, fontsize=9, label=\"{}\"];\n",
          it->second, n.seq,
          info.input < 0 ? std::string("output") : fmt::format("input {}", info.input));
    }
  }
  return fmt::format("digraph tape {{\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n{}{}}}\n",
                     nodes, edges);
}

}  // namespace tg
