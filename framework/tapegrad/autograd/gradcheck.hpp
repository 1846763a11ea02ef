#pragma once
/// @file
/// Finite-difference check of the gradients autograd computes.
#include <functional>
#include <string>

#include "tapegrad/autograd/tape.hpp"

namespace tg {

/// Options of gradcheck().
struct GradcheckOptions {
  double eps = 1e-6;   ///< the finite-difference step
  double atol = 1e-5;  ///< absolute tolerance
  double rtol = 1e-3;  ///< relative tolerance (of the numeric value)
  /// Throw tg::Error on failure instead of returning a failed result.
  bool throw_on_failure = false;
  /// Also check second derivatives (gradgradcheck): differentiate <grad, v> again.
  bool check_second_order = false;
};

/// The outcome of gradcheck(); true when the gradients match.
struct GradcheckResult {
  bool ok = true;       ///< the gradients match
  std::string message;  ///< what failed: input, element index, analytic and numeric values
  explicit operator bool() const { return ok; }  ///< ok
};

/// fn maps the inputs to one output tensor. Every input that requires grad must be float64; it is
/// perturbed in place by +/- eps (central differences) and restored. The full Jacobian is
/// compared (one backward per output element) when the output has at most 256 elements;
/// otherwise three random projections of the output are compared.
GradcheckResult gradcheck(const std::function<Tensor(const TensorList&)>& fn,
                          const TensorList& inputs, const GradcheckOptions& opts = {});

}  // namespace tg
