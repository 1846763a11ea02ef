#include "tapegrad/ops/nn.hpp"

#include "tapegrad/autograd/observe.hpp"

#include <algorithm>
#include <cmath>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/creation.hpp"
#include "tapegrad/kernels/parallel.hpp"
#include "tapegrad/ops/detail.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/linalg.hpp"
#include "tapegrad/ops/reduce.hpp"
#include "tapegrad/ops/shape.hpp"

namespace tg {

using autograd::SavedTensor;

using autograd::record;
using autograd::saved;

namespace {

// Runs f(row_ptr, n, stride) over every 1-D fibre of a contiguous tensor along `dim`.
template <class T, class F>
void for_each_fibre(T* base, const Shape& shape, std::int64_t dim, F&& f) {
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < dim; ++d) outer *= shape[d];
  for (std::size_t d = static_cast<std::size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::int64_t n = shape.empty() ? 1 : shape[dim];
  kernels::parallel_for(0, outer * inner,
                        std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(n, 1)),
                        [&](std::int64_t b, std::int64_t e) {
                          for (std::int64_t r = b; r < e; ++r) {
                            const std::int64_t o = r / inner, i = r % inner;
                            f(base + o * n * inner + i, n, inner);
                          }
                        });
}

// out = x - logsumexp(x) along dim (log) or exp of that (softmax), computed per fibre.
Tensor softmax_impl(const Tensor& x, std::int64_t dim, bool log, const char* op) {
  detail::check_defined(x, op);
  detail::check_floating(x, op);
  dim = normalize_dim(dim, x.dim(), op);
  Tensor out;
  {
    NoGradGuard ng;
    out = x.clone();
  }
  detail::dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    for_each_fibre(out.data_ptr<T>(), x.shape(), x.dim() == 0 ? 0 : dim,
                   [&](T* p, std::int64_t n, std::int64_t st) {
                     T m = -INFINITY;
                     for (std::int64_t i = 0; i < n; ++i) m = std::max(m, p[i * st]);
                     if (std::isinf(m)) m = m > 0 ? m : T(0);
                     double s = 0;
                     for (std::int64_t i = 0; i < n; ++i)
                       s += std::exp(static_cast<double>(p[i * st] - m));
                     if (log) {
                       const T lse = static_cast<T>(std::log(s)) + m;
                       for (std::int64_t i = 0; i < n; ++i) p[i * st] -= lse;
                     } else {
                       const double inv = 1.0 / s;
                       for (std::int64_t i = 0; i < n; ++i)
                         p[i * st] =
                             static_cast<T>(std::exp(static_cast<double>(p[i * st] - m)) * inv);
                     }
                   });
  });
  return out;
}

Tensor reduce(const Tensor& per_sample, Reduction r, double mean_denominator) {
  switch (r) {
    case Reduction::None:
      return per_sample;
    case Reduction::Sum:
      return sum(per_sample);
    case Reduction::Mean:
      break;
  }
  return div(sum(per_sample), mean_denominator);
}

void check_targets(const Tensor& input, const Tensor& targets, const char* op) {
  detail::check_defined(input, op, "input");
  detail::check_defined(targets, op, "targets");
  detail::check_floating(input, op);
  if (input.dim() != 2)
    fail("{}: input must be [N, C] (batch, classes), got shape {}", op, shape_str(input.shape()));
  if (targets.dtype() != DType::Int64)
    fail("{}: targets must be int64 class indices, got {}", op, targets.dtype());
  if (targets.dim() != 1 || targets.shape()[0] != input.shape()[0])
    fail("{}: targets must have shape [{}] to match input {}, got {}", op, input.shape()[0],
         shape_str(input.shape()), shape_str(targets.shape()));
}

// Every row of the contiguous [M, N] y set to the 1-D b (the bias, before GEMM adds x w^T).
void broadcast_rows(const Tensor& b, const Tensor& y) {
  const Tensor bc = b.is_contiguous() ? b : detail::copy_to_contiguous(b, b.dtype());
  const std::int64_t M = y.shape()[0], N = y.shape()[1];
  detail::dispatch_floating(y.dtype(), "linear", [&](auto tag) {
    using T = decltype(tag);
    const T* src = bc.data_ptr<T>();
    T* dst = y.data_ptr<T>();
    for (std::int64_t i = 0; i < M; ++i) std::copy(src, src + N, dst + i * N);
  });
}

// Sums of the columns of a 2-D g, accumulated in double in row order (the bias gradient).
Tensor column_sums(const Tensor& g_in) {
  const Tensor g = g_in.is_contiguous() ? g_in : detail::copy_to_contiguous(g_in, g_in.dtype());
  const std::int64_t M = g.shape()[0], N = g.shape()[1];
  Tensor out = Tensor::empty({N}, g.dtype());
  detail::dispatch_floating(g.dtype(), "linear", [&](auto tag) {
    using T = decltype(tag);
    const T* p = g.data_ptr<T>();
    T* o = out.data_ptr<T>();
    constexpr std::int64_t kCols = 256;
    double acc[kCols];
    for (std::int64_t j0 = 0; j0 < N; j0 += kCols) {
      const std::int64_t n = std::min(kCols, N - j0);
      std::fill(acc, acc + n, 0.0);
      for (std::int64_t i = 0; i < M; ++i) {
        const T* row = p + i * N + j0;
        for (std::int64_t j = 0; j < n; ++j) acc[j] += static_cast<double>(row[j]);
      }
      for (std::int64_t j = 0; j < n; ++j) o[j0 + j] = static_cast<T>(acc[j]);
    }
  });
  return out;
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b, std::source_location loc) {
  const autograd::OpScope op_scope("linear", loc);
  detail::check_defined(x, "linear", "input");
  detail::check_defined(w, "linear", "weight");
  if (w.dim() != 2)
    fail("linear: weight must be 2-D [out, in], got shape {}", shape_str(w.shape()));
  if (x.dim() < 1 || x.shape().back() != w.shape()[1])
    fail("linear: input of shape {} does not match weight {} (expected [..., {}])",
         shape_str(x.shape()), shape_str(w.shape()), w.shape()[1]);
  if (b.defined() && (b.dim() != 1 || b.shape()[0] != w.shape()[0]))
    fail("linear: bias of shape {} does not match weight {} (expected [{}])", shape_str(b.shape()),
         shape_str(w.shape()), w.shape()[0]);
  if (x.dim() != 2) {
    const Tensor y = matmul(x, transpose(w, 0, 1));
    return b.defined() ? add(y, b) : y;
  }
  // The common 2-D case is one tape entry computed by GEMM calls straight into the results: y =
  // b + x w^T; backward dx = g w, dW = g^T x (one contiguous [out, in] result), db = column sums
  // of g. With create_graph the backward is made of ops instead, so higher-order gradients work.
  detail::check_floating(x, "linear");
  detail::check_same_dtype(x, w, "linear");
  if (b.defined()) detail::check_same_dtype(x, b, "linear");
  const std::int64_t M = x.shape()[0], N = w.shape()[0];
  Tensor y = Tensor::empty({M, N}, x.dtype());
  if (b.defined()) broadcast_rows(b, y);
  detail::mm_into(x, false, w, true, b.defined() ? 1.0 : 0.0, y);
  auto backward = [x_saved = SavedTensor(x), w_saved = SavedTensor(w), b](const Tensor& g,
                                                                          const Tensor&) {
    const Tensor x = x_saved.get();
    const Tensor w = w_saved.get();
    TensorList grads(b.defined() ? 3 : 2);
    if (is_grad_enabled()) {
      if (x.requires_grad()) grads[0] = matmul(g, w);
      if (w.requires_grad()) grads[1] = matmul(transpose(g, 0, 1), x);
      if (b.defined() && b.requires_grad()) grads[2] = sum(g, {0});
      return grads;
    }
    if (x.requires_grad()) {
      grads[0] = Tensor::empty(x.shape(), x.dtype());
      detail::mm_into(g, false, w, false, 0.0, grads[0]);
    }
    if (w.requires_grad()) {
      grads[1] = Tensor::empty(w.shape(), w.dtype());
      detail::mm_into(g, true, x, false, 0.0, grads[1]);
    }
    if (b.defined() && b.requires_grad()) grads[2] = column_sums(g);
    return grads;
  };
  if (b.defined())
    record("linear", {x, w, b}, y, {.saved_inputs = saved(0, 1)}, backward);
  else
    record("linear", {x, w}, y, {.saved_inputs = saved(0, 1)}, backward);
  return y;
}

Tensor softmax(const Tensor& x, std::int64_t dim, std::source_location loc) {
  const autograd::OpScope op_scope("softmax", loc);
  Tensor y = softmax_impl(x, dim, false, "softmax");
  const std::int64_t d = normalize_dim(dim, x.dim(), "softmax");
  record("softmax", {x}, y, {.saves_output = true}, [d](const Tensor& g, const Tensor& y) {
    // dx = y * (g - sum(g * y))
    return TensorList{mul(y, sub(g, sum(mul(g, y), {d}, true)))};
  });
  return y;
}

Tensor log_softmax(const Tensor& x, std::int64_t dim, std::source_location loc) {
  const autograd::OpScope op_scope("log_softmax", loc);
  Tensor y = softmax_impl(x, dim, true, "log_softmax");
  const std::int64_t d = normalize_dim(dim, x.dim(), "log_softmax");
  record("log_softmax", {x}, y, {.saves_output = true}, [d](const Tensor& g, const Tensor& y) {
    // dx = g - softmax * sum(g)
    return TensorList{sub(g, mul(exp(y), sum(g, {d}, true)))};
  });
  return y;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& o,
                     std::source_location loc) {
  const autograd::OpScope op_scope("cross_entropy", loc);
  check_targets(logits, targets, "cross_entropy");
  if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
    fail("cross_entropy: label_smoothing must be in [0, 1], got {}", o.label_smoothing);
  const std::int64_t N = logits.shape()[0], C = logits.shape()[1];
  Tensor x;
  {
    NoGradGuard ng;  // a read-only copy for the fused forward: nothing to record
    x = logits.contiguous();
  }
  // A private copy: the backward reads the targets later, and the caller may reuse the tensor.
  const Tensor t = targets.clone();
  const auto* tp = t.data_ptr<std::int64_t>();
  std::int64_t valid = 0;
  for (std::int64_t i = 0; i < N; ++i) {
    if (tp[i] == o.ignore_index) continue;
    if (tp[i] < 0 || tp[i] >= C)
      fail(
          "cross_entropy: target {} of sample {} is out of range for {} classes (expected 0 to "
          "{}, or ignore_index {})",
          tp[i], i, C, C - 1, o.ignore_index);
    ++valid;
  }
  const double eps = o.label_smoothing;
  // Fused forward: per row, loss = lse - (1-eps) x_t - eps/C sum_c x_c.
  Tensor per = Tensor::empty({N}, logits.dtype());
  detail::dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* lp = per.data_ptr<T>();
    kernels::parallel_for(0, N, 64, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        if (tp[i] == o.ignore_index) {
          lp[i] = T(0);
          continue;
        }
        const T* row = xp + i * C;
        T m = row[0];
        for (std::int64_t c = 1; c < C; ++c) m = std::max(m, row[c]);
        double s = 0, total = 0;
        for (std::int64_t c = 0; c < C; ++c) {
          s += std::exp(static_cast<double>(row[c] - m));
          total += static_cast<double>(row[c]);
        }
        const double lse = std::log(s) + static_cast<double>(m);
        lp[i] = static_cast<T>(lse - (1 - eps) * static_cast<double>(row[tp[i]]) -
                               eps / static_cast<double>(C) * total);
      }
    });
  });
  Tensor out;
  switch (o.reduction) {
    case Reduction::None:
      out = per;
      break;
    case Reduction::Sum: {
      NoGradGuard ng;
      out = sum(per);
      break;
    }
    case Reduction::Mean: {
      NoGradGuard ng;
      out = div(sum(per), static_cast<double>(valid));
      break;
    }
  }
  const Reduction red = o.reduction;
  record("cross_entropy", {logits}, out, {.saved_inputs = autograd::saved(0)},
         [logits_saved = SavedTensor(logits), t_saved = SavedTensor(t), eps, red, valid,
          ignore = o.ignore_index, N, C](const Tensor& g, const Tensor&) {
           const Tensor logits = logits_saved.get();
           const Tensor t = t_saved.get();
           // d loss_i / d x = softmax(x_i) - q_i with q = (1-eps) onehot(t_i) + eps/C, zero for
           // ignored rows; written with ops so that it can be differentiated again.
           Tensor q = full({N, C}, eps / static_cast<double>(C), logits.dtype());
           Tensor w = Tensor::empty({N, 1}, logits.dtype());
           const auto* tp = t.data_ptr<std::int64_t>();
           detail::dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
             using T = decltype(tag);
             T* qp = q.data_ptr<T>();
             T* wp = w.data_ptr<T>();
             for (std::int64_t i = 0; i < N; ++i) {
               const bool skip = tp[i] == ignore;
               wp[i] = skip ? T(0) : T(1);
               if (!skip) qp[i * C + tp[i]] += static_cast<T>(1 - eps);
             }
           });
           Tensor scale;
           if (red == Reduction::None)
             scale = mul(reshape(g, {N, 1}), w);
           else if (red == Reduction::Sum)
             scale = mul(w, g);
           else
             scale = mul(w, div(g, static_cast<double>(valid)));
           return TensorList{mul(sub(softmax(logits, 1), q), scale)};
         });
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, Reduction reduction,
                std::int64_t ignore_index, std::source_location loc) {
  const autograd::OpScope op_scope("nll_loss", loc);
  check_targets(log_probs, targets, "nll_loss");
  const std::int64_t N = log_probs.shape()[0], C = log_probs.shape()[1];
  // Composed from gather, so its backward (and every higher one) comes from autograd.
  Tensor idx = targets.contiguous().clone();
  Tensor w = Tensor::empty({N}, log_probs.dtype());
  std::int64_t valid = 0;
  {
    auto* ip = idx.data_ptr<std::int64_t>();
    detail::dispatch_floating(log_probs.dtype(), "nll_loss", [&](auto tag) {
      using T = decltype(tag);
      T* wp = w.data_ptr<T>();
      for (std::int64_t i = 0; i < N; ++i) {
        if (ip[i] == ignore_index) {
          ip[i] = 0;
          wp[i] = T(0);
          continue;
        }
        if (ip[i] < 0 || ip[i] >= C)
          fail(
              "nll_loss: target {} of sample {} is out of range for {} classes (expected 0 to "
              "{}, or ignore_index {})",
              ip[i], i, C, C - 1, ignore_index);
        wp[i] = T(1);
        ++valid;
      }
    });
  }
  const Tensor picked = reshape(gather(log_probs, 1, reshape(idx, {N, 1})), {N});
  return reduce(neg(mul(picked, w)), reduction, static_cast<double>(valid));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction,
                std::source_location loc) {
  const autograd::OpScope op_scope("mse_loss", loc);
  detail::check_defined(input, "mse_loss", "input");
  detail::check_defined(target, "mse_loss", "target");
  if (input.shape() != target.shape())
    fail("mse_loss: input shape {} and target shape {} must be equal", shape_str(input.shape()),
         shape_str(target.shape()));
  detail::check_floating(input, "mse_loss");
  detail::check_same_dtype(input, target, "mse_loss");
  if (reduction == Reduction::None) {
    const Tensor d = sub(input, target);
    return mul(d, d);
  }
  // Sum or mean: one tape entry; the sum of squares is accumulated in double, in order.
  const double scale =
      reduction == Reduction::Mean ? 1.0 / static_cast<double>(input.numel()) : 1.0;
  Tensor out = Tensor::empty({}, input.dtype());
  {
    const Tensor x =
        input.is_contiguous() ? input : detail::copy_to_contiguous(input, input.dtype());
    const Tensor t =
        target.is_contiguous() ? target : detail::copy_to_contiguous(target, target.dtype());
    detail::dispatch_floating(x.dtype(), "mse_loss", [&](auto tag) {
      using T = decltype(tag);
      const T* xp = x.data_ptr<T>();
      const T* tp = t.data_ptr<T>();
      double acc = 0;
      for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
        const double d = static_cast<double>(xp[i]) - static_cast<double>(tp[i]);
        acc += d * d;
      }
      *out.data_ptr<T>() = static_cast<T>(acc * scale);
    });
  }
  record("mse_loss", {input, target}, out, {.saved_inputs = saved(0, 1)},
         [input_saved = SavedTensor(input), target_saved = SavedTensor(target), scale](
             const Tensor& g, const Tensor&) {
           const Tensor input = input_saved.get();
           const Tensor target = target_saved.get();
           // d/dx = 2 scale (x - t) g, d/dt = its negative; made of ops for higher orders.
           const Tensor gx = mul(sub(input, target), mul(g, 2.0 * scale));
           return TensorList{input.requires_grad() ? gx : Tensor(),
                             target.requires_grad() ? neg(gx) : Tensor()};
         });
  return out;
}

Tensor binary_cross_entropy_with_logits(const Tensor& x, const Tensor& y, Reduction reduction,
                                        std::source_location loc) {
  const autograd::OpScope op_scope("binary_cross_entropy_with_logits", loc);
  const char* op = "binary_cross_entropy_with_logits";
  detail::check_defined(x, op, "logits");
  detail::check_defined(y, op, "targets");
  if (x.shape() != y.shape())
    fail("{}: logits shape {} and targets shape {} must be equal", op, shape_str(x.shape()),
         shape_str(y.shape()));
  Tensor per = detail::map_binary(x, y, op, [](auto a, auto t) {
    using T = decltype(a);
    return std::max(a, T(0)) - a * t + std::log1p(std::exp(-std::abs(a)));
  });
  record(op, {x, y}, per, {.saved_inputs = autograd::saved(0, 1)},
         [x_saved = SavedTensor(x), y_saved = SavedTensor(y)](const Tensor& g, const Tensor&) {
           const Tensor x = x_saved.get();
           const Tensor y = y_saved.get();
           return TensorList{x.requires_grad() ? mul(g, sub(sigmoid(x), y)) : Tensor(),
                             y.requires_grad() ? neg(mul(g, x)) : Tensor()};
         });
  return reduce(per, reduction, static_cast<double>(x.numel()));
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen, std::source_location loc) {
  const autograd::OpScope op_scope("dropout", loc);
  detail::check_defined(x, "dropout");
  if (!(p >= 0 && p <= 1)) fail("dropout: probability must be in [0, 1], got {}", p);
  if (!training || p == 0) return x;
  detail::check_floating(x, "dropout");
  if (p == 1) return mul(x, 0.0);
  const Tensor mask = div(bernoulli(x.shape(), 1 - p, x.dtype(), gen), 1 - p);
  return mul(x, mask);
}

}  // namespace tg
