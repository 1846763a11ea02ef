#include "tapegrad/autograd/gradcheck.hpp"

#include <cmath>

#include <fmt/format.h>

#include "tapegrad/autograd/engine.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"

namespace tg {

namespace {

// The scalar <fn(inputs), v> evaluated without recording.
double project(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs,
               const Tensor& v) {
  NoGradGuard ng;
  const Tensor out = fn(inputs);
  const auto o = out.to_vector<double>();
  const auto w = v.to_vector<double>();
  if (o.size() != w.size())
    fail("gradcheck: the function's output changed size between calls ({} vs {})", o.size(),
         w.size());
  double s = 0;
  for (std::size_t i = 0; i < o.size(); ++i) s += o[i] * w[i];
  return s;
}

GradcheckResult check_first_order(const std::function<Tensor(const TensorList&)>& fn,
                                  const TensorList& inputs, const GradcheckOptions& opts) {
  TensorList wrt;
  std::vector<std::size_t> wrt_index;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    if (inputs[i].dtype() != DType::Float64)
      fail(
          "gradcheck: input {} is {}; gradcheck needs float64 inputs (finite differences in "
          "float32 are too coarse)",
          i, inputs[i].dtype());
    if (!inputs[i].is_leaf()) fail("gradcheck: input {} must be a leaf tensor", i);
    wrt.push_back(inputs[i]);
    wrt_index.push_back(i);
  }
  if (wrt.empty()) fail("gradcheck: no input requires grad");

  Shape out_shape;
  {
    NoGradGuard ng;
    // Only the shape is kept: fn may record (gradgradcheck does), and a live result would keep
    // its graph, and so the inputs, pinned on the tape.
    const Tensor probe = fn(inputs);
    if (!probe.defined()) fail("gradcheck: the function returned an undefined tensor");
    out_shape = probe.shape();
  }
  const std::int64_t m = numel_of(out_shape);
  // Output directions: one-hot vectors (full Jacobian) or a few random ones.
  std::vector<Tensor> dirs;
  if (m <= 256) {
    for (std::int64_t j = 0; j < m; ++j) {
      std::vector<double> one(static_cast<std::size_t>(m), 0.0);
      one[static_cast<std::size_t>(j)] = 1.0;
      dirs.push_back(from_vector<double>(one).reshape(out_shape));
    }
  } else {
    Generator g(1234);
    for (int k = 0; k < 3; ++k) dirs.push_back(randn(out_shape, DType::Float64, &g));
  }

  for (std::size_t di = 0; di < dirs.size(); ++di) {
    const Tensor& v = dirs[di];
    TensorList ana;
    {
      Tensor out = fn(inputs);
      if (!out.requires_grad())
        fail(
            "gradcheck: the function's output does not require grad (is it built from the inputs "
            "with tapegrad ops?)");
      const Tensor vv = v.to(out.dtype());
      ana = grad({out}, wrt, {.retain_graph = false, .allow_unused = true, .grad_outputs = {vv}});
    }
    for (std::size_t k = 0; k < wrt.size(); ++k) {
      Tensor x = wrt[k];
      const std::vector<double> a =
          ana[k].defined() ? ana[k].to_vector<double>()
                           : std::vector<double>(static_cast<std::size_t>(x.numel()), 0.0);
      const Tensor xc = x.contiguous();
      const std::int64_t n = x.numel();
      for (std::int64_t e = 0; e < n; ++e) {
        // Perturb element e of the (possibly non-contiguous) leaf through its multi-index.
        std::vector<std::int64_t> idx(static_cast<std::size_t>(x.dim()));
        std::int64_t rem = e;
        for (std::size_t d = idx.size(); d-- > 0;) {
          idx[d] = rem % x.shape()[d];
          rem /= x.shape()[d];
        }
        const double orig = x.at<double>(idx);
        double fp, fm;
        {
          NoGradGuard ng;
          x.set<double>(idx, orig + opts.eps);
          fp = project(fn, inputs, v);
          x.set<double>(idx, orig - opts.eps);
          fm = project(fn, inputs, v);
          x.set<double>(idx, orig);
        }
        const double num = (fp - fm) / (2 * opts.eps);
        const double an = a[static_cast<std::size_t>(e)];
        if (!(std::abs(an - num) <= opts.atol + opts.rtol * std::abs(num))) {
          return {false,
                  fmt::format("gradcheck failed for input {} (shape {}) at element {} (flat), "
                              "output direction {}: analytic {:.10g} vs numeric {:.10g} "
                              "(difference {:.3g}, allowed {:.3g})",
                              wrt_index[k], shape_str(x.shape()), e, di, an, num,
                              std::abs(an - num), opts.atol + opts.rtol * std::abs(num))};
        }
      }
    }
  }
  return {true, ""};
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const TensorList&)>& fn,
                          const TensorList& inputs, const GradcheckOptions& opts) {
  GradcheckResult r = check_first_order(fn, inputs, opts);
  if (r.ok && opts.check_second_order) {
    // Second order: the gradient of <fn, v> (recorded with create_graph) must itself pass a
    // first-order check. v is a fixed random direction.
    Tensor probe;
    {
      NoGradGuard ng;
      probe = fn(inputs);
    }
    Generator g(99);
    const Tensor v = randn(probe.shape(), DType::Float64, &g);
    TensorList wrt;
    for (const Tensor& t : inputs)
      if (t.defined() && t.requires_grad()) wrt.push_back(t);
    auto grad_fn = [&](const TensorList& ins) {
      // Called under NoGradGuard for the numeric side too: computing a gradient needs the tape.
      EnableGradGuard eg;
      const Tensor out = fn(ins);
      const TensorList gs =
          grad({out}, wrt,
               {.create_graph = true, .allow_unused = true, .grad_outputs = {v.to(out.dtype())}});
      Tensor total = scalar_tensor(0.0, DType::Float64);
      Generator g2(7);
      for (std::size_t k = 0; k < gs.size(); ++k) {
        if (!gs[k].defined()) continue;
        total = add(total, sum(mul(gs[k], randn(gs[k].shape(), DType::Float64, &g2))));
      }
      // Keep the result connected to the inputs even where the second derivative is zero.
      for (const Tensor& w : wrt) total = add(total, mul(sum(w), 0.0));
      return total;
    };
    GradcheckResult r2 = check_first_order(grad_fn, inputs, opts);
    if (!r2.ok) r2.message = "second order: " + r2.message;
    r = r2;
  }
  if (!r.ok && opts.throw_on_failure) throw Error(r.message);
  return r;
}

}  // namespace tg
