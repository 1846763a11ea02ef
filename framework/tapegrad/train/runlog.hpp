#pragma once
// The record of a training run: settings (model, activation, parameter counts, ...) and one entry
// per epoch, written as JSON for plots and comparisons (train_mlp / train_cnn --json PATH):
//   {"model": "lenet5", "activation": "prelu", "parameters": 61711, "activation_parameters": 4,
//    "train_loss": [...], "train_accuracy": [...], "test_loss": [...], "test_accuracy": [...],
//    "epoch_seconds": [...], "images_per_second": [...], ...}
// Accuracies are fractions in [0, 1]; epoch_seconds times the training loop only. Runs with a
// validation split (--val-split) also have "val_loss" and "val_accuracy" lists.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace tg::train {

struct EpochRecord {
  std::int64_t epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0;
  double test_loss = 0, test_accuracy = 0;
  double val_loss = NAN, val_accuracy = NAN;  // NaN: no validation split
  double epoch_seconds = 0, images_per_second = 0;
};

class RunLog {
 public:
  using Value = std::variant<std::int64_t, double, std::string, bool>;

  void set(const std::string& key, Value v) { info_[key] = std::move(v); }
  void add_epoch(const EpochRecord& e) { epochs_.push_back(e); }
  const std::vector<EpochRecord>& epochs() const { return epochs_; }
  const std::map<std::string, Value>& info() const { return info_; }
  // True when the epochs carry validation results.
  bool has_validation() const {
    return !epochs_.empty() && !std::isnan(epochs_.front().val_accuracy);
  }
  // The epoch (1-based) with the highest validation accuracy, the earliest on a tie; 0 when there
  // is no validation split. Choosing the epoch on the test set would inflate the test result.
  std::int64_t best_validation_epoch() const;
  // Keeps the first n epochs (a run resumed from epoch n continues from there).
  void truncate(std::size_t n) {
    if (epochs_.size() > n) epochs_.resize(n);
  }

  std::string to_json(int indent = 2) const;
  // Parses what to_json wrote; a malformed document is a tg::Error.
  static RunLog from_json(const std::string& text);
  // Writes to_json() to `path` through a temporary file and a rename.
  void write(const std::string& path) const;

 private:
  std::map<std::string, Value> info_;
  std::vector<EpochRecord> epochs_;
};

}  // namespace tg::train
