#pragma once
/// @file
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, as torch.optim.SGD.
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// SGD's options (option names in a ParamGroup: the member names).
struct SGDOptions {
  double lr = 1e-3;         ///< learning rate
  double momentum = 0;      ///< momentum factor (0: none)
  double dampening = 0;     ///< dampening of the momentum
  double weight_decay = 0;  ///< L2 penalty added to the gradient
  bool nesterov = false;    ///< Nesterov momentum (needs momentum > 0 and zero dampening)
};

/// torch.optim.SGD: stochastic gradient descent with optional momentum, dampening, Nesterov
/// momentum and L2 weight decay.
class SGD : public Optimizer {
 public:
  /// One group of params with options o.
  explicit SGD(std::vector<Tensor> params, SGDOptions o = {});
  /// Several groups; options they leave out take `defaults`.
  explicit SGD(std::vector<ParamGroup> groups, SGDOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

}  // namespace tg::optim
