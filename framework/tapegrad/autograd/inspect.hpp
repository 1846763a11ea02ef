#pragma once
/// @file
/// Reading the tape as data: what each entry saved for its backward (and how many bytes that
/// keeps alive), and the graph behind a tensor, walked entry by entry.
///
/// @code{.cpp}
///   Tensor loss = ...;
///   fmt::print("{}", saved_tensors_table());          // every saved tensor, with a total
///   for (const NodeRef& n : graph_of(loss))           // inputs before the ops that use them
///     fmt::print("[{}] {} -> {}\n", n.index, n.op, shape_str(n.output_shape));
/// @endcode
///
/// Everything here reads this thread's tape (tg::tape()) and copies what it reports, so the
/// results stay valid after the tape changes; only NodeRef::index is a position that backward()
/// or a prune may move. Nothing here recurses: graphs of any depth are walked with loops.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// One tensor a tape entry saved for its backward.
struct SavedTensorInfo {
  std::size_t entry = 0;  ///< index of the entry on the tape
  std::uint64_t seq = 0;  ///< the entry's sequence number (TensorImpl::creator_seq of its output)
  const char* op = "";    ///< the entry's op name
  int input = -1;         ///< which input was saved; -1: the output
  std::uint64_t tensor_id = 0;   ///< \#id of that input or output, as the tape printer shows it
  Shape shape;                   ///< the saved tensor's shape
  DType dtype = DType::Float32;  ///< the saved tensor's dtype
  /// Bytes of the storage this saved tensor keeps alive: a view keeps its whole storage, so this
  /// can exceed numel * dtype_size.
  std::size_t bytes = 0;
  /// The storage is also saved by another live tape entry (of this thread or another): freeing
  /// this entry alone would not free it.
  bool shared = false;
  /// The storage was changed in place after it was saved: backward through this entry will fail.
  bool modified = false;
  /// Saved-tensor hooks packed it (autograd/saved.hpp): the tape does not hold the storage (bytes
  /// is 0); what the pack hook returned holds what the backward needs.
  bool packed = false;
};

/// Every tensor saved by the entries on this thread's tape, in tape order (within an entry: the
/// saved inputs in input order, then the output).
std::vector<SavedTensorInfo> saved_tensors();

/// Bytes kept alive by what this thread's tape saved, each storage counted once: a storage saved
/// by three entries (or twice by one, as in mul(h, h)) counts once. This is what backward() frees
/// when it consumes the tape, unless something else still holds those storages.
std::size_t saved_bytes();

/// saved_tensors() as an aligned text table, one row per saved tensor, and a total line with the
/// sum over rows and the distinct bytes (saved_bytes()).
std::string saved_tensors_table();

/// One input of a tape entry.
struct InputRef {
  std::uint64_t id = 0;           ///< \#id, as the tape printer shows it
  Shape shape;                    ///< the input's shape
  DType dtype = DType::Float32;   ///< the input's dtype
  std::uint64_t creator_seq = 0;  ///< the entry that produced it; 0 for a leaf
  bool requires_grad = false;     ///< the input requires grad
  /// The tensor, while it exists. The tape holds leaves, tensors that need no gradient, and
  /// outputs whose producer's backward reads them; an intermediate that only passes a gradient on
  /// is freed by the forward pass when nothing else holds it, and is undefined here then.
  Tensor tensor;
};

/// One tape entry, as seen from the tensor it produced: a copy, valid after the tape changes.
struct NodeRef {
  std::size_t index = 0;  ///< position on the tape when this was made (backward and prune move it)
  std::uint64_t seq = 0;  ///< stable identity: the creator_seq of the output
  const char* op = "";    ///< the op's name
  std::vector<InputRef> inputs;         ///< undefined inputs have id 0
  std::vector<bool> needs_grad;         ///< per input: a gradient flows to it
  std::vector<SavedTensorInfo> saved;   ///< what the entry saved for its backward
  std::uint64_t output_id = 0;          ///< the output's id
  Shape output_shape;                   ///< the output's shape
  DType output_dtype = DType::Float32;  ///< the output's dtype
  /// The output itself; undefined once it is freed (as an InputRef's tensor: when only the graph
  /// refers to it, or the entry is dead and the next prune removes it). Holding a NodeRef keeps
  /// the output alive.
  Tensor output;
  bool fused = false;  ///< the backward is a fused kernel: no double backward through it
};

/// The entry that produced t. Empty for a leaf, and for a tensor whose entry is gone (a backward
/// without retain_graph consumed it, or the tape was cleared, or t was made on another thread):
/// t.is_leaf() tells the two apart. Binary search on the tape: O(log n).
std::optional<NodeRef> creator(const Tensor& t);

/// The creators of n's inputs, one per input, in input order (empty for an input that is a leaf
/// or whose entry is gone).
std::vector<std::optional<NodeRef>> next(const NodeRef& n);

/// Every entry that root depends on, root's creator included, in tape order: a topological order
/// (an entry comes after the entries that produced its inputs). Empty when root has no creator.
/// Costs O(k log n) for k entries found on a tape of n.
std::vector<NodeRef> graph_of(const Tensor& root);

/// Calls fn on root's creator, then on every entry root depends on, each once, in reverse tape
/// order: an entry is visited before the entries that produced its inputs (the order backward
/// runs them). Builds one NodeRef at a time.
void for_each_ancestor(const Tensor& root, const std::function<void(const NodeRef&)>& fn);

}  // namespace tg
