#pragma once
/// @file
/// What every training script measures: correct predictions, running means, and a full pass of a
/// model over a data set in eval mode.
#include <cstdint>

#include "tapegrad/core/tensor.hpp"
#include "tapegrad/data/loader.hpp"
#include "tapegrad/nn/module.hpp"

/// Training helpers: evaluation, progress display, run logs and the classifier trainer.
namespace tg::train {

/// Number of rows of logits [N, C] whose argmax equals the int64 target [N].
std::int64_t count_correct(const Tensor& logits, const Tensor& targets);

/// A mean of values weighted by counts (e.g. per-batch mean losses weighted by batch size).
class RunningMean {
 public:
  /// Adds `value` with weight `count`.
  void add(double value, std::int64_t count = 1) {
    sum_ += value * static_cast<double>(count);
    count_ += count;
  }
  /// The weighted mean (0 before the first add()).
  double mean() const { return count_ > 0 ? sum_ / static_cast<double>(count_) : 0.0; }
  std::int64_t count() const { return count_; }  ///< the total weight

 private:
  double sum_ = 0;
  std::int64_t count_ = 0;
};

/// What evaluate() returns.
struct EvalResult {
  double loss = 0;            ///< mean cross-entropy
  double accuracy = 0;        ///< fraction in [0, 1]
  std::int64_t examples = 0;  ///< examples evaluated
};

/// Runs the model over every batch of `loader` (epoch 0 of it) without recording a tape and in
/// eval mode (the previous mode is restored), returning the mean cross-entropy and accuracy.
EvalResult evaluate(nn::Module& model, const data::DataLoader& loader);

}  // namespace tg::train
