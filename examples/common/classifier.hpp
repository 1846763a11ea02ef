#pragma once
// What train_mlp and train_cnn share: their flags, the training run (data, model, optimizer
// groups, epochs with a progress bar, evaluation, checkpoints, resume, JSON log), and rebuilding
// a model from a checkpoint's metadata (used by predict).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "models/models.hpp"

namespace tg::examples {

struct TrainConfig {
  std::string data;                       // IDX directory; empty: the dataset's default
  std::string dataset = "fashion-mnist";  // fashion-mnist | mnist
  std::string model = "lenet5";
  std::vector<std::int64_t> hidden{256, 128};  // mlp hidden sizes
  std::string activation = "relu";
  std::string init = "kaiming";
  std::string optimizer = "adam";  // sgd | adam | adamw
  double lr = 1e-3, momentum = 0.9, weight_decay = 0;
  double act_lr = -1;           // < 0: same as lr
  double act_weight_decay = 0;  // activation parameters: no decay by default (He et al. 2015)
  std::int64_t epochs = 3, batch_size = 64;
  std::uint64_t seed = 1;
  int threads = 0;                               // 0: OpenMP's default
  std::int64_t limit_train = 0, limit_test = 0;  // 0: all
  std::int64_t val_split = 0;  // images held out of the training set for validation (0: none)
  bool augment = false;
  bool normalize = true;  // (x - mean) / std with the training set's statistics
  std::string save, resume, json;
  std::int64_t stop_after = 0;  // stop after this many epochs of this run (tests resume)
  double require_accuracy = 0;  // exit 1 if the final test accuracy is below
  int progress = -1;            // -1 auto (terminal), 0 off, 1 on
  std::string profile;          // write a Chrome trace of the training here, print the tables
  bool detect_anomaly = false;  // the first NaN/Inf an op makes is an error naming it
};

// Registers every flag on `app`, with `cfg`'s values as defaults.
void add_train_flags(CLI::App& app, TrainConfig& cfg);
// Runs the training described by cfg; returns the process exit status.
int run_training(const TrainConfig& cfg, const std::string& program);

// The model a checkpoint was trained with (from its metadata: model, activation, hidden, ...).
std::shared_ptr<nn::Sequential> model_from_metadata(const std::map<std::string, std::string>& meta);

}  // namespace tg::examples
