#include "tapegrad/autograd/func.hpp"

#include "tapegrad/autograd/engine.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg::func {

namespace {

// Aliases of the inputs that require grad and have no history the caller can see, except with
// create_graph, where an input that requires grad is aliased through a recorded view so that the
// results remain differentiable with respect to it.
TensorList prepare_inputs(const TensorList& inputs, bool create_graph, const char* who) {
  if (inputs.empty()) fail("{}: no inputs given", who);
  TensorList xs;
  xs.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) fail("{}: input {} is an undefined tensor", who, i);
    if (!is_floating(x.dtype()))
      fail("{}: input {} has dtype {}; only floating dtypes can be differentiated", who, i,
           x.dtype());
    if (create_graph && x.requires_grad()) {
      xs.push_back(expand(x, x.shape()));
    } else {
      Tensor d = x.detach();
      d.requires_grad_();
      xs.push_back(d);
    }
  }
  return xs;
}

Tensor call(const Fn& f, const TensorList& xs, const char* who) {
  Tensor out;
  {
    EnableGradGuard eg;
    out = f(xs);
  }
  if (!out.defined()) fail("{}: f returned an undefined tensor", who);
  if (!is_floating(out.dtype()))
    fail("{}: f returned a tensor of dtype {}; only floating outputs can be differentiated", who,
         out.dtype());
  return out;
}

void check_list(const TensorList& inputs, const TensorList& vs, const char* who, const char* what) {
  if (vs.size() != inputs.size())
    fail("{}: f has {} input{} but {} {} given", who, inputs.size(), inputs.size() == 1 ? "" : "s",
         vs.size(), vs.size() == 1 ? fmt::format("{} was", what) : fmt::format("{}s were", what));
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (!vs[i].defined()) fail("{}: {} {} is an undefined tensor", who, what, i);
    if (vs[i].shape() != inputs[i].shape())
      fail("{}: {} {} has shape {} but input {} has shape {}", who, what, i,
           shape_str(vs[i].shape()), i, shape_str(inputs[i].shape()));
  }
}

void check_scalar(const Tensor& out, const char* who) {
  if (out.numel() != 1)
    fail("{}: f must return a scalar (one element), but it returned shape {}", who,
         shape_str(out.shape()));
}

Shape concat(const Shape& a, const Shape& b) {
  Shape s = a;
  s.insert(s.end(), b.begin(), b.end());
  return s;
}

// Undefined gradients (an input f does not use) become zeros.
TensorList zeros_for_missing(TensorList gs, const TensorList& like) {
  for (std::size_t i = 0; i < gs.size(); ++i)
    if (!gs[i].defined()) gs[i] = zeros_like(like[i].detach());
  return gs;
}

Tensor finish_output(const Tensor& out, bool create_graph) {
  return create_graph ? out : out.detach();
}

// Element k of t (any shape) as a scalar, recorded.
Tensor element(const Tensor& t, std::int64_t k) {
  return reshape(narrow(reshape(t, {-1}), 0, k, 1), {});
}

// rows[k] has shape `row_shape`; the result has shape lead ++ row_shape, row k at [k...].
Tensor stack_rows(const TensorList& rows, const Shape& lead, const Shape& row_shape, DType dtype) {
  if (rows.empty()) return zeros(concat(lead, row_shape), dtype);
  return reshape(stack(rows, 0), concat(lead, row_shape));
}

Fn lift(const Fn1& f) {
  return [f](const TensorList& in) { return f(in[0]); };
}

}  // namespace

VjpResult vjp(const Fn& f, const TensorList& inputs, const Tensor& v, const Options& opts) {
  const TensorList xs = prepare_inputs(inputs, opts.create_graph, "vjp");
  const Tensor out = call(f, xs, "vjp");
  Tensor seed = v;
  if (!seed.defined()) {
    if (out.numel() != 1)
      fail("vjp: f returned shape {}; pass v of that shape (v may be omitted only for a scalar)",
           shape_str(out.shape()));
    seed = ones_like(out.detach());
  } else if (seed.shape() != out.shape()) {
    fail("vjp: v has shape {} but f's output has shape {}", shape_str(seed.shape()),
         shape_str(out.shape()));
  }
  TensorList gs(xs.size());
  if (out.requires_grad())
    gs = grad({out}, xs,
              {.create_graph = opts.create_graph, .allow_unused = true, .grad_outputs = {seed}});
  return {finish_output(out, opts.create_graph), zeros_for_missing(std::move(gs), xs)};
}

VjpResult vjp(const Fn1& f, const Tensor& input, const Tensor& v, const Options& opts) {
  return vjp(lift(f), TensorList{input}, v, opts);
}

JvpResult jvp(const Fn& f, const TensorList& inputs, const TensorList& tangents,
              const Options& opts) {
  check_list(inputs, tangents, "jvp", "tangent");
  const TensorList xs = prepare_inputs(inputs, opts.create_graph, "jvp");
  const Tensor out = call(f, xs, "jvp");
  Tensor result;
  if (out.requires_grad()) {
    // g(u) = J^T u, recorded, for a dummy cotangent u; then J t = d <g(u), t> / du.
    Tensor u = zeros_like(out.detach());
    u.requires_grad_();
    const TensorList g =
        grad({out}, xs, {.create_graph = true, .allow_unused = true, .grad_outputs = {u}});
    Tensor s;
    {
      EnableGradGuard eg;
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (!g[i].defined() || !g[i].requires_grad()) continue;
        Tensor term = sum(mul(g[i], tangents[i].to(g[i].dtype())));
        s = s.defined() ? add(s, term) : term;
      }
    }
    if (s.defined())
      result = grad({s}, {u}, {.create_graph = opts.create_graph, .allow_unused = true})[0];
  }
  if (!result.defined()) result = zeros_like(out.detach());
  return {finish_output(out, opts.create_graph), result};
}

JvpResult jvp(const Fn1& f, const Tensor& input, const Tensor& tangent, const Options& opts) {
  return jvp(lift(f), TensorList{input}, TensorList{tangent}, opts);
}

TensorList jacobian(const Fn& f, const TensorList& inputs, const JacobianOptions& opts) {
  const TensorList xs = prepare_inputs(inputs, opts.create_graph, "jacobian");
  const Tensor out = call(f, xs, "jacobian");
  const std::int64_t m = out.numel();
  const std::size_t n_in = xs.size();
  std::vector<TensorList> parts(n_in);  // per input: rows (reverse) or columns (forward)
  TensorList result(n_in);

  if (!out.requires_grad()) {
    for (std::size_t i = 0; i < n_in; ++i)
      result[i] = zeros(concat(out.shape(), xs[i].shape()), out.dtype());
    return result;
  }

  if (opts.mode == JacobianMode::reverse) {
    // Row k: the vjp with the k-th unit cotangent.
    for (std::int64_t k = 0; k < m; ++k) {
      Tensor e = zeros({m}, out.dtype());
      {
        NoGradGuard ng;
        e.set<double>({k}, 1.0);
      }
      const bool last = k + 1 == m;
      TensorList gs = grad({out}, xs,
                           {.retain_graph = opts.create_graph || !last,
                            .create_graph = opts.create_graph,
                            .allow_unused = true,
                            .grad_outputs = {e.reshape(out.shape())}});
      gs = zeros_for_missing(std::move(gs), xs);
      for (std::size_t i = 0; i < n_in; ++i) parts[i].push_back(gs[i]);
    }
    for (std::size_t i = 0; i < n_in; ++i)
      result[i] = stack_rows(parts[i], out.shape(), xs[i].shape(), out.dtype());
    return result;
  }

  // Forward mode: g(u) = J^T u once (recorded), then column (i, p) = d g_i[p] / du = J e_(i,p).
  Tensor u = zeros_like(out.detach());
  u.requires_grad_();
  const TensorList g =
      grad({out}, xs, {.create_graph = true, .allow_unused = true, .grad_outputs = {u}});
  for (std::size_t i = 0; i < n_in; ++i) {
    const std::int64_t n = xs[i].numel();
    TensorList cols;
    for (std::int64_t p = 0; p < n; ++p) {
      Tensor col;
      if (g[i].defined() && g[i].requires_grad()) {
        Tensor gp;
        {
          EnableGradGuard eg;
          gp = element(g[i], p);
        }
        col = grad(
            {gp}, {u},
            {.retain_graph = true, .create_graph = opts.create_graph, .allow_unused = true})[0];
      }
      if (!col.defined()) col = zeros_like(out.detach());
      cols.push_back(col);
    }
    // Stacked as [n, out...]; moved to [out..., n] and split into the input's shape.
    Tensor t = stack_rows(cols, {n}, out.shape(), out.dtype());
    Tensor moved = reshape(transpose(reshape(t, {n, m}), 0, 1), concat(out.shape(), xs[i].shape()));
    result[i] = opts.create_graph ? moved : moved.contiguous();
  }
  return result;
}

Tensor jacobian(const Fn1& f, const Tensor& input, const JacobianOptions& opts) {
  return jacobian(lift(f), TensorList{input}, opts)[0];
}

std::vector<TensorList> hessian(const Fn& f, const TensorList& inputs, const Options& opts) {
  const TensorList xs = prepare_inputs(inputs, opts.create_graph, "hessian");
  const Tensor out = call(f, xs, "hessian");
  check_scalar(out, "hessian");
  const std::size_t n_in = xs.size();
  std::vector<TensorList> H(n_in, TensorList(n_in));
  TensorList g(n_in);
  if (out.requires_grad()) g = grad({out}, xs, {.create_graph = true, .allow_unused = true});
  for (std::size_t i = 0; i < n_in; ++i) {
    // Row p of block row i: the gradient of g_i[p] with respect to every input.
    const std::int64_t n = xs[i].numel();
    std::vector<TensorList> rows(n_in);
    for (std::int64_t p = 0; p < n; ++p) {
      TensorList r(n_in);
      if (g[i].defined() && g[i].requires_grad()) {
        Tensor gp;
        {
          EnableGradGuard eg;
          gp = element(g[i], p);
        }
        r = grad({gp}, xs,
                 {.retain_graph = true, .create_graph = opts.create_graph, .allow_unused = true});
      }
      r = zeros_for_missing(std::move(r), xs);
      for (std::size_t j = 0; j < n_in; ++j) rows[j].push_back(r[j]);
    }
    for (std::size_t j = 0; j < n_in; ++j)
      H[i][j] = stack_rows(rows[j], xs[i].shape(), xs[j].shape(), xs[j].dtype());
  }
  return H;
}

Tensor hessian(const Fn1& f, const Tensor& input, const Options& opts) {
  return hessian(lift(f), TensorList{input}, opts)[0][0];
}

HvpResult hessian_vector_product(const Fn& f, const TensorList& inputs, const TensorList& v,
                                 const Options& opts) {
  check_list(inputs, v, "hessian_vector_product", "v");
  const TensorList xs = prepare_inputs(inputs, opts.create_graph, "hessian_vector_product");
  const Tensor out = call(f, xs, "hessian_vector_product");
  check_scalar(out, "hessian_vector_product");
  TensorList hv(xs.size());
  if (out.requires_grad()) {
    const TensorList g = grad({out}, xs, {.create_graph = true, .allow_unused = true});
    Tensor s;
    {
      EnableGradGuard eg;
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (!g[i].defined() || !g[i].requires_grad()) continue;
        Tensor term = sum(mul(g[i], v[i].to(g[i].dtype())));
        s = s.defined() ? add(s, term) : term;
      }
    }
    if (s.defined()) hv = grad({s}, xs, {.create_graph = opts.create_graph, .allow_unused = true});
  }
  return {finish_output(out, opts.create_graph), zeros_for_missing(std::move(hv), xs)};
}

HvpResult vector_hessian_product(const Fn& f, const TensorList& inputs, const TensorList& v,
                                 const Options& opts) {
  return hessian_vector_product(f, inputs, v, opts);
}

}  // namespace tg::func
