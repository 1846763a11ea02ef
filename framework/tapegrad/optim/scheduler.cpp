#include "tapegrad/optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "tapegrad/core/error.hpp"

namespace tg::optim {

namespace {
double& group_lr(ParamGroup& g, const char* who) {
  const auto it = g.options.find("lr");
  if (it == g.options.end()) fail("{}: a parameter group has no 'lr' option", who);
  return it->second;
}
}  // namespace

LRScheduler::LRScheduler(Optimizer& opt) : opt_(opt) {
  for (auto& g : opt_.param_groups()) base_lrs_.push_back(group_lr(g, "LRScheduler"));
}

LRScheduler::~LRScheduler() = default;

void LRScheduler::init() {
  last_epoch_ = 0;
  apply();
}

void LRScheduler::step() {
  ++last_epoch_;
  apply();
}

void LRScheduler::set_last_epoch(std::int64_t epoch) {
  if (epoch < 0) fail("LRScheduler::set_last_epoch: epoch {} is negative", epoch);
  last_epoch_ = epoch;
  apply();
}

void LRScheduler::apply() {
  auto& groups = opt_.param_groups();
  // Groups added after the scheduler was made start from the lr they were added with.
  for (std::size_t i = base_lrs_.size(); i < groups.size(); ++i)
    base_lrs_.push_back(group_lr(groups[i], "LRScheduler"));
  last_lr_.assign(groups.size(), 0.0);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const double lr = lr_at(last_epoch_, base_lrs_[i]);
    group_lr(groups[i], "LRScheduler") = lr;
    last_lr_[i] = lr;
  }
}

StepLR::StepLR(Optimizer& opt, std::int64_t step_size, double gamma)
    : LRScheduler(opt), step_size_(step_size), gamma_(gamma) {
  if (step_size <= 0) fail("StepLR: step_size must be positive, got {}", step_size);
  init();
}
double StepLR::lr_at(std::int64_t epoch, double base_lr) const {
  return base_lr * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& opt, std::vector<std::int64_t> milestones, double gamma)
    : LRScheduler(opt), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  init();
}
double MultiStepLR::lr_at(std::int64_t epoch, double base_lr) const {
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma) : LRScheduler(opt), gamma_(gamma) {
  init();
}
double ExponentialLR::lr_at(std::int64_t epoch, double base_lr) const {
  return base_lr * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, std::int64_t T_max, double eta_min)
    : LRScheduler(opt), t_max_(T_max), eta_min_(eta_min) {
  if (T_max <= 0) fail("CosineAnnealingLR: T_max must be positive, got {}", T_max);
  init();
}
double CosineAnnealingLR::lr_at(std::int64_t epoch, double base_lr) const {
  const double c =
      std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_));
  return eta_min_ + (base_lr - eta_min_) * (1 + c) / 2;
}

LinearWarmup::LinearWarmup(Optimizer& opt, std::int64_t warmup_steps, double start_factor)
    : LRScheduler(opt), warmup_steps_(warmup_steps), start_factor_(start_factor) {
  if (warmup_steps <= 0) fail("LinearWarmup: warmup_steps must be positive, got {}", warmup_steps);
  if (!(start_factor > 0 && start_factor <= 1))
    fail("LinearWarmup: start_factor must be in (0, 1], got {}", start_factor);
  init();
}
double LinearWarmup::lr_at(std::int64_t epoch, double base_lr) const {
  const double frac =
      static_cast<double>(std::min(epoch, warmup_steps_)) / static_cast<double>(warmup_steps_);
  return base_lr * (start_factor_ + (1 - start_factor_) * frac);
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, ReduceLROnPlateauOptions o)
    : opt_(opt), o_(o) {
  if (!(o.factor < 1 && o.factor >= 0))
    fail("ReduceLROnPlateau: factor must be in [0, 1), got {}", o.factor);
  if (o.patience < 0) fail("ReduceLROnPlateau: patience must be >= 0, got {}", o.patience);
  if (o.cooldown < 0) fail("ReduceLROnPlateau: cooldown must be >= 0, got {}", o.cooldown);
  if (!(o.threshold >= 0)) fail("ReduceLROnPlateau: threshold must be >= 0, got {}", o.threshold);
  if (!(o.min_lr >= 0)) fail("ReduceLROnPlateau: min_lr must be >= 0, got {}", o.min_lr);
  const double inf = std::numeric_limits<double>::infinity();
  best_ = o.mode == PlateauMode::Min ? inf : -inf;
  read_lrs();
}

bool ReduceLROnPlateau::is_better(double a) const {
  const bool rel = o_.threshold_mode == ThresholdMode::Rel;
  if (o_.mode == PlateauMode::Min)
    return rel ? a < best_ * (1 - o_.threshold) : a < best_ - o_.threshold;
  return rel ? a > best_ * (1 + o_.threshold) : a > best_ + o_.threshold;
}

void ReduceLROnPlateau::read_lrs() {
  last_lr_.clear();
  for (auto& g : opt_.param_groups()) last_lr_.push_back(group_lr(g, "ReduceLROnPlateau"));
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during cooldown do not count
  }
  if (num_bad_epochs_ > o_.patience) {
    for (auto& g : opt_.param_groups()) {
      double& lr = group_lr(g, "ReduceLROnPlateau");
      const double new_lr = std::max(lr * o_.factor, o_.min_lr);
      if (lr - new_lr > o_.eps) lr = new_lr;
    }
    cooldown_counter_ = o_.cooldown;
    num_bad_epochs_ = 0;
  }
  read_lrs();
}

}  // namespace tg::optim
