#include "tapegrad/optim/rmsprop.hpp"

#include <cmath>

#include "tapegrad/optim/detail.hpp"

namespace tg::optim {

namespace {
std::map<std::string, double> to_map(const RMSpropOptions& o) {
  return {{"lr", o.lr},
          {"alpha", o.alpha},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"momentum", o.momentum},
          {"centered", o.centered ? 1.0 : 0.0}};
}
}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o) : Optimizer("RMSprop", to_map(o)) {
  init_groups({ParamGroup{std::move(params), {}}});
}
RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions d)
    : Optimizer("RMSprop", to_map(d)) {
  init_groups(std::move(groups));
}

void RMSprop::validate(const std::map<std::string, double>& o) const {
  detail::require_nonneg(name(), o, "lr");
  detail::require_nonneg(name(), o, "eps");
  detail::require_nonneg(name(), o, "momentum");
  detail::require_nonneg(name(), o, "weight_decay");
  detail::require_nonneg(name(), o, "alpha");
  detail::require_bool(name(), o, "centered");
}

// torch.optim.RMSprop (1.13), per element:
//   g = grad + weight_decay * p
//   sq = alpha * sq + (1 - alpha) * g^2
//   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(sq - ga^2) + eps
//   else:     avg = sqrt(sq) + eps
//   momentum > 0: buf = momentum * buf + g / avg;  p = p - lr * buf
//   else:         p = p - lr * g / avg
void RMSprop::step() {
  for_each_param([](const std::map<std::string, double>& o, const Tensor& p, const Tensor& grad,
                    ParamState& st) {
    const double lr = option(o, "lr"), alpha = option(o, "alpha"), eps = option(o, "eps"),
                 wd = option(o, "weight_decay"), momentum = option(o, "momentum");
    const bool centered = option(o, "centered") != 0;
    ++st.step;
    const Tensor sq = state_tensor(st, "square_avg", p);
    const Tensor buf = momentum > 0 ? state_tensor(st, "momentum_buffer", p) : Tensor();
    const Tensor ga = centered ? state_tensor(st, "grad_avg", p) : Tensor();
    detail::dispatch_floating(p, [&](auto tag) {
      using T = decltype(tag);
      T* pp = p.data_ptr<T>();
      const T* gp = grad.data_ptr<T>();
      T* sp = sq.data_ptr<T>();
      T* bp = buf.defined() ? buf.data_ptr<T>() : nullptr;
      T* ap = ga.defined() ? ga.data_ptr<T>() : nullptr;
      const T tlr = static_cast<T>(lr), ta = static_cast<T>(alpha), tac = static_cast<T>(1 - alpha),
              teps = static_cast<T>(eps), twd = static_cast<T>(wd), tm = static_cast<T>(momentum);
      detail::for_range(p.numel(), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) {
          T g = gp[i];
          if (wd != 0) g += twd * pp[i];
          sp[i] = ta * sp[i] + tac * g * g;
          T avg;
          if (ap) {
            ap[i] = ta * ap[i] + tac * g;
            avg = std::sqrt(sp[i] - ap[i] * ap[i]) + teps;
          } else {
            avg = std::sqrt(sp[i]) + teps;
          }
          if (bp) {
            bp[i] = tm * bp[i] + g / avg;
            pp[i] -= tlr * bp[i];
          } else {
            pp[i] -= tlr * (g / avg);
          }
        }
      });
    });
  });
}

}  // namespace tg::optim
