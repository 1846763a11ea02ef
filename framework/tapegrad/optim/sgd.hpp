#pragma once
// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
// decay, as torch.optim.SGD.
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, SGDOptions o = {});
  explicit SGD(std::vector<ParamGroup> groups, SGDOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

}  // namespace tg::optim
