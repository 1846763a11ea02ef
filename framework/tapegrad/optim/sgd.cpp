#include "tapegrad/optim/sgd.hpp"

#include "tapegrad/optim/detail.hpp"

namespace tg::optim {

namespace {
std::map<std::string, double> to_map(const SGDOptions& o) {
  return {{"lr", o.lr},
          {"momentum", o.momentum},
          {"dampening", o.dampening},
          {"weight_decay", o.weight_decay},
          {"nesterov", o.nesterov ? 1.0 : 0.0}};
}
}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer("SGD", to_map(o)) {
  init_groups({ParamGroup{std::move(params), {}}});
}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions defaults) : Optimizer("SGD", to_map(defaults)) {
  init_groups(std::move(groups));
}

void SGD::validate(const std::map<std::string, double>& o) const {
  detail::require_nonneg(name(), o, "lr");
  detail::require_nonneg(name(), o, "momentum");
  detail::require_nonneg(name(), o, "weight_decay");
  detail::require_bool(name(), o, "nesterov");
  if (option(o, "nesterov") != 0 && (option(o, "momentum") <= 0 || option(o, "dampening") != 0))
    fail(
        "SGD: Nesterov momentum requires a momentum and zero dampening (got momentum {}, "
        "dampening {})",
        option(o, "momentum"), option(o, "dampening"));
}

// torch.optim.SGD (1.13), per element:
//   g = grad + weight_decay * p
//   if momentum != 0:
//     buf = g                                          (first step)
//     buf = momentum * buf + (1 - dampening) * g       (later steps)
//     g = nesterov ? g + momentum * buf : buf
//   p = p - lr * g
void SGD::step() {
  for_each_param([](const std::map<std::string, double>& o, const Tensor& p, const Tensor& grad,
                    ParamState& st) {
    const double lr = option(o, "lr"), momentum = option(o, "momentum"),
                 dampening = option(o, "dampening"), wd = option(o, "weight_decay");
    const bool nesterov = option(o, "nesterov") != 0;
    ++st.step;
    bool first = false;
    const Tensor buf = momentum != 0 ? state_tensor(st, "momentum_buffer", p, &first) : Tensor();
    detail::dispatch_floating(p, [&](auto tag) {
      using T = decltype(tag);
      T* pp = p.data_ptr<T>();
      const T* gp = grad.data_ptr<T>();
      T* bp = buf.defined() ? buf.data_ptr<T>() : nullptr;
      const T tlr = static_cast<T>(lr), tm = static_cast<T>(momentum),
              tdamp = static_cast<T>(1 - dampening), twd = static_cast<T>(wd);
      // One branch-free loop per combination of options, so that each vectorises.
      detail::with_flags(
          [&](auto has_wd, auto has_buf, auto is_first, auto is_nesterov) {
            // Captured by value: GCC does not vectorise a loop that reads its pointers and
            // scalars through a by-reference closure shared with an OpenMP region.
            detail::for_range(p.numel(), [=](std::int64_t b, std::int64_t e) {
              for (std::int64_t i = b; i < e; ++i) {
                T g = gp[i];
                if constexpr (has_wd) g += twd * pp[i];
                if constexpr (has_buf) {
                  if constexpr (is_first)
                    bp[i] = g;
                  else
                    bp[i] = tm * bp[i] + tdamp * g;
                  if constexpr (is_nesterov)
                    g = g + tm * bp[i];
                  else
                    g = bp[i];
                }
                pp[i] -= tlr * g;
              }
            });
          },
          wd != 0, bp != nullptr, first, nesterov);
    });
  });
}

}  // namespace tg::optim
