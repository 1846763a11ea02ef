#pragma once
/// @file
/// Function transforms (like torch.autograd.functional): vector-Jacobian and Jacobian-vector
/// products, full Jacobians, Hessians and Hessian-vector products of a function of tensors.
///
/// @code{.cpp}
///   auto f = [](const TensorList& in) { return sum(square(tanh(matmul(in[0], in[1])))); };
///   auto [y, g] = func::vjp(f, {x, W});                 // scalar f: v defaults to 1
///   TensorList J = func::jacobian(f, {x, W});           // J[i] has shape f.shape ++ in[i].shape
///   auto H = func::hessian(f, {x, W});                  // H[i][j]: in[i].shape ++ in[j].shape
/// @endcode
///
/// The inputs are not modified and need not require grad: each function works on aliases of them
/// (detach() + requires_grad_(); with create_graph and an input that requires grad, a recorded
/// view instead, so the results stay differentiable with respect to the caller's tensors). No
/// tensor's .grad() is touched. f runs with grad mode on even when called under NoGradGuard.
/// Inputs must have a floating dtype.
///
/// Forward mode. tapegrad has no forward-mode (dual number) autograd. jvp computes J t with the
/// double-vjp trick: g(u) = J^T u is computed by one backward pass recorded with create_graph,
/// for a dummy cotangent u that requires grad; g is linear in u, so the gradient of <g(u), t>
/// with respect to u is J t. A jvp therefore costs one forward and two backward passes (the
/// first recorded, about twice the cost of a plain one), where true forward mode would cost about
/// one extra forward; and every op in f needs a differentiable backward (an op with a fused
/// backward reports that it does not support double backward).
#include <functional>
#include <vector>

#include "tapegrad/autograd/tape.hpp"

/// Function transforms: vector-Jacobian and Jacobian-vector products, Jacobians, Hessians.
namespace tg::func {

/// A function of several tensors.
using Fn = std::function<Tensor(const TensorList&)>;
/// A function of one tensor.
using Fn1 = std::function<Tensor(const Tensor&)>;

/// Options of vjp, jvp, hessian and the Hessian-vector products.
struct Options {
  /// Record the computation so that the results can be differentiated again.
  bool create_graph = false;
};

/// What vjp() returns.
struct VjpResult {
  Tensor output;    ///< f(inputs) (detached unless create_graph)
  TensorList vjps;  ///< v^T J_i, one per input, with that input's shape
};
/// What jvp() returns.
struct JvpResult {
  Tensor output;  ///< f(inputs) (detached unless create_graph)
  Tensor jvp;     ///< sum_i J_i t_i, with the output's shape
};
/// What hessian_vector_product() and vector_hessian_product() return.
struct HvpResult {
  Tensor output;   ///< f(inputs), a scalar (detached unless create_graph)
  TensorList hvp;  ///< one per input, with that input's shape
};

/// v^T J for each input. v has f's output shape; it may be left undefined when f returns a scalar
/// (then v = 1 and the result is the gradient).
VjpResult vjp(const Fn& f, const TensorList& inputs, const Tensor& v = {},
              const Options& opts = {});
/// vjp() of a function of one tensor.
VjpResult vjp(const Fn1& f, const Tensor& input, const Tensor& v = {}, const Options& opts = {});

/// J t, one tangent per input with that input's shape. tapegrad has no forward mode: this is the
/// double-vjp trick (one forward and two backward passes, the first recorded), so every op in f
/// needs a differentiable backward.
JvpResult jvp(const Fn& f, const TensorList& inputs, const TensorList& tangents,
              const Options& opts = {});
/// jvp() of a function of one tensor.
JvpResult jvp(const Fn1& f, const Tensor& input, const Tensor& tangent, const Options& opts = {});

/// How jacobian() computes.
enum class JacobianMode {
  reverse,  ///< one backward pass per output element: cheaper when outputs are fewer than inputs
  forward,  ///< one backward pass per input element after a recorded one (the double-vjp trick)
};
/// Options of jacobian().
struct JacobianOptions {
  JacobianMode mode = JacobianMode::reverse;  ///< reverse or forward (double-vjp)
  /// Record the computation so that the results can be differentiated again.
  bool create_graph = false;
};

/// One Jacobian per input, of shape output.shape ++ input.shape (PyTorch's layout): element
/// [o..., i...] is d output[o...] / d input[i...]. An input f does not depend on gets zeros.
TensorList jacobian(const Fn& f, const TensorList& inputs, const JacobianOptions& opts = {});
/// jacobian() of a function of one tensor: shape output.shape ++ input.shape.
Tensor jacobian(const Fn1& f, const Tensor& input, const JacobianOptions& opts = {});

/// Hessian of a scalar f: blocks H[i][j] of shape inputs[i].shape ++ inputs[j].shape, element
/// [a..., b...] = d2 f / d inputs[i][a...] d inputs[j][b...]. One recorded backward for the
/// gradient, then one backward per input element.
std::vector<TensorList> hessian(const Fn& f, const TensorList& inputs, const Options& opts = {});
/// hessian() of a scalar function of one tensor: shape input.shape ++ input.shape.
Tensor hessian(const Fn1& f, const Tensor& input, const Options& opts = {});

/// H v for a scalar f, one v per input, by double backward: grad(<grad f, v>) with respect to the
/// inputs. Strictly, double backward yields H^T v (PyTorch's vhp); the Hessian of a twice
/// continuously differentiable f is symmetric, so this is H v as well, and
/// vector_hessian_product returns the same thing. Costs one forward and two backward passes (the
/// first recorded); the Hessian is never formed.
HvpResult hessian_vector_product(const Fn& f, const TensorList& inputs, const TensorList& v,
                                 const Options& opts = {});
/// v^T H for a scalar f: the same as hessian_vector_product (H is symmetric).
HvpResult vector_hessian_product(const Fn& f, const TensorList& inputs, const TensorList& v,
                                 const Options& opts = {});

}  // namespace tg::func
