#pragma once
// Loss modules (thin wrappers over ops/nn.hpp) and explicit regularisation terms.
#include <vector>

#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/ops/nn.hpp"

namespace tg::nn {

// A loss is called with (input, target).
class Loss : public Module {
 public:
  using Module::Module;
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor operator()(const Tensor& input, const Tensor& target,
                    std::source_location loc = std::source_location::current()) {
    const autograd::ModuleScope scope(*this, loc);
    return forward(input, target);
  }
  using Module::forward;
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions opts = {}) : Loss("CrossEntropyLoss"), opts(opts) {}
  Tensor forward(const Tensor& logits, const Tensor& targets) override {
    return cross_entropy(logits, targets, opts);
  }
  CrossEntropyOptions opts;
};

class NLLLoss : public Loss {
 public:
  explicit NLLLoss(Reduction reduction = Reduction::Mean, std::int64_t ignore_index = -100)
      : Loss("NLLLoss"), reduction(reduction), ignore_index(ignore_index) {}
  Tensor forward(const Tensor& log_probs, const Tensor& targets) override {
    return nll_loss(log_probs, targets, reduction, ignore_index);
  }
  Reduction reduction;
  std::int64_t ignore_index;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : Loss("MSELoss"), reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return mse_loss(input, target, reduction);
  }
  Reduction reduction;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::Mean)
      : Loss("BCEWithLogitsLoss"), reduction(reduction) {}
  Tensor forward(const Tensor& logits, const Tensor& targets) override {
    return binary_cross_entropy_with_logits(logits, targets, reduction);
  }
  Reduction reduction;
};

// sum over all parameters of sum |p|, and of sum p^2 (not halved): add lambda * penalty to a loss.
Tensor l1_penalty(const std::vector<Tensor>& params);
Tensor l2_penalty(const std::vector<Tensor>& params);

}  // namespace tg::nn
