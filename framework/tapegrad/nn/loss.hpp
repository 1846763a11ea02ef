#pragma once
/// @file
/// Loss modules (thin wrappers over ops/nn.hpp) and explicit regularisation terms.
#include <vector>

#include "tapegrad/autograd/observe.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/ops/nn.hpp"

namespace tg::nn {

/// A loss is called with (input, target).
class Loss : public Module {
 public:
  using Module::Module;
  /// The loss of input against target.
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  /// forward(input, target); `loc` is where the call was made (anomaly mode and the profiler).
  Tensor operator()(const Tensor& input, const Tensor& target,
                    std::source_location loc = std::source_location::current()) {
    const autograd::ModuleScope scope(*this, loc);
    return forward(input, target);
  }
  using Module::forward;
};

/// tg::cross_entropy of logits [N, C] and int64 class indices [N].
class CrossEntropyLoss : public Loss {
 public:
  /// A loss with these options.
  explicit CrossEntropyLoss(CrossEntropyOptions opts = {}) : Loss("CrossEntropyLoss"), opts(opts) {}
  /// cross_entropy(logits, targets, opts).
  Tensor forward(const Tensor& logits, const Tensor& targets) override {
    return cross_entropy(logits, targets, opts);
  }
  CrossEntropyOptions opts;  ///< reduction, label smoothing, ignored index
};

/// tg::nll_loss of log-probabilities [N, C] and int64 class indices [N].
class NLLLoss : public Loss {
 public:
  /// A loss with this reduction; targets equal to ignore_index contribute nothing.
  explicit NLLLoss(Reduction reduction = Reduction::Mean, std::int64_t ignore_index = -100)
      : Loss("NLLLoss"), reduction(reduction), ignore_index(ignore_index) {}
  /// nll_loss(log_probs, targets, reduction, ignore_index).
  Tensor forward(const Tensor& log_probs, const Tensor& targets) override {
    return nll_loss(log_probs, targets, reduction, ignore_index);
  }
  Reduction reduction;        ///< how the per-sample losses combine
  std::int64_t ignore_index;  ///< targets equal to this contribute nothing
};

/// tg::mse_loss: the squared error of input against target.
class MSELoss : public Loss {
 public:
  /// A loss with this reduction.
  explicit MSELoss(Reduction reduction = Reduction::Mean) : Loss("MSELoss"), reduction(reduction) {}
  /// mse_loss(input, target, reduction).
  Tensor forward(const Tensor& input, const Tensor& target) override {
    return mse_loss(input, target, reduction);
  }
  Reduction reduction;  ///< how the per-element losses combine
};

/// tg::binary_cross_entropy_with_logits: logits against target probabilities in [0, 1].
class BCEWithLogitsLoss : public Loss {
 public:
  /// A loss with this reduction.
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::Mean)
      : Loss("BCEWithLogitsLoss"), reduction(reduction) {}
  /// binary_cross_entropy_with_logits(logits, targets, reduction).
  Tensor forward(const Tensor& logits, const Tensor& targets) override {
    return binary_cross_entropy_with_logits(logits, targets, reduction);
  }
  Reduction reduction;  ///< how the per-element losses combine
};

/// @name Regularisation terms
/// sum over all parameters of sum |p|, and of sum p^2 (not halved): add lambda * penalty to a loss.
/// An empty list or an undefined parameter is a tg::Error.
/// @{

/// The sum over all parameters of sum |p|.
Tensor l1_penalty(const std::vector<Tensor>& params);
/// The sum over all parameters of sum p^2 (not halved).
Tensor l2_penalty(const std::vector<Tensor>& params);
/// @}

}  // namespace tg::nn
