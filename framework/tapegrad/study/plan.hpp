#pragma once
/// @file
/// The plan of an activation study: a grid of runs, activation ("arm") x model x optimizer and
/// learning rate x seed, all trained with one recipe. The design is paired: seed s gives every
/// arm the same data order, the same validation split and the same random draws for the initial
/// weights (train/classifier.hpp says which stream feeds what), so arms are compared seed by seed.
///
/// A plan is written into the study's database (study_info "plan", JSON) when the study starts;
/// running the study again on the same directory continues that plan, and a different plan for
/// a directory that already has one is a tg::Error naming the first difference.
#include <cstdint>
#include <string>
#include <vector>

#include "tapegrad/study/monitor.hpp"
#include "tapegrad/study/store.hpp"
#include "tapegrad/train/classifier.hpp"

/// Studies: a grid of training runs over seeds, with a results store, statistics and reports.
namespace tg::study {

/// One optimizer and learning rate of the grid.
struct OptimizerSetting {
  std::string name = "adam";  ///< sgd | adam | adamw
  double lr = 1e-3;           ///< learning rate
};

/// A study's grid (arm x model x optimizer and learning rate x seed) and the recipe all its runs
/// share.
struct Plan {
  std::vector<std::string> arms;  ///< activation specs, e.g. relu, "prelu(init=0.1)", pau
  std::vector<std::string> models{"lenet5"};          ///< model names (models::names())
  std::vector<OptimizerSetting> optimizers{{}};       ///< optimizers and learning rates
  std::vector<std::int64_t> seeds{1, 2, 3, 4, 5, 6};  ///< one run per seed and grid point
  std::string baseline;  ///< the arm the others are compared with (default: the first)
  /// Everything else of the runs: the dataset, epochs, batch size, init, validation split, ...
  /// Its model, activation, optimizer, lr and seed are replaced by each run's.
  train::Recipe recipe = default_recipe();
  std::int64_t probe_size = 512;  ///< images of the validation split the monitor measures
  MonitorOptions monitor;         ///< what the monitor measures

  /// The study default: train_cnn's recipe (Adam, lr 1e-3, weight decay 1e-4, batch 64, He
  /// init), 3 epochs and a validation split of 5,000 images.
  static train::Recipe default_recipe();
};

/// tg::Error for an empty grid, duplicate arms or seeds, an unknown activation or model name
/// (`models` lists the known ones; empty: not checked), a baseline that is not an arm, or a
/// recipe without a validation split when probe_size > 0 (the probe images come from it).
void validate(const Plan& plan, const std::vector<std::string>& models = {});

/// The runs, seed by seed (all arms of seed 1, then seed 2, ...), so that a study stopped early
/// has complete pairs. Keys: "<model>/<optimizer>/lr=<lr>/<arm>/seed=<seed>".
std::vector<RunSpec> plan_runs(const Plan& plan);

/// The recipe of one run.
train::Recipe run_recipe(const Plan& plan, const RunSpec& run);

/// JSON text of the plan and back (a malformed or incomplete document is a tg::Error).
std::string to_json(const Plan& plan);
/// The plan of to_json's text (a malformed or incomplete document is a tg::Error).
Plan plan_from_json(const std::string& text);

/// A study file (TOML, read with toml++):
/// @verbatim
///   arms = ["relu", "prelu", "swish_beta", "pau"]
///   models = ["lenet5"]
///   seeds = 6                     # or a list: [1, 2, 3]
///   baseline = "relu"
///   [[optimizers]]                # any number; default: adam, lr 0.001
///   name = "adam"
///   lr = [0.001, 0.003]           # a number or a list: one grid point each
///   [recipe]                      # train::Recipe's fields by name: epochs, batch_size, init,
///   epochs = 3                    # val_split, limit_train, limit_test, dataset, data, threads,
///   val_split = 5000              # momentum, weight_decay, act_lr, act_weight_decay, augment,
///                                 # normalize, hidden, and for models lstm, gru, rnn: cell_act,
///                                 # rnn_hidden, rnn_layers, clip_grad_norm
///   [monitor]                     # probe_size and MonitorOptions' fields by name
///   probe_size = 512
/// @endverbatim
/// Unknown keys and values of the wrong type are tg::Errors naming the key and the line.
Plan read_plan_toml(const std::string& path);

}  // namespace tg::study
