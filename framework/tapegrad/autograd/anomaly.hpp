#pragma once
/// @file
/// Anomaly mode: the first NaN or Inf that an op produces, in forward or in backward, stops the
/// program with a tg::Error that names the op, its tape index, the shapes and dtypes of its
/// inputs and output, how many values are bad, the module it ran in and the line of the user's
/// code that called it.
///
/// @code{.cpp}
///   {
///     tg::DetectAnomalyGuard anomaly;
///     Tensor loss = model(x) ...;   // a NaN made here is reported by the op that made it
///     loss.backward();              // and one made only in backward, by that entry's backward
///   }
/// @endcode
///
/// What is checked: the output of every op that records a tape entry (forward; ops that record
/// nothing, under NoGradGuard or on tensors that need no gradient, are not checked), and every
/// gradient a tape entry's backward function returns (backward). A NaN already present in an op's
/// input (data, a parameter) is reported as coming from outside the tape.
///
/// Off by default. When off it costs one test of a thread-local counter per op and per backward
/// step (tests/bench/bench_observers measures it); when on, one pass over every op output and every
/// gradient. It applies to the thread that created the guard.
#include <cstdint>
#include <memory>

namespace tg {

class Tensor;

namespace autograd {
class Observer;
}

/// Anomaly mode for the life of the guard, on this thread: the first NaN or Inf that an op produces
/// (forward or backward) is a tg::Error naming the op, its tape index, shapes, module and the line
/// of code that called it.
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();   ///< turns anomaly mode on
  ~DetectAnomalyGuard();  ///< turns it off (unless an enclosing guard is still alive)
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  std::unique_ptr<autograd::Observer> observer_;
};

/// True while a DetectAnomalyGuard is alive on this thread.
bool is_anomaly_enabled();

namespace autograd {

/// Counts of non-finite values (count_non_finite).
struct NonFinite {
  std::int64_t nan = 0;                             ///< NaN values
  std::int64_t inf = 0;                             ///< +Inf and -Inf values
  std::int64_t total() const { return nan + inf; }  ///< nan + inf
};
/// The NaN and +-Inf values of a float32 or float64 tensor (zero for other dtypes).
NonFinite count_non_finite(const Tensor& t);

}  // namespace autograd
}  // namespace tg
