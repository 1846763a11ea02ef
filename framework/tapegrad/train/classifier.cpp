#include "tapegrad/train/classifier.hpp"

#include <chrono>
#include <cmath>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/autograd/profiler.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/random.hpp"
#include "tapegrad/core/threads.hpp"
#include "tapegrad/data/mnist.hpp"
#include "tapegrad/data/transforms.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/clip.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/train/metrics.hpp"
#include "tapegrad/train/progress.hpp"

namespace tg::train {

namespace {

// A TensorDataset of (images - mean) / std, normalised once instead of per batch.
std::shared_ptr<data::Dataset> normalized(const data::TensorDataset& ds, double mean, double sd,
                                          std::int64_t limit) {
  Tensor x = ds.inputs().clone();
  float* p = x.data_ptr<float>();
  const auto m = static_cast<float>(mean), inv = static_cast<float>(1 / sd);
  for (std::int64_t i = 0, n = x.numel(); i < n; ++i) p[i] = (p[i] - m) * inv;
  auto out = std::make_shared<data::TensorDataset>(x, ds.targets(), ds.classes());
  if (limit > 0 && limit < out->size()) return std::make_shared<data::Subset>(out, limit);
  return out;
}

}  // namespace

ClassifierData load_classifier_data(const Recipe& r) {
  TG_CHECK(r.dataset == "fashion-mnist" || r.dataset == "mnist",
           "dataset '{}': expected fashion-mnist or mnist", r.dataset);
  const bool fashion = r.dataset == "fashion-mnist";
  ClassifierData d;
  d.root = !r.data.empty() ? r.data : (fashion ? data::default_fashion_mnist_root() : "");
  TG_CHECK(!d.root.empty(), "--dataset mnist needs --data DIR (the directory with the IDX files)");
  std::unique_ptr<data::MnistFormatDataset> train_raw, test_raw;
  if (fashion) {
    train_raw = std::make_unique<data::FashionMNIST>(d.root, data::Split::Train);
    test_raw = std::make_unique<data::FashionMNIST>(d.root, data::Split::Test);
  } else {
    train_raw = std::make_unique<data::MNIST>(d.root, data::Split::Train);
    test_raw = std::make_unique<data::MNIST>(d.root, data::Split::Test);
  }
  d.mean = !r.normalize ? 0.0 : fashion ? data::kFashionMnistMean : data::kMnistMean;
  d.std = !r.normalize ? 1.0 : fashion ? data::kFashionMnistStd : data::kMnistStd;
  d.all_train = normalized(*train_raw, d.mean, d.std, r.limit_train);
  d.test = normalized(*test_raw, d.mean, d.std, r.limit_test);
  d.classes = d.all_train->classes();
  return resplit(d, r);
}

ClassifierData resplit(const ClassifierData& base, const Recipe& r) {
  ClassifierData d = base;
  d.train = d.all_train;
  d.val.reset();
  if (r.val_split > 0) {
    TG_CHECK(r.val_split < d.train->size(),
             "--val-split {}: expected fewer than the {} training images", r.val_split,
             d.train->size());
    // Its own stream (not the loader's nor the initialisation's), so that a split leaves every
    // other random draw of the run as it was.
    const std::int64_t sizes[] = {d.train->size() - r.val_split, r.val_split};
    auto parts = data::random_split(d.train, sizes, r.seed ^ kValidationSplitSalt);
    d.train = parts[0];
    d.val = parts[1];
  }
  return d;
}

void begin_run(const Recipe& r) {
  if (r.threads > 0) set_num_threads(r.threads);
  manual_seed(r.seed);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const Recipe& r, nn::Module& model) {
  const std::vector<Tensor> act_params = nn::activation_parameters(model);
  const std::vector<Tensor> other_params = nn::non_activation_parameters(model);
  const double act_lr = r.act_lr < 0 ? r.lr : r.act_lr;
  std::vector<optim::ParamGroup> groups{{other_params, {}}};
  if (!act_params.empty())
    groups.push_back({act_params, {{"lr", act_lr}, {"weight_decay", r.act_weight_decay}}});
  if (r.optimizer == "sgd")
    return std::make_unique<optim::SGD>(
        groups,
        optim::SGDOptions{.lr = r.lr, .momentum = r.momentum, .weight_decay = r.weight_decay});
  if (r.optimizer == "adam")
    return std::make_unique<optim::Adam>(
        groups, optim::AdamOptions{.lr = r.lr, .weight_decay = r.weight_decay});
  if (r.optimizer == "adamw")
    return std::make_unique<optim::AdamW>(
        groups, optim::AdamWOptions{.lr = r.lr, .weight_decay = r.weight_decay});
  fail("optimizer '{}': expected sgd, adam or adamw", r.optimizer);
}

ClassifierTrainer::ClassifierTrainer(nn::Module& model, const Recipe& r, const ClassifierData& d)
    : model_(&model),
      recipe_(r),
      optimizer_(make_optimizer(r, model)),
      params_(model.parameters()) {
  TG_CHECK(r.clip_grad_norm >= 0 && std::isfinite(r.clip_grad_norm),
           "gradient clipping: max norm {} must be a finite number >= 0 (0: off)",
           r.clip_grad_norm);
  data::LoaderOptions train_opts{.batch_size = r.batch_size, .shuffle = true, .seed = r.seed};
  if (r.augment)
    train_opts.transform =
        data::compose({data::random_crop(28, 28, 2), data::random_horizontal_flip(0.5)});
  train_loader_ = std::make_unique<data::DataLoader>(d.train, train_opts);
  test_loader_ =
      std::make_unique<data::DataLoader>(d.test, data::LoaderOptions{.batch_size = 1000});
  if (d.val)
    val_loader_ =
        std::make_unique<data::DataLoader>(d.val, data::LoaderOptions{.batch_size = 1000});
}

ClassifierTrainer::~ClassifierTrainer() = default;

EpochRecord ClassifierTrainer::run_epoch(std::int64_t epoch, const EpochOptions& o) {
  const bool prof = o.profile != nullptr;
  model_->train();
  ProgressBar bar(
      train_loader_->num_batches(),
      {.label = fmt::format("epoch {}/{}", epoch + 1, recipe_.epochs), .interactive = o.progress});
  RunningMean loss_mean;
  std::int64_t correct = 0, seen = 0, batch_no = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const data::Example& batch : train_loader_->epoch(epoch)) {
    profiler::Range step(prof ? "train step" : "");
    optimizer_->zero_grad();
    const Tensor logits = (*model_)(batch.input);
    const Tensor loss = cross_entropy(logits, batch.target);
    loss.backward();
    if (recipe_.clip_grad_norm > 0) optim::clip_grad_norm_(params_, recipe_.clip_grad_norm);
    {
      profiler::Range r(prof ? "optimizer step" : "");
      optimizer_->step();
    }
    const std::int64_t n = batch.target.size(0);
    const double l = loss.item<double>();
    TG_CHECK(std::isfinite(l), "epoch {} batch {}: the loss is {}; lower --lr?", epoch + 1,
             batch_no + 1, l);
    loss_mean.add(l, n);
    correct += count_correct(logits.detach(), batch.target);
    seen += n;
    bar.update(++batch_no, loss_mean.mean(), static_cast<double>(correct) / seen, seen);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.finish();
  const EvalResult test = [&] {
    profiler::Range r(prof ? "evaluate" : "");
    return evaluate(*model_, *test_loader_);
  }();
  EpochRecord rec;
  rec.epoch = epoch + 1;
  rec.train_loss = loss_mean.mean();
  rec.train_accuracy = seen > 0 ? static_cast<double>(correct) / seen : 0;
  rec.test_loss = test.loss;
  rec.test_accuracy = test.accuracy;
  if (val_loader_) {
    profiler::Range r(prof ? "validate" : "");
    const EvalResult val = evaluate(*model_, *val_loader_);
    rec.val_loss = val.loss;
    rec.val_accuracy = val.accuracy;
  }
  rec.epoch_seconds = secs;
  rec.images_per_second = secs > 0 ? static_cast<double>(seen) / secs : 0;
  return rec;
}

}  // namespace tg::train
