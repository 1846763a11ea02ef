#pragma once
/// @file
/// Adam (weight_decay is L2 added to the gradient) and AdamW (decoupled weight decay), as
/// torch.optim.Adam and torch.optim.AdamW.
#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// Adam's options (option names in a ParamGroup: the member names).
struct AdamOptions {
  double lr = 1e-3;  ///< learning rate
  /// Decay of the running mean of gradients, in [0, 1).
  double beta1 = 0.9, beta2 = 0.999;
  /// @var beta2
  /// Decay of the running mean of squared gradients, in [0, 1).

  double eps = 1e-8;        ///< added to the denominator
  double weight_decay = 0;  ///< L2 penalty added to the gradient
  bool amsgrad = false;     ///< use the maximum of the squared-gradient means (AMSGrad)
};

/// AdamW's options (option names in a ParamGroup: the member names).
struct AdamWOptions {
  double lr = 1e-3;  ///< learning rate
  /// Decay of the running mean of gradients, in [0, 1).
  double beta1 = 0.9, beta2 = 0.999;
  /// @var beta2
  /// Decay of the running mean of squared gradients, in [0, 1).

  double eps = 1e-8;           ///< added to the denominator
  double weight_decay = 1e-2;  ///< decoupled: each step multiplies p by 1 - lr * weight_decay
  bool amsgrad = false;        ///< use the maximum of the squared-gradient means (AMSGrad)
};

/// torch.optim.Adam: weight_decay is L2 added to the gradient.
class Adam : public Optimizer {
 public:
  /// One group of params with options o.
  explicit Adam(std::vector<Tensor> params, AdamOptions o = {});
  /// Several groups; options they leave out take `defaults`.
  explicit Adam(std::vector<ParamGroup> groups, AdamOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

/// torch.optim.AdamW: decoupled weight decay.
class AdamW : public Optimizer {
 public:
  /// One group of params with options o.
  explicit AdamW(std::vector<Tensor> params, AdamWOptions o = {});
  /// Several groups; options they leave out take `defaults`.
  explicit AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults = {});
  void step() override;

 protected:
  void validate(const std::map<std::string, double>& options) const override;
};

}  // namespace tg::optim
