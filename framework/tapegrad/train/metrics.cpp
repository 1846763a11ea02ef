#include "tapegrad/train/metrics.hpp"

#include "tapegrad/autograd/grad_mode.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/ops/nn.hpp"

namespace tg::train {

std::int64_t count_correct(const Tensor& logits, const Tensor& targets) {
  TG_CHECK(logits.dim() == 2 && targets.dim() == 1 && logits.size(0) == targets.size(0),
           "count_correct: expected logits [N, C] and targets [N], got {} and {}",
           shape_str(logits.shape()), shape_str(targets.shape()));
  TG_CHECK(targets.dtype() == DType::Int64, "count_correct: targets must be int64, got {}",
           dtype_name(targets.dtype()));
  const Tensor l = logits.contiguous().to(DType::Float32), t = targets.contiguous();
  const float* p = l.data_ptr<float>();
  const std::int64_t* y = t.data_ptr<std::int64_t>();
  const std::int64_t n = l.size(0), c = l.size(1);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = p + i * c;
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < c; ++j)
      if (row[j] > row[best]) best = j;
    correct += best == y[i] ? 1 : 0;
  }
  return correct;
}

EvalResult evaluate(nn::Module& model, const data::DataLoader& loader) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  RunningMean loss;
  std::int64_t correct = 0;
  try {
    for (const data::Example& batch : loader.epoch(0)) {
      const Tensor logits = model(batch.input);
      const std::int64_t n = batch.target.size(0);
      loss.add(cross_entropy(logits, batch.target).item<double>(), n);
      correct += count_correct(logits, batch.target);
    }
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  EvalResult r;
  r.loss = loss.mean();
  r.examples = loss.count();
  r.accuracy = r.examples > 0 ? static_cast<double>(correct) / static_cast<double>(r.examples) : 0;
  return r;
}

}  // namespace tg::train
