#pragma once
/// @file
/// The backward stepper: watches a backward pass one tape entry at a time, for teaching and
/// debugging. For each entry the engine runs it prints (and keeps) the op, where its forward call
/// was made, the gradient that arrived for its output, the gradient it sends to each input, and
/// the gradient of every leaf accumulated so far in this pass (what backward() adds to .grad() at
/// the end of the pass, after the leaves' hooks).
///
/// @code{.cpp}
///   tg::autograd::BackwardStepper step;      // installed on this thread until destroyed
///   step.name(x, "x");                       // optional: names instead of "#id" in the printout
///   Tensor y = ...;                          // forward after the stepper exists: steps also
///   y.backward();                            //   show the source line of each op
/// @endcode
///
/// With `.wait = true` it stops after each step until a line is read from stdin ("c" + Enter runs
/// to the end of the pass). It observes through autograd/observe.hpp, so it costs nothing when
/// not installed; installed, it copies and sums gradients on every step (it is not for training).
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg::autograd {

/// Options of BackwardStepper.
struct StepperOptions {
  std::FILE* out = stdout;  ///< null: print nothing, only keep the steps
  bool wait = false;        ///< pause after each step until a line is read from stdin
  int max_values = 8;       ///< print a tensor's values up to this many elements, else a summary
  int precision = 4;        ///< digits after the decimal point
};

/// One backward step, as the stepper saw it.
struct BackwardStep {
  int pass = 0;               ///< 1 for the first backward pass the stepper saw
  std::size_t index = 0;      ///< tape position of the entry
  std::uint64_t seq = 0;      ///< the entry's sequence number
  std::string op;             ///< the op's name
  std::string location;       ///< "file:line (function)" of the forward call, or "unknown"
  std::string module;         ///< the module it ran in ("" if none)
  Tensor grad_out;            ///< dL/d(output), as the entry received it
  std::vector<Tensor> grads;  ///< what it returned, one per input (undefined: no gradient)
  /// The leaves' gradients accumulated in this pass after this step: (label, gradient) in the
  /// order the leaves were first reached.
  std::vector<std::pair<std::string, Tensor>> leaves;
};

/// Watches backward passes one tape entry at a time, printing and keeping each step (for
/// teaching and debugging; it copies and sums gradients on every step, so not for training).
class BackwardStepper : public Observer {
 public:
  /// Installs the stepper on this thread.
  explicit BackwardStepper(StepperOptions options = {});
  ~BackwardStepper() override;  ///< uninstalls it
  BackwardStepper(const BackwardStepper&) = delete;
  BackwardStepper& operator=(const BackwardStepper&) = delete;

  /// Prints `label` instead of "#id" for this tensor.
  void name(const Tensor& t, std::string label);
  /// Every step seen so far, in the order they ran.
  const std::vector<BackwardStep>& steps() const { return steps_; }
  void clear() { steps_.clear(); }  ///< forgets the steps kept so far

  void pass_begin() override;
  void pass_end() override;
  void backward_end(const TapeEntry& e, std::size_t index, const Tensor& grad_out,
                    const std::vector<Tensor>& grads) override;

 private:
  std::string label(std::uint64_t id) const;
  std::string values(const Tensor& t) const;
  void print(const BackwardStep& s, const TapeEntry& e);

  StepperOptions opt_;
  std::map<std::uint64_t, std::string> names_;
  std::vector<BackwardStep> steps_;
  // This pass: the leaves reached so far (id order of first arrival) and their sums.
  std::vector<std::pair<std::uint64_t, Tensor>> running_;
  int pass_ = 0;
  int depth_ = 0;  // nested passes (checkpointing, create_graph hooks) are not stepped
  int in_pass_step_ = 0;
  bool run_to_end_ = false;
};

}  // namespace tg::autograd
