#pragma once
// Elementwise ops with NumPy broadcasting. All differentiable ones record a backward written
// with these same ops, so gradients of gradients work (create_graph).
#include <source_location>

#include "tapegrad/core/tensor.hpp"

namespace tg {

// Arithmetic. Operands must share a dtype; a double operand takes the tensor's dtype.
Tensor add(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
Tensor sub(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
Tensor mul(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
Tensor div(const Tensor& a, const Tensor& b,
           std::source_location loc = std::source_location::current());
Tensor add(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor sub(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor mul(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor div(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor neg(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor pow(const Tensor& a, const Tensor& exponent,
           std::source_location loc = std::source_location::current());
Tensor pow(const Tensor& a, double exponent,
           std::source_location loc = std::source_location::current());
Tensor pow(double base, const Tensor& exponent,
           std::source_location loc = std::source_location::current());
Tensor square(const Tensor& a, std::source_location loc = std::source_location::current());

// Unary math.
Tensor exp(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor log(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor log1p(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor sqrt(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor rsqrt(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor abs(const Tensor& a, std::source_location loc =
                                std::source_location::current());  // d|x|/dx at 0 is 0, as PyTorch
Tensor sin(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor cos(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor tanh(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor sigmoid(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor relu(const Tensor& a,
            std::source_location loc =
                std::source_location::current());  // derivative at 0 is 0, as PyTorch
Tensor erf(const Tensor& a, std::source_location loc = std::source_location::current());

// Clamping and selection. At a tie (x == min or x == max) clamp passes the gradient, as
// PyTorch; maximum/minimum split it equally between the two inputs at a tie, as PyTorch.
Tensor clamp(const Tensor& a, double min, double max,
             std::source_location loc = std::source_location::current());
Tensor clamp_min(const Tensor& a, double min,
                 std::source_location loc = std::source_location::current());
Tensor clamp_max(const Tensor& a, double max,
                 std::source_location loc = std::source_location::current());
Tensor maximum(const Tensor& a, const Tensor& b,
               std::source_location loc = std::source_location::current());
Tensor minimum(const Tensor& a, const Tensor& b,
               std::source_location loc = std::source_location::current());
// cond != 0 selects a, else b. cond has the dtype of a and b (a 0/1 mask) or int64.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b,
             std::source_location loc = std::source_location::current());

// Not differentiable: results never require grad. Comparisons return a 0/1 mask of the
// operands' dtype (tapegrad has no bool dtype).
Tensor sign(const Tensor& a, std::source_location loc = std::source_location::current());
Tensor eq(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
Tensor ne(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
Tensor lt(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
Tensor le(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
Tensor gt(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
Tensor ge(const Tensor& a, const Tensor& b,
          std::source_location loc = std::source_location::current());
Tensor eq(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor ne(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor lt(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor le(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor gt(const Tensor& a, double b, std::source_location loc = std::source_location::current());
Tensor ge(const Tensor& a, double b, std::source_location loc = std::source_location::current());

// C++ operators. An operator cannot take a defaulted std::source_location, so one operand is a
// LocatedTensor: its converting constructor's default argument is evaluated where the operator
// is used, which is the location anomaly mode and the profiler report.
struct LocatedTensor {
  LocatedTensor(const Tensor& tensor,  // NOLINT: implicit on purpose
                std::source_location where = std::source_location::current())
      : t(tensor), loc(where) {}
  const Tensor& t;
  std::source_location loc;
};
inline Tensor operator+(LocatedTensor a, const Tensor& b) { return add(a.t, b, a.loc); }
inline Tensor operator-(LocatedTensor a, const Tensor& b) { return sub(a.t, b, a.loc); }
inline Tensor operator*(LocatedTensor a, const Tensor& b) { return mul(a.t, b, a.loc); }
inline Tensor operator/(LocatedTensor a, const Tensor& b) { return div(a.t, b, a.loc); }
inline Tensor operator-(LocatedTensor a) { return neg(a.t, a.loc); }
inline Tensor operator+(LocatedTensor a, double b) { return add(a.t, b, a.loc); }
inline Tensor operator-(LocatedTensor a, double b) { return sub(a.t, b, a.loc); }
inline Tensor operator*(LocatedTensor a, double b) { return mul(a.t, b, a.loc); }
inline Tensor operator/(LocatedTensor a, double b) { return div(a.t, b, a.loc); }
inline Tensor operator+(double a, LocatedTensor b) { return add(b.t, a, b.loc); }
inline Tensor operator-(double a, LocatedTensor b) { return add(neg(b.t, b.loc), a, b.loc); }
inline Tensor operator*(double a, LocatedTensor b) { return mul(b.t, a, b.loc); }
Tensor operator/(double a, LocatedTensor b);

}  // namespace tg
