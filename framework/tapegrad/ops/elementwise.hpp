#pragma once
/// @file
/// Elementwise ops with NumPy broadcasting. All differentiable ones record a backward written
/// with these same ops, so gradients of gradients work (create_graph).
#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// @name Arithmetic
/// Operands must share a dtype; a double operand takes the tensor's dtype. add, sub, mul and neg
/// accept int64; the others need a floating dtype.
/// @{

/// a + b.
Tensor add(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
/// a - b.
Tensor sub(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
/// a * b.
Tensor mul(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
/// a / b.
Tensor div(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
/// a + b.
Tensor add(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a - b.
Tensor sub(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a * b.
Tensor mul(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a / b.
Tensor div(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// -a.
Tensor neg(const Tensor& a, std::source_location loc = std::source_location::current());
/// a to the power exponent (the gradients are 0 where PyTorch's are: e == 0, or a == 0 with
/// e >= 0).
Tensor pow(const Tensor& a, const Tensor& exponent,
           std::source_location loc = std::source_location::current());
/// a to the power exponent.
Tensor pow(const Tensor& a, double exponent,
           std::source_location loc = std::source_location::current());
/// base to the power exponent.
Tensor pow(double base, const Tensor& exponent,
           std::source_location loc = std::source_location::current());
/// a * a.
Tensor square(const Tensor& a, std::source_location loc = std::source_location::current());
/// @}

/// @name Unary math
/// Floating dtypes only.
/// @{

/// e^a.
Tensor exp(const Tensor& a, std::source_location loc = std::source_location::current());
/// Natural logarithm.
Tensor log(const Tensor& a, std::source_location loc = std::source_location::current());
/// log(1 + a), accurate for small a.
Tensor log1p(const Tensor& a, std::source_location loc = std::source_location::current());
/// Square root.
Tensor sqrt(const Tensor& a, std::source_location loc = std::source_location::current());
/// 1 / sqrt(a).
Tensor rsqrt(const Tensor& a, std::source_location loc = std::source_location::current());
/// |a|; d|x|/dx at 0 is 0, as PyTorch.
Tensor abs(const Tensor& a, std::source_location loc = std::source_location::current());
/// Sine.
Tensor sin(const Tensor& a, std::source_location loc = std::source_location::current());
/// Cosine.
Tensor cos(const Tensor& a, std::source_location loc = std::source_location::current());
/// Hyperbolic tangent.
Tensor tanh(const Tensor& a, std::source_location loc = std::source_location::current());
/// 1 / (1 + e^-a).
Tensor sigmoid(const Tensor& a, std::source_location loc = std::source_location::current());
/// max(a, 0); the derivative at 0 is 0, as PyTorch.
Tensor relu(const Tensor& a, std::source_location loc = std::source_location::current());
/// The error function.
Tensor erf(const Tensor& a, std::source_location loc = std::source_location::current());
/// @}

/// @name Clamping and selection
/// At a tie (x == min or x == max) clamp passes the gradient, as PyTorch; maximum/minimum split it
/// equally between the two inputs at a tie, as PyTorch.
/// @{

/// a limited to [min, max]; NaN bounds or min > max are a tg::Error.
Tensor clamp(const Tensor& a, double min, double max,
             std::source_location loc = std::source_location::current());
/// max(a, min).
Tensor clamp_min(const Tensor& a, double min,
                 std::source_location loc = std::source_location::current());
/// min(a, max).
Tensor clamp_max(const Tensor& a, double max,
                 std::source_location loc = std::source_location::current());
/// The elementwise larger of a and b.
Tensor maximum(const Tensor& a, const Tensor& b,
               std::source_location loc = std::source_location::current());
/// The elementwise smaller of a and b.
Tensor minimum(const Tensor& a, const Tensor& b,
               std::source_location loc = std::source_location::current());
/// cond != 0 selects a, else b. cond has the dtype of a and b (a 0/1 mask) or int64.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b,
             std::source_location loc = std::source_location::current());
/// @}

/// @name Not differentiable
/// Results never require grad. Comparisons return a 0/1 mask of the operands' dtype (tapegrad has
/// no bool dtype).
/// @{

/// -1, 0 or 1 by the sign of each element.
Tensor sign(const Tensor& a, std::source_location loc = std::source_location::current());
/// a == b.
Tensor eq(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
/// a != b.
Tensor ne(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
/// a < b.
Tensor lt(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
/// a <= b.
Tensor le(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
/// a > b.
Tensor gt(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
/// a >= b.
Tensor ge(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
/// a == b. An int64 a is compared in float64 with a b that no int64 equals (0.5), as PyTorch.
Tensor eq(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a != b.
Tensor ne(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a < b.
Tensor lt(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a <= b.
Tensor le(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a > b.
Tensor gt(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// a >= b.
Tensor ge(const Tensor& a, double b, std::source_location loc = std::source_location::current());
/// @}

/// C++ operators. An operator cannot take a defaulted std::source_location, so one operand is a
/// LocatedTensor: its converting constructor's default argument is evaluated where the operator
/// is used, which is the location anomaly mode and the profiler report.
struct LocatedTensor {
  /// Wraps tensor, taking the location where the conversion happens.
  LocatedTensor(const Tensor& tensor,  // NOLINT: implicit on purpose
                std::source_location where = std::source_location::current())
      : t(tensor), loc(where) {}
  const Tensor& t;           ///< the operand
  std::source_location loc;  ///< where the operator was used
};
/// @name C++ operators
/// @{

/// add(a, b).
inline Tensor operator+(LocatedTensor a, const Tensor& b) { return add(a.t, b, a.loc); }
/// sub(a, b).
inline Tensor operator-(LocatedTensor a, const Tensor& b) { return sub(a.t, b, a.loc); }
/// mul(a, b).
inline Tensor operator*(LocatedTensor a, const Tensor& b) { return mul(a.t, b, a.loc); }
/// div(a, b).
inline Tensor operator/(LocatedTensor a, const Tensor& b) { return div(a.t, b, a.loc); }
/// neg(a).
inline Tensor operator-(LocatedTensor a) { return neg(a.t, a.loc); }
/// add(a, b).
inline Tensor operator+(LocatedTensor a, double b) { return add(a.t, b, a.loc); }
/// sub(a, b).
inline Tensor operator-(LocatedTensor a, double b) { return sub(a.t, b, a.loc); }
/// mul(a, b).
inline Tensor operator*(LocatedTensor a, double b) { return mul(a.t, b, a.loc); }
/// div(a, b).
inline Tensor operator/(LocatedTensor a, double b) { return div(a.t, b, a.loc); }
/// a + b.
inline Tensor operator+(double a, LocatedTensor b) { return add(b.t, a, b.loc); }
/// a - b.
inline Tensor operator-(double a, LocatedTensor b) { return add(neg(b.t, b.loc), a, b.loc); }
/// a * b.
inline Tensor operator*(double a, LocatedTensor b) { return mul(b.t, a, b.loc); }
/// a / b.
Tensor operator/(double a, LocatedTensor b);
/// @}

}  // namespace tg
