#pragma once
// RMSprop with optional momentum, centering and L2 weight decay, as torch.optim.RMSprop.
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions o = {});
  explicit RMSprop(std::vector<ParamGroup> groups, RMSpropOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

}  // namespace tg::optim
