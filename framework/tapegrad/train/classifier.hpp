#pragma once
/// @file
/// Training an image classifier the way train_cnn, train_mlp and the activation study do, so that
/// a study run and a hand run with the same recipe, seed, thread count and instruction set give the
/// same bits: the data (normalised, limited, a validation split), the optimizer with the
/// activation parameters in their own group, and one epoch of training plus evaluation.
///
/// @code{.cpp}
///   train::Recipe r{.model = "lenet5", .activation = "prelu", .seed = 3, .val_split = 5000};
///   train::ClassifierData d = train::load_classifier_data(r);
///   train::begin_run(r);                          // threads and the default generator
///   Generator init_gen(r.seed);
///   auto net = models::make(r.model, {.activation = r.activation, .init = r.init}, &init_gen);
///   train::ClassifierTrainer t(*net, r, d);
///   for (std::int64_t e = 0; e < r.epochs; ++e) train::EpochRecord rec = t.run_epoch(e);
/// @endcode
///
/// Random streams: the model's initial weights come from Generator(seed) (the caller's), the data
/// order of epoch e from the loader's (seed, e), the validation split from its own stream
/// (seed ^ kValidationSplitSalt), dropout and augmentation from the default generator seeded by
/// begin_run. Each stream is independent of the others, so two runs that differ only in their
/// activation see the same data order, the same split and the same weight draws.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/data/dataset.hpp"
#include "tapegrad/data/loader.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/optim/optimizer.hpp"
#include "tapegrad/train/runlog.hpp"

namespace tg::profiler {
class Profile;
}

namespace tg::train {

/// Everything that decides a run's numbers.
struct Recipe {
  std::string data;                            ///< IDX directory; empty: the dataset's default
  std::string dataset = "fashion-mnist";       ///< fashion-mnist | mnist
  std::string model = "lenet5";                ///< a models::make name
  std::vector<std::int64_t> hidden{256, 128};  ///< mlp hidden sizes
  std::string activation = "relu";             ///< activation spec (the gate of sequence models)
  std::string init = "kaiming";    ///< kaiming | xavier | default (models::ModelOptions::init)
  std::string optimizer = "adam";  ///< sgd | adam | adamw
  /// Learning rate.
  double lr = 1e-3, momentum = 0.9, weight_decay = 0;
  /// @var momentum
  /// SGD's momentum.
  /// @var weight_decay
  /// The optimizer's weight decay for the other parameters.

  double act_lr = -1;           ///< < 0: same as lr
  double act_weight_decay = 0;  ///< activation parameters: no decay by default (He et al. 2015)
  /// Training epochs.
  std::int64_t epochs = 3, batch_size = 64;
  /// @var batch_size
  /// Training batch size.

  std::uint64_t seed = 1;  ///< the run's seed (see the random streams in classifier.hpp)
  int threads = 0;         ///< 0: OpenMP's default
  /// Training images kept (the first ones); 0: all.
  std::int64_t limit_train = 0, limit_test = 0;
  /// @var limit_test
  /// Test images kept (the first ones); 0: all.

  std::int64_t val_split = 0;  ///< images held out of the training set for validation (0: none)
  bool augment = false;        ///< random crop (padding 2) and horizontal flip of training images
  bool normalize = true;       ///< (x - mean) / std with the training set's statistics
  /// Sequence models (rnn, lstm, gru; models::sequence_classifier): the cell activation (the
  /// model's `activation` is the gate), the hidden size and the number of layers.
  std::string cell_act = "tanh";
  /// The recurrent layer's hidden size (sequence models).
  std::int64_t rnn_hidden = 128, rnn_layers = 1;
  /// @var rnn_layers
  /// The number of recurrent layers (sequence models).

  double clip_grad_norm = 0;  ///< > 0: scale the gradients to at most this global L2 norm per step
};

/// The validation split's stream: Generator(seed ^ kValidationSplitSalt) ("validate").
inline constexpr std::uint64_t kValidationSplitSalt = 0x76616c6964617465u;

/// The data of a run, as load_classifier_data prepares it.
struct ClassifierData {
  std::string root;  ///< the directory the IDX files were read from
  /// The normalisation's mean (0 without normalisation).
  double mean = 0, std = 1;
  /// @var std
  /// The normalisation's standard deviation (1 without normalisation).

  std::vector<std::string> classes;          ///< class names
  std::shared_ptr<data::Dataset> all_train;  ///< the training images before the split
  /// The training images after the split.
  std::shared_ptr<data::Dataset> train, test;
  /// @var test
  /// The test images.

  std::shared_ptr<data::Dataset> val;  ///< null without a validation split
};

/// Reads the dataset, normalises it, keeps the first limit_train / limit_test images and carves the
/// validation split out of the training images. tg::Error on a missing or bad dataset, or a split
/// that leaves no training image.
ClassifierData load_classifier_data(const Recipe& recipe);
/// The same data without reading the files again: the split of another seed, say. `base` must
/// come from load_classifier_data with the same dataset, data, limits and normalisation.
ClassifierData resplit(const ClassifierData& base, const Recipe& recipe);

/// Sets the thread count (when recipe.threads > 0) and seeds the default generator with the
/// recipe's seed: call before building the model.
void begin_run(const Recipe& recipe);

/// The optimizer of the recipe over `model`'s parameters: the activation parameters
/// (nn::activation_parameters) in a second group with act_lr and act_weight_decay.
std::unique_ptr<optim::Optimizer> make_optimizer(const Recipe& recipe, nn::Module& model);

/// Options of ClassifierTrainer::run_epoch.
struct EpochOptions {
  int progress = -1;                     ///< the progress bar: -1 auto (a terminal), 0 off, 1 on
  profiler::Profile* profile = nullptr;  ///< name the train step, optimizer step and evaluations
};

/// The training loop of one run: owns the optimizer and the loaders; the model and the data are
/// the caller's and must outlive it.
class ClassifierTrainer {
 public:
  /// Makes the recipe's optimizer and the loaders; a negative or non-finite clip_grad_norm is a
  /// tg::Error.
  ClassifierTrainer(nn::Module& model, const Recipe& recipe, const ClassifierData& data);
  ~ClassifierTrainer();
  ClassifierTrainer(const ClassifierTrainer&) = delete;
  ClassifierTrainer& operator=(const ClassifierTrainer&) = delete;

  optim::Optimizer& optimizer() { return *optimizer_; }  ///< the recipe's optimizer
  /// Training batches per epoch.
  std::int64_t batches_per_epoch() const { return train_loader_->num_batches(); }

  /// Trains epoch `epoch` (0-based: the data order of that epoch), then evaluates the test set and
  /// the validation set. A non-finite loss is a tg::Error naming the epoch and batch.
  EpochRecord run_epoch(std::int64_t epoch, const EpochOptions& options = {});

 private:
  nn::Module* model_;
  Recipe recipe_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<data::DataLoader> train_loader_, test_loader_, val_loader_;
  std::vector<Tensor> params_;
};

}  // namespace tg::train
