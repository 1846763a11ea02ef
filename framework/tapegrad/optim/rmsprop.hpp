#pragma once
/// @file
/// RMSprop with optional momentum, centering and L2 weight decay, as torch.optim.RMSprop.
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// RMSprop's options (option names in a ParamGroup: the member names).
struct RMSpropOptions {
  double lr = 1e-2;         ///< learning rate
  double alpha = 0.99;      ///< decay of the running mean of squared gradients
  double eps = 1e-8;        ///< added to the denominator
  double weight_decay = 0;  ///< L2 penalty added to the gradient
  double momentum = 0;      ///< momentum factor (0: none)
  bool centered = false;    ///< divide by the estimated variance instead of the mean square
};

/// torch.optim.RMSprop with optional momentum, centering and L2 weight decay.
class RMSprop : public Optimizer {
 public:
  /// One group of params with options o.
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions o = {});
  /// Several groups; options they leave out take `defaults`.
  explicit RMSprop(std::vector<ParamGroup> groups, RMSpropOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

}  // namespace tg::optim
