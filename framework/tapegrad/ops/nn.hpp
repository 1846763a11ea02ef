#pragma once
/// @file
/// Neural-network ops: softmax family and losses. Log-softmax is fused into cross-entropy (a
/// separate softmax followed by log underflows to log(0) = -inf).
#include <source_location>
#include "tapegrad/core/random.hpp"

#include "tapegrad/core/tensor.hpp"

namespace tg {

/// How a loss combines its per-element values.
enum class Reduction {
  None,  ///< no reduction: one value per element (or sample)
  Mean,  ///< their mean
  Sum    ///< their sum
};

/// y = x W^T + b for x [..., in], W [out, in], b [out] (optional): torch.nn.functional.linear.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              std::source_location loc = std::source_location::current());

/// exp(x) normalised to sum 1 along dim (floating dtypes).
Tensor softmax(const Tensor& x, std::int64_t dim,
               std::source_location loc = std::source_location::current());
/// log(softmax(x, dim)), computed directly (no log(0) underflow).
Tensor log_softmax(const Tensor& x, std::int64_t dim,
                   std::source_location loc = std::source_location::current());

/// Options of cross_entropy (torch.nn.functional.cross_entropy's).
struct CrossEntropyOptions {
  Reduction reduction = Reduction::Mean;  ///< how the per-sample losses combine
  double label_smoothing = 0.0;           ///< in [0, 1]
  std::int64_t ignore_index = -100;       ///< targets equal to this contribute nothing (as PyTorch)
};
/// logits [N, C], targets int64 [N] with class indices in [0, C).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets,
                     const CrossEntropyOptions& opts = {},
                     std::source_location loc = std::source_location::current());

/// log_probs [N, C] (e.g. from log_softmax), targets int64 [N].
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets,
                Reduction reduction = Reduction::Mean, std::int64_t ignore_index = -100,
                std::source_location loc = std::source_location::current());
/// Squared error (input - target)^2, reduced; input and target have one shape and floating dtype.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                std::source_location loc = std::source_location::current());
/// Numerically stable: max(x, 0) - x*y + log(1 + exp(-|x|)). targets are probabilities in [0, 1].
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        Reduction reduction = Reduction::Mean,
                                        std::source_location loc = std::source_location::current());

/// In training, zeroes each element with probability p and scales the rest by 1/(1-p); otherwise
/// returns x unchanged.
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr,
               std::source_location loc = std::source_location::current());

}  // namespace tg
