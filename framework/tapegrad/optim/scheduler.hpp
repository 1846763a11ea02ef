#pragma once
/// @file
/// Learning-rate schedulers, as torch.optim.lr_scheduler. A scheduler holds a reference to its
/// optimizer (which must outlive it) and writes each group's "lr". Constructing one sets the
/// epoch-0 learning rate; call step() once per epoch after the optimizer's steps.
#include <cstdint>
#include <vector>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// Base of the epoch-indexed schedulers: lr(epoch) = f(epoch, base_lr), in closed form, where
/// base_lr is each group's lr when the scheduler was made.
class LRScheduler {
 public:
  virtual ~LRScheduler();
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch and sets that epoch's learning rates (call once per epoch).
  void step();
  /// Jumps to an epoch (for resuming from a checkpoint) and sets that epoch's learning rates.
  void set_last_epoch(std::int64_t epoch);
  std::int64_t last_epoch() const { return last_epoch_; }  ///< the current epoch (0 at first)
  /// Each group's lr when the scheduler was made.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  /// The learning rates the last step() (or the constructor) set, one per group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }

 protected:
  /// Reads each group's lr as its base_lr (a group without "lr" is a tg::Error).
  explicit LRScheduler(Optimizer& opt);
  /// Sets the epoch-0 rates; derived constructors call it once their fields are set.
  void init();
  /// The learning rate at `epoch` of a group whose base rate is base_lr.
  virtual double lr_at(std::int64_t epoch, double base_lr) const = 0;

 private:
  void apply();

  Optimizer& opt_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  std::int64_t last_epoch_ = 0;
};

/// lr = base_lr * gamma^floor(epoch / step_size)
class StepLR : public LRScheduler {
 public:
  /// Schedules opt's groups; sets the epoch-0 rates. step_size must be positive.
  StepLR(Optimizer& opt, std::int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch, double base_lr) const override;  ///< the formula above

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// lr = base_lr * gamma^(number of milestones <= epoch)
class MultiStepLR : public LRScheduler {
 public:
  /// Schedules opt's groups; sets the epoch-0 rates. Decays by gamma at each milestone epoch.
  MultiStepLR(Optimizer& opt, std::vector<std::int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch, double base_lr) const override;  ///< the formula above

 private:
  std::vector<std::int64_t> milestones_;  // sorted
  double gamma_;
};

/// lr = base_lr * gamma^epoch
class ExponentialLR : public LRScheduler {
 public:
  /// Schedules opt's groups; sets the epoch-0 rates. Decays by gamma every epoch.
  ExponentialLR(Optimizer& opt, double gamma);

 protected:
  double lr_at(std::int64_t epoch, double base_lr) const override;  ///< the formula above

 private:
  double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
class CosineAnnealingLR : public LRScheduler {
 public:
  /// Schedules opt's groups; sets the epoch-0 rates. T_max must be positive.
  CosineAnnealingLR(Optimizer& opt, std::int64_t T_max, double eta_min = 0);

 protected:
  double lr_at(std::int64_t epoch, double base_lr) const override;  ///< the formula above

 private:
  std::int64_t t_max_;
  double eta_min_;
};

/// Linear ramp from start_factor * base_lr at epoch 0 to base_lr at epoch warmup_steps, then
/// constant (torch LinearLR with end_factor 1 and total_iters = warmup_steps).
class LinearWarmup : public LRScheduler {
 public:
  /// Schedules opt's groups; sets the epoch-0 rates. warmup_steps must be positive, start_factor in
  /// (0, 1].
  LinearWarmup(Optimizer& opt, std::int64_t warmup_steps, double start_factor = 1.0 / 3);

 protected:
  double lr_at(std::int64_t epoch, double base_lr) const override;  ///< the formula above

 private:
  std::int64_t warmup_steps_;
  double start_factor_;
};

/// Whether ReduceLROnPlateau's metric improves by going down or up.
enum class PlateauMode {
  Min,  ///< lower is better (a loss)
  Max   ///< higher is better (an accuracy)
};
/// How ReduceLROnPlateau's threshold compares a metric with the best so far.
enum class ThresholdMode {
  Rel,  ///< relative: below best * (1 - threshold) (Min), above best * (1 + threshold) (Max)
  Abs   ///< absolute: below best - threshold (Min), above best + threshold (Max)
};

/// Options of ReduceLROnPlateau (torch's names and defaults).
struct ReduceLROnPlateauOptions {
  PlateauMode mode = PlateauMode::Min;  ///< Min: lower is better; Max: higher is better
  double factor = 0.1;                  ///< lr *= factor on a plateau, in [0, 1)
  std::int64_t patience = 10;           ///< epochs without improvement tolerated
  double threshold = 1e-4;              ///< smallest change that counts as an improvement
  ThresholdMode threshold_mode = ThresholdMode::Rel;  ///< relative or absolute threshold
  std::int64_t cooldown = 0;  ///< epochs to wait after a reduction before counting again
  double min_lr = 0;          ///< lower bound on each group's lr
  double eps = 1e-8;          ///< reductions smaller than this are skipped
};

/// Multiplies every group's lr by `factor` when the metric has not improved for more than
/// `patience` epochs, then waits `cooldown` epochs before counting again (torch semantics).
class ReduceLROnPlateau {
 public:
  /// Schedules opt's groups; out-of-range options are a tg::Error.
  explicit ReduceLROnPlateau(Optimizer& opt, ReduceLROnPlateauOptions o = {});
  /// Ends an epoch whose metric (validation loss, accuracy) was `metric`.
  void step(double metric);
  /// Each group's lr after the last step() (or at construction).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  double best() const { return best_; }  ///< the best metric so far
  /// Epochs since the last improvement (reset by a reduction and during cooldown).
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  std::int64_t last_epoch() const { return last_epoch_; }  ///< step() calls so far

 private:
  bool is_better(double a) const;
  void read_lrs();

  Optimizer& opt_;
  ReduceLROnPlateauOptions o_;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace tg::optim
