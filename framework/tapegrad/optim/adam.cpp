#include "tapegrad/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "tapegrad/optim/detail.hpp"

namespace tg::optim {

namespace {

template <class O>
std::map<std::string, double> to_map(const O& o) {
  return {{"lr", o.lr},
          {"beta1", o.beta1},
          {"beta2", o.beta2},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad ? 1.0 : 0.0}};
}

void validate_adam(const std::string& name, const std::map<std::string, double>& o) {
  detail::require_nonneg(name, o, "lr");
  detail::require_nonneg(name, o, "eps");
  detail::require_beta(name, o, "beta1");
  detail::require_beta(name, o, "beta2");
  detail::require_nonneg(name, o, "weight_decay");
  detail::require_bool(name, o, "amsgrad");
}

// torch.optim.Adam / AdamW (1.13), at step t (counted from 1), per element:
//   AdamW:  p = p * (1 - lr * weight_decay)          (decoupled decay)
//   Adam:   g = grad + weight_decay * p              (L2 added to the gradient)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2
//   step_size = lr / (1 - beta1^t)
//   amsgrad: vmax = max(vmax, v), use vmax in place of v below
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   p = p - step_size * m / denom
void adam_update(const std::map<std::string, double>& o, const Tensor& p, const Tensor& grad,
                 std::int64_t t, const Tensor& m, const Tensor& v, const Tensor& vmax,
                 bool decoupled) {
  const double lr = option(o, "lr"), b1 = option(o, "beta1"), b2 = option(o, "beta2"),
               eps = option(o, "eps"), wd = option(o, "weight_decay");
  const double td = static_cast<double>(t);
  const double bc1 = 1 - std::pow(b1, td), bc2_sqrt = std::sqrt(1 - std::pow(b2, td));
  const double step_size = lr / bc1;
  detail::dispatch_floating(p, [&](auto tag) {
    using T = decltype(tag);
    T* pp = p.data_ptr<T>();
    const T* gp = grad.data_ptr<T>();
    T* mp = m.data_ptr<T>();
    T* vp = v.data_ptr<T>();
    T* xp = vmax.defined() ? vmax.data_ptr<T>() : nullptr;
    const T tb1 = static_cast<T>(b1), tb2 = static_cast<T>(b2), tb1c = static_cast<T>(1 - b1),
            tb2c = static_cast<T>(1 - b2), teps = static_cast<T>(eps),
            tbc2 = static_cast<T>(bc2_sqrt), tstep = static_cast<T>(step_size),
            twd = static_cast<T>(wd), tdecay = static_cast<T>(1 - lr * wd);
    const bool l2 = !decoupled && wd != 0, dec = decoupled && wd != 0;
    // One branch-free loop per combination of options, so that each vectorises.
    detail::with_flags(
        [&](auto is_dec, auto is_l2, auto has_max) {
          // Captured by value: GCC does not vectorise a loop that reads its pointers and scalars
          // through a by-reference closure shared with an OpenMP region.
          detail::for_range(p.numel(), [=](std::int64_t b, std::int64_t e) {
            // Parameter, gradient and state buffers never overlap.
            T* __restrict P = pp;
            const T* __restrict G = gp;
            T* __restrict Mo = mp;
            T* __restrict Vo = vp;
            T* __restrict X = xp;
            for (std::int64_t i = b; i < e; ++i) {
              T g = G[i];
              if constexpr (is_dec) P[i] *= tdecay;
              if constexpr (is_l2) g += twd * P[i];
              const T m = tb1 * Mo[i] + tb1c * g;
              const T v = tb2 * Vo[i] + tb2c * g * g;
              Mo[i] = m;
              Vo[i] = v;
              T second = v;
              if constexpr (has_max) {
                second = std::max(X[i], v);
                X[i] = second;
              }
              const T denom = std::sqrt(second) / tbc2 + teps;
              P[i] -= tstep * (m / denom);
            }
          });
        },
        dec, l2, xp != nullptr);
  });
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Optimizer("Adam", to_map(o)) {
  init_groups({ParamGroup{std::move(params), {}}});
}
Adam::Adam(std::vector<ParamGroup> groups, AdamOptions d) : Optimizer("Adam", to_map(d)) {
  init_groups(std::move(groups));
}
void Adam::validate(const std::map<std::string, double>& o) const { validate_adam(name(), o); }

void Adam::step() {
  for_each_param([](const std::map<std::string, double>& o, const Tensor& p, const Tensor& grad,
                    ParamState& st) {
    ++st.step;
    const Tensor m = state_tensor(st, "exp_avg", p), v = state_tensor(st, "exp_avg_sq", p);
    const Tensor vmax =
        option(o, "amsgrad") != 0 ? state_tensor(st, "max_exp_avg_sq", p) : Tensor();
    adam_update(o, p, grad, st.step, m, v, vmax, false);
  });
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o) : Optimizer("AdamW", to_map(o)) {
  init_groups({ParamGroup{std::move(params), {}}});
}
AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions d) : Optimizer("AdamW", to_map(d)) {
  init_groups(std::move(groups));
}
void AdamW::validate(const std::map<std::string, double>& o) const { validate_adam(name(), o); }

void AdamW::step() {
  for_each_param([](const std::map<std::string, double>& o, const Tensor& p, const Tensor& grad,
                    ParamState& st) {
    ++st.step;
    const Tensor m = state_tensor(st, "exp_avg", p), v = state_tensor(st, "exp_avg_sq", p);
    const Tensor vmax =
        option(o, "amsgrad") != 0 ? state_tensor(st, "max_exp_avg_sq", p) : Tensor();
    adam_update(o, p, grad, st.step, m, v, vmax, true);
  });
}

}  // namespace tg::optim
