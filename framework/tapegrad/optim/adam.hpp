#pragma once
// Adam (weight_decay is L2 added to the gradient) and AdamW (decoupled weight decay), as
// torch.optim.Adam and torch.optim.AdamW.
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, AdamOptions o = {});
  explicit Adam(std::vector<ParamGroup> groups, AdamOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<Tensor> params, AdamWOptions o = {});
  explicit AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

}  // namespace tg::optim
