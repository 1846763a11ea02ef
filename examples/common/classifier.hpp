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
#include "tapegrad/train/classifier.hpp"

namespace tg::examples {

// The recipe (what decides the numbers) and what a program does around it.
struct TrainConfig : train::Recipe {
  std::string save, resume, json;
  std::int64_t stop_after = 0;  // stop after this many epochs of this run (tests resume)
  double require_accuracy = 0;  // exit 1 if the final test accuracy is below
  int progress = -1;            // -1 auto (terminal), 0 off, 1 on
  std::string profile;          // write a Chrome trace of the training here, print the tables
  bool detect_anomaly = false;  // the first NaN/Inf an op makes is an error naming it
};

// Registers every flag on `app`, with `cfg`'s values as defaults. sequence: the flags of a
// recurrent model (--cell, --gate, --cell-act, --hidden, --layers) instead of --model, --act and
// the mlp's --hidden.
void add_train_flags(CLI::App& app, TrainConfig& cfg, bool sequence = false);
// Runs the training described by cfg; returns the process exit status.
int run_training(const TrainConfig& cfg, const std::string& program);

// The model of a recipe (its model name, hidden sizes, activation and init), every weight drawn
// from `gen`: what train_mlp, train_cnn and the study build.
std::shared_ptr<nn::Sequential> build_model(const train::Recipe& recipe, Generator* gen);

// The model a checkpoint was trained with (from its metadata: model, activation, hidden, ...).
std::shared_ptr<nn::Sequential> model_from_metadata(const std::map<std::string, std::string>& meta);

// One line per learnable activation parameter of `model` ("  1.weight [1]: 0.2183"; at most 8
// values each), or "" when its activations have none: what train_cnn prints after training and
// `tapegrad inspect` prints for a checkpoint.
std::string activation_parameter_report(nn::Module& model);

}  // namespace tg::examples
