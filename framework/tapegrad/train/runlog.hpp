#pragma once
/// @file
/// The record of a training run: settings (model, activation, parameter counts, ...) and one entry
/// per epoch, written as JSON for plots and comparisons (train_mlp / train_cnn --json PATH):
/// @code{.cpp}
///   {"model": "lenet5", "activation": "prelu", "parameters": 61711, "activation_parameters": 4,
///    "train_loss": [...], "train_accuracy": [...], "test_loss": [...], "test_accuracy": [...],
///    "epoch_seconds": [...], "images_per_second": [...], ...}
/// @endcode
/// Accuracies are fractions in [0, 1]; epoch_seconds times the training loop only. Runs with a
/// validation split (--val-split) also have "val_loss" and "val_accuracy" lists.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace tg::train {

/// One epoch's results.
struct EpochRecord {
  std::int64_t epoch = 0;  ///< 1-based
  /// Mean training loss over the epoch.
  double train_loss = 0, train_accuracy = 0;
  /// @var train_accuracy
  /// Training accuracy over the epoch, a fraction in [0, 1].

  /// Test-set loss after the epoch.
  double test_loss = 0, test_accuracy = 0;
  /// @var test_accuracy
  /// Test-set accuracy after the epoch, a fraction in [0, 1].

  /// Validation loss after the epoch; NaN: no validation split.
  double val_loss = NAN, val_accuracy = NAN;  ///< NaN: no validation split
  /// Time of the epoch's training loop.
  double epoch_seconds = 0, images_per_second = 0;
  /// @var images_per_second
  /// Training throughput of the epoch.
};

/// The record of a training run: settings (model, activation, parameter counts, ...) and one entry
/// per epoch, written as JSON for plots and comparisons.
class RunLog {
 public:
  /// A setting's value.
  using Value = std::variant<std::int64_t, double, std::string, bool>;

  /// Sets a setting (replacing an earlier value of key).
  void set(const std::string& key, Value v) { info_[key] = std::move(v); }
  /// Appends an epoch.
  void add_epoch(const EpochRecord& e) { epochs_.push_back(e); }
  const std::vector<EpochRecord>& epochs() const { return epochs_; }  ///< the epochs, in order
  const std::map<std::string, Value>& info() const { return info_; }  ///< the settings by key
  /// True when the epochs carry validation results.
  bool has_validation() const {
    return !epochs_.empty() && !std::isnan(epochs_.front().val_accuracy);
  }
  /// The epoch (1-based) with the highest validation accuracy, the earliest on a tie; 0 when there
  /// is no validation split. Choosing the epoch on the test set would inflate the test result.
  std::int64_t best_validation_epoch() const;
  /// Keeps the first n epochs (a run resumed from epoch n continues from there).
  void truncate(std::size_t n) {
    if (epochs_.size() > n) epochs_.resize(n);
  }

  /// The settings as top-level keys and each epoch field as a list (one entry per epoch).
  std::string to_json(int indent = 2) const;
  /// Parses what to_json wrote; a malformed document is a tg::Error.
  static RunLog from_json(const std::string& text);
  /// Writes to_json() to `path` through a temporary file and a rename.
  void write(const std::string& path) const;

 private:
  std::map<std::string, Value> info_;
  std::vector<EpochRecord> epochs_;
};

}  // namespace tg::train
