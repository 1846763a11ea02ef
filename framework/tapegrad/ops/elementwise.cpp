// Each op: the forward as a lambda over one element, then the backward, written with tapegrad
// ops so that it can itself be recorded (create_graph).
#include "tapegrad/ops/elementwise.hpp"

#include "tapegrad/autograd/observe.hpp"

#include <cmath>
#include <numbers>

#include "tapegrad/ops/detail.hpp"

namespace tg {

using autograd::SavedTensor;

using autograd::record;
using autograd::saved;
using detail::map_binary;
using detail::map_unary;
using detail::scalar_like;

// ---------------------------------------------------------------- arithmetic

Tensor add(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("add", loc);
  Tensor out = map_binary(
      a, b, "add", [](auto x, auto y) { return x + y; }, true);
  record("add", {a, b}, out, {}, [](const Tensor& g, const Tensor&) { return TensorList{g, g}; });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("sub", loc);
  Tensor out = map_binary(
      a, b, "sub", [](auto x, auto y) { return x - y; }, true);
  record("sub", {a, b}, out, {}, [](const Tensor& g, const Tensor&) {
    return TensorList{g, neg(g)};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("mul", loc);
  Tensor out = map_binary(
      a, b, "mul", [](auto x, auto y) { return x * y; }, true);
  record("mul", {a, b}, out, {.saved_inputs = saved(0, 1)},
         [a_saved = SavedTensor(a), b_saved = SavedTensor(b)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           const Tensor b = b_saved.get();
           return TensorList{a.requires_grad() ? mul(g, b) : Tensor(),
                             b.requires_grad() ? mul(g, a) : Tensor()};
         });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("div", loc);
  Tensor out = map_binary(a, b, "div", [](auto x, auto y) { return x / y; });
  record("div", {a, b}, out, {.saved_inputs = saved(0, 1)},
         [a_saved = SavedTensor(a), b_saved = SavedTensor(b)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           const Tensor b = b_saved.get();
           return TensorList{a.requires_grad() ? div(g, b) : Tensor(),
                             b.requires_grad() ? neg(div(mul(g, a), mul(b, b))) : Tensor()};
         });
  return out;
}

Tensor add(const Tensor& a, double b, std::source_location loc) {
  const autograd::OpScope op_scope("add", loc);
  return add(a, scalar_like(b, a.dtype()));
}
Tensor sub(const Tensor& a, double b, std::source_location loc) {
  const autograd::OpScope op_scope("sub", loc);
  return sub(a, scalar_like(b, a.dtype()));
}
Tensor mul(const Tensor& a, double b, std::source_location loc) {
  const autograd::OpScope op_scope("mul", loc);
  return mul(a, scalar_like(b, a.dtype()));
}
Tensor div(const Tensor& a, double b, std::source_location loc) {
  const autograd::OpScope op_scope("div", loc);
  return div(a, scalar_like(b, a.dtype()));
}
Tensor operator/(double a, LocatedTensor b) { return div(scalar_like(a, b.t.dtype()), b.t, b.loc); }

Tensor neg(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("neg", loc);
  detail::check_defined(a, "neg");
  Tensor out = is_floating(a.dtype()) ? map_unary(a, "neg", [](auto x) { return -x; })
                                      : map_binary(
                                            a, scalar_like(-1, a.dtype()), "neg",
                                            [](auto x, auto y) { return x * y; }, true);
  record("neg", {a}, out, {}, [](const Tensor& g, const Tensor&) { return TensorList{neg(g)}; });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& e, std::source_location loc) {
  const autograd::OpScope op_scope("pow", loc);
  Tensor out = map_binary(a, e, "pow", [](auto x, auto y) { return std::pow(x, y); });
  record("pow", {a, e}, out, {.saved_inputs = saved(0, 1), .saves_output = true},
         [a_saved = SavedTensor(a), e_saved = SavedTensor(e)](const Tensor& g, const Tensor& y) {
           const Tensor a = a_saved.get();
           const Tensor e = e_saved.get();
           Tensor ga, gexp;
           if (a.requires_grad()) {
             // As PyTorch: where e == 0 the base gradient is 0, not 0 * 0^-1 = nan at a == 0.
             const Tensor d = mul(e, pow(a, sub(e, 1.0)));
             ga = mul(g, where(eq(e, 0.0), scalar_like(0, d.dtype()), d));
           }
           if (e.requires_grad()) {
             // As PyTorch: where a == 0 and e >= 0 the exponent gradient is 0, not nan.
             const Tensor zero_base = mul(eq(a, 0.0), ge(e, 0.0));
             gexp = mul(g, where(zero_base, scalar_like(0, y.dtype()), mul(y, log(a))));
           }
           return TensorList{ga, gexp};
         });
  return out;
}

Tensor pow(const Tensor& a, double p, std::source_location loc) {
  const autograd::OpScope op_scope("pow", loc);
  Tensor out =
      map_unary(a, "pow", [p](auto x) { return static_cast<decltype(x)>(std::pow(x, p)); });
  record("pow", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a), p](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           if (p == 0) return TensorList{mul(g, 0.0)};
           return TensorList{mul(g, mul(pow(a, p - 1), p))};
         });
  return out;
}

Tensor pow(double base, const Tensor& e, std::source_location loc) {
  const autograd::OpScope op_scope("pow", loc);
  Tensor out =
      map_unary(e, "pow", [base](auto x) { return static_cast<decltype(x)>(std::pow(base, x)); });
  record("pow", {e}, out, {.saves_output = true}, [base](const Tensor& g, const Tensor& y) {
    return TensorList{mul(g, mul(y, std::log(base)))};
  });
  return out;
}

Tensor square(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("square", loc);
  return mul(a, a);
}

// ---------------------------------------------------------------- unary math

Tensor exp(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("exp", loc);
  Tensor out = map_unary(a, "exp", [](auto x) { return std::exp(x); });
  record("exp", {a}, out, {.saves_output = true},
         [](const Tensor& g, const Tensor& y) { return TensorList{mul(g, y)}; });
  return out;
}

Tensor log(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("log", loc);
  Tensor out = map_unary(a, "log", [](auto x) { return std::log(x); });
  record("log", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{div(g, a)};
         });
  return out;
}

Tensor log1p(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("log1p", loc);
  Tensor out = map_unary(a, "log1p", [](auto x) { return std::log1p(x); });
  record("log1p", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{div(g, add(a, 1.0))};
         });
  return out;
}

Tensor sqrt(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("sqrt", loc);
  Tensor out = map_unary(a, "sqrt", [](auto x) { return std::sqrt(x); });
  record("sqrt", {a}, out, {.saves_output = true},
         [](const Tensor& g, const Tensor& y) { return TensorList{div(g, mul(y, 2.0))}; });
  return out;
}

Tensor rsqrt(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("rsqrt", loc);
  Tensor out = map_unary(a, "rsqrt", [](auto x) { return decltype(x)(1) / std::sqrt(x); });
  record("rsqrt", {a}, out, {.saves_output = true}, [](const Tensor& g, const Tensor& y) {
    return TensorList{mul(g, mul(mul(y, mul(y, y)), -0.5))};
  });
  return out;
}

Tensor abs(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("abs", loc);
  Tensor out = map_unary(a, "abs", [](auto x) { return std::abs(x); });
  record("abs", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{mul(g, sign(a))};
         });
  return out;
}

Tensor sin(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("sin", loc);
  Tensor out = map_unary(a, "sin", [](auto x) { return std::sin(x); });
  record("sin", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{mul(g, cos(a))};
         });
  return out;
}

Tensor cos(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("cos", loc);
  Tensor out = map_unary(a, "cos", [](auto x) { return std::cos(x); });
  record("cos", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{neg(mul(g, sin(a)))};
         });
  return out;
}

Tensor tanh(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("tanh", loc);
  Tensor out = map_unary(a, "tanh", [](auto x) { return std::tanh(x); });
  record("tanh", {a}, out, {.saves_output = true}, [](const Tensor& g, const Tensor& y) {
    return TensorList{mul(g, sub(scalar_like(1, y.dtype()), mul(y, y)))};
  });
  return out;
}

Tensor sigmoid(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("sigmoid", loc);
  Tensor out = map_unary(a, "sigmoid", [](auto x) {
    using T = decltype(x);
    // Split by sign so exp never overflows.
    if (x >= 0) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  });
  record("sigmoid", {a}, out, {.saves_output = true}, [](const Tensor& g, const Tensor& y) {
    return TensorList{mul(g, mul(y, sub(scalar_like(1, y.dtype()), y)))};
  });
  return out;
}

Tensor relu(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("relu", loc);
  // NaN propagates, as PyTorch: hiding it would hide a diverged run.
  Tensor out =
      map_unary(a, "relu", [](auto x) { return x > 0 || std::isnan(x) ? x : decltype(x)(0); });
  record("relu", {a}, out, {.saves_output = true},
         [](const Tensor& g, const Tensor& y) { return TensorList{mul(g, gt(y, 0.0))}; });
  return out;
}

Tensor erf(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("erf", loc);
  Tensor out = map_unary(a, "erf", [](auto x) { return std::erf(x); });
  record("erf", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{mul(g, mul(exp(neg(mul(a, a))), 2.0 / std::sqrt(std::numbers::pi)))};
         });
  return out;
}

// ---------------------------------------------------------------- clamping and selection

Tensor clamp(const Tensor& a, double lo, double hi, std::source_location loc) {
  const autograd::OpScope op_scope("clamp", loc);
  if (std::isnan(lo) || std::isnan(hi)) fail("clamp: min and max must not be NaN");
  if (lo > hi) fail("clamp: min ({}) must be <= max ({})", lo, hi);
  Tensor out = map_unary(a, "clamp", [lo, hi](auto x) {
    using T = decltype(x);
    return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
  });
  record("clamp", {a}, out, {.saved_inputs = saved(0)},
         [a_saved = SavedTensor(a), lo, hi](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           return TensorList{mul(g, mul(ge(a, lo), le(a, hi)))};
         });
  return out;
}
Tensor clamp_min(const Tensor& a, double lo, std::source_location loc) {
  const autograd::OpScope op_scope("clamp_min", loc);
  return clamp(a, lo, INFINITY);
}
Tensor clamp_max(const Tensor& a, double hi, std::source_location loc) {
  const autograd::OpScope op_scope("clamp_max", loc);
  return clamp(a, -INFINITY, hi);
}

namespace {
// Share of the gradient that goes to `a` in maximum/minimum: 1, 0, or 1/2 at a tie.
Tensor tie_share(const Tensor& a, const Tensor& b, bool is_max) {
  const Tensor win = is_max ? gt(a, b) : lt(a, b);
  return add(win, mul(eq(a, b), 0.5));
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("maximum", loc);
  Tensor out =
      map_binary(a, b, "maximum", [](auto x, auto y) { return x > y || std::isnan(x) ? x : y; });
  record("maximum", {a, b}, out, {.saved_inputs = saved(0, 1)},
         [a_saved = SavedTensor(a), b_saved = SavedTensor(b)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           const Tensor b = b_saved.get();
           const Tensor s = tie_share(a, b, true);
           return TensorList{mul(g, s), mul(g, sub(scalar_like(1, s.dtype()), s))};
         });
  return out;
}

Tensor minimum(const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("minimum", loc);
  Tensor out =
      map_binary(a, b, "minimum", [](auto x, auto y) { return x < y || std::isnan(x) ? x : y; });
  record("minimum", {a, b}, out, {.saved_inputs = saved(0, 1)},
         [a_saved = SavedTensor(a), b_saved = SavedTensor(b)](const Tensor& g, const Tensor&) {
           const Tensor a = a_saved.get();
           const Tensor b = b_saved.get();
           const Tensor s = tie_share(a, b, false);
           return TensorList{mul(g, s), mul(g, sub(scalar_like(1, s.dtype()), s))};
         });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("where", loc);
  detail::check_defined(cond, "where", "condition");
  detail::check_same_dtype(a, b, "where");
  const Tensor c = cond.dtype() == a.dtype() ? cond : cond.to(a.dtype());
  Tensor out =
      detail::map_ternary(c, a, b, "where", [](auto m, auto x, auto y) { return m != 0 ? x : y; });
  record("where", {a, b}, out, {}, [c_saved = SavedTensor(c)](const Tensor& g, const Tensor&) {
    const Tensor c = c_saved.get();
    const Tensor z = scalar_like(0, g.dtype());
    return TensorList{where(c, g, z), where(c, z, g)};
  });
  return out;
}

// ---------------------------------------------------------------- not differentiable

Tensor sign(const Tensor& a, std::source_location loc) {
  const autograd::OpScope op_scope("sign", loc);
  detail::check_defined(a, "sign");
  return map_binary(
      a, scalar_like(0, a.dtype()), "sign", [](auto x, auto z) { return (x > z) - (x < z); }, true);
}

namespace {
// An int64 tensor compared with a double that no int64 equals (0.5, 1e300, NaN) is compared in
// float64, as PyTorch does, instead of truncating the scalar (x < 0.5 must hold for x = 0).
bool exact_int64(double b) { return b == std::trunc(b) && b >= -0x1p63 && b < 0x1p63; }
}  // namespace

#define TG_COMPARE(NAME, OP)                                                \
  Tensor NAME(const Tensor& a, const Tensor& b, std::source_location loc) { \
    const autograd::OpScope op_scope(#NAME, loc);                           \
    return map_binary(                                                      \
        a, b, #NAME, [](auto x, auto y) { return x OP y ? 1 : 0; }, true);  \
  }                                                                         \
  Tensor NAME(const Tensor& a, double b, std::source_location loc) {        \
    const autograd::OpScope op_scope(#NAME, loc);                           \
    detail::check_defined(a, #NAME);                                        \
    if (a.dtype() == DType::Int64 && !exact_int64(b))                       \
      return NAME(a.to(DType::Float64), b).to(DType::Int64);                \
    return NAME(a, scalar_like(b, a.dtype()));                              \
  }
TG_COMPARE(eq, ==)
TG_COMPARE(ne, !=)
TG_COMPARE(lt, <)
TG_COMPARE(le, <=)
TG_COMPARE(gt, >)
TG_COMPARE(ge, >=)
#undef TG_COMPARE

}  // namespace tg
