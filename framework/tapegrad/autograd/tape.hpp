#pragma once
/// @file
/// The tape: a thread-local Wengert list. Each differentiable op that runs with grad mode on and an
/// input that requires grad appends one entry. The order of the entries is a topological order,
/// so backward is a reverse loop over the list (autograd/engine.cpp): no graph search, no
/// recursion.
///
/// Ownership: an entry holds an edge per input: the input's GradSlot (autograd/grad_slot.hpp,
/// where its gradient is summed) and, when needed, the input tensor itself (see Edge). It holds
/// whatever its backward closure captured, and its output's slot only weakly. When a user drops
/// the last handle to the end of a graph (a loss never backpropagated, say), its entries can never
/// receive a gradient; prune() removes them, walking backwards so that a whole dead chain goes in
/// one pass. The tape prunes itself whenever it has doubled in size since the last prune.
#include <cstdint>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "tapegrad/autograd/backward_fn.hpp"
#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/autograd/grad_slot.hpp"
#include "tapegrad/autograd/saved.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg {

namespace autograd {
struct ModuleInfo;  // autograd/observe.hpp
}

/// What an op's backward reads, for autograd::record.
struct RecordOptions {
  /// Bit i set: the backward reads input i, so an in-place change of it must be refused.
  std::uint64_t saved_inputs = 0;
  /// The backward reads the output.
  bool saves_output = false;
  /// The backward is a fused kernel rather than tapegrad ops: create_graph through it is refused.
  bool fused = false;
};

/// One input of a tape entry.
struct Edge {
  /// Where the input's gradient goes: set for an input that requires grad.
  std::shared_ptr<autograd::GradSlot> slot;
  /// The input itself, held when it is a leaf (its grad() receives the gradient), needs no
  /// gradient, or is an output whose producer's backward reads it. An intermediate that only
  /// passes a gradient on is not held: the forward pass frees it when nothing else uses it.
  Tensor held;

  /// True unless the edge is empty.
  bool defined() const { return slot != nullptr || held.defined(); }
  /// The input while it exists (held, or still referenced elsewhere); undefined once freed.
  Tensor tensor() const {
    return held.defined() ? held : slot ? Tensor(slot->tensor.lock()) : Tensor();
  }
  /// The input's id (known even once it is freed).
  std::uint64_t id() const { return held.defined() ? held.impl()->id : slot->id; }
  /// The input's shape.
  const Shape& shape() const { return held.defined() ? held.impl()->shape : slot->shape; }
  /// The input's dtype.
  DType dtype() const { return held.defined() ? held.impl()->dtype : slot->dtype; }
  /// The seq of the entry that produced the input; 0 for a leaf.
  std::uint64_t creator_seq() const { return slot ? slot->creator_seq : held.impl()->creator_seq; }
};

/// One recorded op: its inputs, a weak reference to its output, what it saved and its backward.
struct TapeEntry {
  std::uint64_t seq = 0;                     ///< sequence number on this thread's tape (from 1)
  const char* name = "";                     ///< the op's name ("matmul", "relu", ...)
  std::vector<Edge> inputs;                  ///< one per input
  std::vector<char> needs_grad;              ///< per input: requires grad
  std::weak_ptr<autograd::GradSlot> output;  ///< the output's gradient slot (not owned)
  std::uint64_t output_id = 0;               ///< the output's id
  Shape output_shape;                        ///< the output's shape
  DType output_dtype = DType::Float32;       ///< the output's dtype
  /// A storage the op saved for its backward.
  struct Saved {
    /// The storage, held while the backward reads the saved tensor itself; null when saved-tensor
    /// hooks packed it (what the pack hook returned holds what the backward needs).
    std::shared_ptr<Storage> storage;
    /// The storage, held or not, for the in-place checks.
    std::weak_ptr<Storage> watch;
    std::uint64_t version;  ///< the storage's version when saved (checked by backward)
    int input;              ///< -1: the output
  };
  std::vector<Saved> saved;  ///< what the op saved, one entry per storage
  /// The output as the backward reads it, when saved under saved-tensor hooks (autograd/saved.hpp);
  /// undefined otherwise (the backward reads the output itself).
  autograd::SavedTensor saved_output;
  bool fused = false;   ///< RecordOptions::fused: create_graph through this entry is refused
  BackwardFn backward;  ///< the op's backward
  /// Filled only while an observer (anomaly mode, the profiler) is installed: where the forward
  /// call that recorded this entry was made, and the module it ran in.
  std::source_location loc{};
  const autograd::ModuleInfo* module = nullptr;  ///< the module (null outside any, or unobserved)
};

/// The tape: a thread-local Wengert list of TapeEntry in recording (topological) order. Backward
/// is a reverse loop over it. The tape prunes itself whenever it has doubled in size since the
/// last prune.
class Tape {
 public:
  Tape() = default;
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  std::size_t size() const { return entries_.size(); }  ///< the number of entries
  bool empty() const { return entries_.empty(); }       ///< true when there are no entries
  /// Entry i (0 is the oldest).
  const TapeEntry& operator[](std::size_t i) const { return entries_[i]; }
  /// All entries, oldest first.
  const std::vector<TapeEntry>& entries() const { return entries_; }

  /// Drops every entry (the graph is forgotten; backward through it then fails clearly).
  void clear();
  /// Removes entries whose output no longer exists; returns how many were removed. Does nothing
  /// while a backward pass is running (the engine walks the entries by index).
  std::size_t prune();
  /// One line per entry: index, op, input ids and shapes, output id and shape.
  std::string to_string() const;
  /// Bytes of the distinct storages that entries on this tape hold for their backward.
  std::size_t saved_bytes() const { return saved_bytes_; }

  /// @cond internal
  // --- used by ops (via record) and by the engine
  std::vector<TapeEntry>& mutable_entries() { return entries_; }
  void push(TapeEntry&& e);
  /// Adds a saved tensor's storage to e; held (and counted in saved_bytes() once per distinct
  /// storage) unless it was packed by saved-tensor hooks.
  void save(TapeEntry& e, const std::shared_ptr<Storage>& st, int input, bool held);
  /// Removes the entries whose flag is set, releasing what they saved.
  void erase_marked(const std::vector<char>& marked);
  std::uint64_t next_seq() { return ++seq_; }
  /// Set by the engine for the duration of a backward pass.
  class BackwardScope {
   public:
    explicit BackwardScope(Tape& t) : t_(t) { ++t_.in_backward_; }
    ~BackwardScope() { --t_.in_backward_; }
    BackwardScope(const BackwardScope&) = delete;
    BackwardScope& operator=(const BackwardScope&) = delete;

   private:
    Tape& t_;
  };
  /// @endcond

 private:
  void release(TapeEntry& e);
  std::vector<TapeEntry> entries_;
  std::size_t saved_bytes_ = 0;
  bool dying_ = false;  // thread exit: the observers may be gone already
  std::uint64_t seq_ = 0;
  std::size_t prune_at_ = 4096;
  int in_backward_ = 0;
};

/// This thread's tape.
Tape& tape();

/// Tape-based reverse-mode autodiff: recording, backward, hooks, inspection and observers.
namespace autograd {

/// True when an op with these inputs must record: grad mode is on and one of them requires grad.
bool should_record(const Tensor* inputs, std::size_t n);

/// Appends the entry for `out` (what record() does once it knows it must record).
void record_entry(const char* name, TensorList inputs, const Tensor& out, const RecordOptions& opts,
                  BackwardFn fn);

/// Records `out` as produced by op `name` from `inputs`, with backward `fn`, if recording is on;
/// sets out.requires_grad accordingly. Cheap when not recording: the closure is not wrapped.
///
/// The backward of one op (BackwardFn, autograd/backward_fn.hpp), fn(grad_out, out), receives the
/// gradient of the output and the output itself (so formulas such
/// as tanh' = 1 - y^2 can use y without the entry owning its output) and returns one gradient per
/// input: undefined where that input needs none. A gradient may have the broadcast (output) shape;
/// the engine sums it down to the input's shape.
template <class F>
void record(const char* name, std::initializer_list<Tensor> inputs, const Tensor& out,
            const RecordOptions& opts, F&& fn) {
  if (!should_record(inputs.begin(), inputs.size())) return;
  record_entry(name, TensorList(inputs), out, opts, BackwardFn(std::forward<F>(fn)));
}
/// record() for a list of inputs.
template <class F>
void record(const char* name, const TensorList& inputs, const Tensor& out,
            const RecordOptions& opts, F&& fn) {
  if (!should_record(inputs.data(), inputs.size())) return;
  record_entry(name, inputs, out, opts, BackwardFn(std::forward<F>(fn)));
}

/// Bitmask helper: saved(0, 1) == 0b11.
template <class... I>
constexpr std::uint64_t saved(I... i) {
  return ((std::uint64_t{1} << i) | ... | 0);
}

}  // namespace autograd
}  // namespace tg
