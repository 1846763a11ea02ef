#pragma once
/// @file
/// Observers: anomaly mode (autograd/anomaly.hpp), the profiler (autograd/profiler.hpp) and the
/// tape stepper watch the same few events, on this thread only:
///
/// @code{.cpp}
///   forward   an op begins and ends (OpScope, opened by every public op with the caller's
///             source location); a module called through operator() begins and ends; an op
///             records a tape entry;
///   backward  a backward pass begins and ends; one tape entry's backward function begins and
///             ends (with the gradient it received and the gradients it returned);
///   tape      an entry is released (consumed by backward, pruned or cleared).
/// @endcode
///
/// With no observer installed every one of these costs one test of a thread-local counter.
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

namespace tg {

class Tensor;
struct TapeEntry;
namespace nn {
class Module;
}

namespace autograd {

/// A module as the observers see it: its dotted path from the outermost module in progress
/// ("" for that one), its type name, and the module that called it. Interned: one object per
/// distinct (parent, path, type), alive until the program ends, so tape entries and profiles can
/// point at it.
struct ModuleInfo {
  std::string path;                    ///< dotted path ("features.3"; "" for the outermost module)
  std::string type;                    ///< type name ("Conv2d")
  const ModuleInfo* parent = nullptr;  ///< the module that called it; null for the outermost
  /// "features.3 (Conv2d)", or "(LeNet5)" for the outermost module.
  const std::string& label() const { return label_; }
  std::string label_;  ///< what label() returns
};

/// Receives the autograd events of this thread once installed with add_observer(). Every method
/// does nothing by default; override the ones needed.
class Observer {
 public:
  virtual ~Observer() = default;
  /// A public op (or a profiler::Range) begins and ends. Ops nest (linear calls matmul); an op
  /// that calls itself under the same name (add(x, 1.0) -> add(x, scalar)) is reported once.
  virtual void op_begin(const char* /*name*/) {}
  virtual void op_end(const char* /*name*/) {}  ///< the op named `name` ends
  /// A module's forward begins and ends.
  virtual void module_begin(const ModuleInfo& /*m*/) {}
  virtual void module_end(const ModuleInfo& /*m*/) {}  ///< module `m`'s forward ends
  /// Entry `e` has just been appended at tape position `index`; `out` is its output.
  virtual void recorded(const TapeEntry& /*e*/, std::size_t /*index*/, const Tensor& /*out*/) {}
  /// A backward pass (backward() or grad()) begins and ends (when it fails too).
  virtual void pass_begin() {}
  virtual void pass_end() {}  ///< the backward pass ends (normally or with an error)
  /// Entry `e` at tape position `index` runs its backward function: `grad_out` is the gradient
  /// of its output (after the output's hooks), `grads` what it returned, one per input.
  virtual void backward_begin(const TapeEntry& /*e*/, std::size_t /*index*/,
                              const Tensor& /*grad_out*/) {}
  /// Entry `e`'s backward function has returned `grads`.
  virtual void backward_end(const TapeEntry& /*e*/, std::size_t /*index*/,
                            const Tensor& /*grad_out*/, const std::vector<Tensor>& /*grads*/) {}
  /// Entry `e` leaves the tape; what it saved is released.
  virtual void released(const TapeEntry& /*e*/) {}
};

/// Installs an observer on this thread (remove_observer removes it). Observers are called in
/// installation order.
/// The observer must outlive its installation; remove it before destroying it.
void add_observer(Observer* o);
/// Removes an observer installed with add_observer().
void remove_observer(Observer* o);
/// The observers installed on this thread, in installation order.
const std::vector<Observer*>& observers();

namespace detail {
inline thread_local int t_observers = 0;
}
/// True when an observer is installed on this thread.
inline bool observing() { return detail::t_observers != 0; }

/// Where the forward call that is running was made: the source location given to the outermost
/// op or module call in progress on this thread (a line of the user's code), or, during a
/// backward pass, the location of the entry whose backward is running. Empty (line 0) when
/// nothing is observed.
std::source_location current_location();
/// The innermost module in progress on this thread, or null.
const ModuleInfo* current_module();

/// Opened at the top of every public op. Inactive (one branch) when nothing observes.
class OpScope {
 public:
  /// Reports op `name`, called from `loc`, as begun (when something observes).
  OpScope(const char* name, const std::source_location& loc) {
    if (detail::t_observers != 0) [[unlikely]]
      begin(name, loc);
  }
  /// Reports the op as ended.
  ~OpScope() {
    if (active_) end();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  void begin(const char* name, const std::source_location& loc);
  void end();
  const char* name_ = nullptr;
  bool active_ = false;
  bool sets_location_ = false;
};

/// Opened by nn::Module::operator().
class ModuleScope {
 public:
  /// Reports module m, called from `loc`, as begun (when something observes).
  ModuleScope(const nn::Module& m, const std::source_location& loc) {
    if (detail::t_observers != 0) [[unlikely]]
      begin(m, loc);
  }
  /// Reports the module as ended.
  ~ModuleScope() {
    if (m_) end();
  }
  ModuleScope(const ModuleScope&) = delete;
  ModuleScope& operator=(const ModuleScope&) = delete;

 private:
  void begin(const nn::Module& m, const std::source_location& loc);
  void end();
  const ModuleInfo* m_ = nullptr;
  const ModuleInfo* prev_ = nullptr;
  bool sets_location_ = false;
};

namespace detail {
inline thread_local double t_flops = 0;
}
/// Ops with a defined FLOP count (matmul, conv2d and its gradients) add it to this thread's
/// running total while something observes; the profiler charges the difference to the op in
/// progress.
inline void note_flops(double flops) {
  if (detail::t_observers != 0) [[unlikely]]
    detail::t_flops += flops;
}

/// @cond internal
// Used by the engine: the location and module of the entry whose backward runs.
class BackwardEntryScope {
 public:
  explicit BackwardEntryScope(const TapeEntry& e);
  ~BackwardEntryScope();
  BackwardEntryScope(const BackwardEntryScope&) = delete;
  BackwardEntryScope& operator=(const BackwardEntryScope&) = delete;

 private:
  std::source_location prev_loc_;
  const ModuleInfo* prev_module_;
};
/// @endcond

/// "file:line (function)", or "unknown" for an empty location.
std::string location_str(const std::source_location& loc);

}  // namespace autograd
}  // namespace tg
