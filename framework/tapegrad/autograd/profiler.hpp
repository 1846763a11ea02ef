#pragma once
/// @file
/// The profiler: what every op, backward step and module cost, as a table and as a Chrome trace.
///
/// @code{.cpp}
///   {
///     tg::profiler::Profile prof;
///     Tensor loss = criterion(model(x), y);
///     loss.backward();
///     prof.stop();
///     fmt::print("{}", prof.table());              // per op, forward and backward apart
///     fmt::print("{}", prof.module_table());       // per module
///     prof.export_chrome_trace("trace.json");      // open in Perfetto or chrome://tracing
///   }
/// @endcode
///
/// What it records, on the thread that created it:
///   - a slice per public op call (nested: linear contains matmul), on the "forward" track;
///   - a slice per tape entry whose backward runs ("backward" track), containing the ops its
///     backward function calls; a flow arrow links it to the forward op that recorded the entry;
///   - a slice per module call (forward track), and profiler::Range slices of your own;
///   - per slice: total and self time (total minus the slices inside it), FLOPs where an op
///     defines them (matmul, linear, conv2d and its gradients: 2 x multiply-adds), and bytes
///     allocated (tensor storage requested while the slice ran, its children excluded);
///   - counters, after every slice: live bytes (the allocator's in-use bytes, all threads) and
///     saved bytes (storage the tape holds for backward).
/// Timestamps come from std::chrono::steady_clock. The cost per slice is two clock reads and a
/// few stores (tests/bench/bench_observers measures it on a LeNet-5 step).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tg::autograd {
struct ModuleInfo;
}

/// The autograd profiler: per-op forward and backward times and FLOPs, Chrome traces.
namespace tg::profiler {

/// What a profiled slice is.
enum class Kind : std::uint8_t {
  Op,          ///< a public op called in forward (or outside any backward pass)
  Backward,    ///< one tape entry's backward function
  BackwardOp,  ///< an op called by a backward function
  Module,      ///< a module's forward
  Range,       ///< a profiler::Range
};
const char* kind_name(Kind k);  ///< "forward", "backward", "backward op", "module", "range"

/// One slice of the profile.
struct Event {
  std::string_view name;    ///< the op or tape entry name, the module label, the range name
  Kind kind = Kind::Op;     ///< what the slice is
  int depth = 0;            ///< nesting depth on its track (0: outermost)
  double start_us = 0;      ///< since the profile started
  double dur_us = 0;        ///< total
  double self_us = 0;       ///< total minus the slices nested in it
  double flops = 0;         ///< self
  std::uint64_t bytes = 0;  ///< allocated, self
  std::uint64_t seq = 0;    ///< Op: the tape entry it recorded (0: none); Backward: the entry
  const autograd::ModuleInfo* module = nullptr;  ///< innermost module (the forward's, in backward)
};

/// The memory counters, sampled after every slice.
struct Counter {
  double ts_us = 0;               ///< since the profile started
  std::uint64_t live_bytes = 0;   ///< the allocator's in-use bytes (all threads)
  std::uint64_t saved_bytes = 0;  ///< storage the tape holds for backward
};

/// The totals of one (name, kind) over the profile (key_averages()).
struct OpStats {
  std::string name;         ///< the op, entry, module or range name
  Kind kind = Kind::Op;     ///< its kind
  std::int64_t calls = 0;   ///< number of slices
  double total_us = 0;      ///< summed total time
  double self_us = 0;       ///< summed self time
  double flops = 0;         ///< summed FLOPs
  std::uint64_t bytes = 0;  ///< summed allocated bytes
};

/// The totals of one module path over the profile (module_averages()).
struct ModuleStats {
  std::string path;        ///< "" for the outermost module
  std::string type;        ///< the module's type name
  std::int64_t calls = 0;  ///< number of forward calls
  double forward_us = 0;   ///< total of its forward calls (children included)
  double backward_us = 0;  ///< backward steps of the entries recorded inside it (children included)
  std::uint64_t saved_bytes = 0;  ///< not tracked per module: 0 (see autograd/inspect.hpp)
};

/// Options of Profile.
struct ProfileOptions {
  /// Record the live and saved bytes counters.
  bool memory = true;
  /// Slices beyond this many are counted in dropped_events() but not kept (about 100 bytes each).
  std::size_t max_events = 4'000'000;
};

/// Records every op, backward step and module call on this thread from construction to stop().
class Profile {
 public:
  /// Starts recording; a tg::Error if a profile is already running on this thread.
  explicit Profile(ProfileOptions opts = {});
  ~Profile();  ///< stops recording
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  /// Stops recording (the destructor does too); the results stay.
  void stop();
  bool running() const;  ///< true until stop()

  const std::vector<Event>& events() const;      ///< every slice kept, in the order they ended
  const std::vector<Counter>& counters() const;  ///< the memory counters, in time order
  std::size_t dropped_events() const;            ///< slices beyond ProfileOptions::max_events
  double wall_us() const;                        ///< from start to stop (or to now)

  /// Per (name, kind), sorted by self time, largest first. Modules are not ops: see
  /// module_averages().
  std::vector<OpStats> key_averages() const;
  /// PyTorch's key_averages().table(): name, pass, calls, self and total time, share of the
  /// profile's self time, average, FLOPs and GFLOP/s, allocated bytes.
  std::string table(std::size_t row_limit = 30) const;
  /// Per module path, in the order first called.
  std::vector<ModuleStats> module_averages() const;
  /// module_averages() as a text table: module, type, calls, forward and backward time.
  std::string module_table(std::size_t row_limit = 40) const;

  /// The Chrome trace event format ({"traceEvents": [...]}): "X" slices with ts/dur in
  /// microseconds, forward and backward on their own threads (tid 1 and 2), "C" counters, and an
  /// "s"/"f" flow from each forward op slice to the backward slice of the entry it recorded.
  std::string chrome_trace_json() const;
  /// Writes chrome_trace_json() atomically.
  void export_chrome_trace(const std::string& path) const;

  /// @cond internal
  struct Impl;
  /// @endcond

 private:
  std::unique_ptr<Impl> impl_;
};

/// A slice of your own on the forward track, shown in the table with kind "range" (an epoch, a
/// training step, data loading). Does nothing when no profile is running on this thread.
class Range {
 public:
  explicit Range(std::string name);  ///< opens the slice
  ~Range();                          ///< closes it
  Range(const Range&) = delete;
  Range& operator=(const Range&) = delete;

 private:
  Profile::Impl* p_ = nullptr;
};

}  // namespace tg::profiler
