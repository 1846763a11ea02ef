#include "tapegrad/nn/loss.hpp"

#include "tapegrad/core/creation.hpp"
#include "tapegrad/ops/elementwise.hpp"
#include "tapegrad/ops/reduce.hpp"

namespace tg::nn {

namespace {
template <class F>
Tensor penalty(const std::vector<Tensor>& params, const char* name, F&& term) {
  if (params.empty()) fail("{}: no parameters given", name);
  Tensor total;
  for (const Tensor& p : params) {
    if (!p.defined()) fail("{}: a parameter is undefined", name);
    const Tensor t = term(p);
    total = total.defined() ? add(total, t.to(total.dtype())) : t;
  }
  return total;
}
}  // namespace

Tensor l1_penalty(const std::vector<Tensor>& params) {
  return penalty(params, "l1_penalty", [](const Tensor& p) { return sum(abs(p)); });
}

Tensor l2_penalty(const std::vector<Tensor>& params) {
  return penalty(params, "l2_penalty", [](const Tensor& p) { return sum(mul(p, p)); });
}

}  // namespace tg::nn
