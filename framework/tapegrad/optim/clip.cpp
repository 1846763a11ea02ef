#include "tapegrad/optim/clip.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/optim/detail.hpp"

namespace tg::optim {

namespace {

// The gradient of p, made contiguous and owned by p (so writing to it touches nothing else), or
// undefined. A non-contiguous gradient (an expanded view, say) is replaced by a contiguous copy.
Tensor writable_grad(const Tensor& p, const char* op) {
  if (!p.defined()) fail("{}: a parameter is an undefined tensor", op);
  Tensor g = p.grad();
  if (!g.defined()) return g;
  if (!g.is_contiguous()) {
    g = g.contiguous();
    Tensor handle = p;  // a handle: setting its grad sets p's
    handle.set_grad(g);
  }
  g.prepare_inplace(op);
  return g;
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  const char* op = "clip_grad_norm_";
  if (!(max_norm >= 0)) fail("{}: max_norm must be >= 0, got {}", op, max_norm);
  if (!(norm_type > 0)) fail("{}: norm_type must be > 0 (or infinity), got {}", op, norm_type);
  NoGradGuard no_grad;
  const bool inf_norm = std::isinf(norm_type);
  std::vector<Tensor> grads;
  for (const Tensor& p : params) {
    if (!p.defined()) fail("{}: a parameter is an undefined tensor", op);
    if (p.grad().defined()) grads.push_back(p.grad().contiguous());
  }
  if (grads.empty()) return 0.0;
  // Accumulated in double in a fixed order, so the result does not depend on threads.
  double acc = 0;
  for (const Tensor& g : grads) {
    detail::dispatch_floating(g, [&](auto tag) {
      using T = decltype(tag);
      const T* gp = g.data_ptr<T>();
      const std::int64_t n = g.numel();
      for (std::int64_t i = 0; i < n; ++i) {
        const double a = std::abs(static_cast<double>(gp[i]));
        if (inf_norm)
          acc = std::isnan(a) || std::isnan(acc) ? std::numeric_limits<double>::quiet_NaN()
                                                 : std::max(acc, a);
        else if (norm_type == 2)
          acc += a * a;
        else if (norm_type == 1)
          acc += a;
        else
          acc += std::pow(a, norm_type);
      }
    });
  }
  const double total = inf_norm         ? acc
                       : norm_type == 2 ? std::sqrt(acc)
                       : norm_type == 1 ? acc
                                        : std::pow(acc, 1 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1) {
    for (const Tensor& p : params) {
      const Tensor g = writable_grad(p, op);
      if (!g.defined()) continue;
      detail::dispatch_floating(g, [&](auto tag) {
        using T = decltype(tag);
        T* gp = g.data_ptr<T>();
        const T c = static_cast<T>(coef);
        detail::for_range(g.numel(), [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t i = b; i < e; ++i) gp[i] *= c;
        });
      });
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip) {
  const char* op = "clip_grad_value_";
  if (!(clip >= 0)) fail("{}: clip value must be >= 0, got {}", op, clip);
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    const Tensor g = writable_grad(p, op);
    if (!g.defined()) continue;
    detail::dispatch_floating(g, [&](auto tag) {
      using T = decltype(tag);
      T* gp = g.data_ptr<T>();
      const T c = static_cast<T>(clip);
      detail::for_range(g.numel(), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) gp[i] = std::clamp(gp[i], -c, c);
      });
    });
  }
}

}  // namespace tg::optim
