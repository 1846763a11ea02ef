// Learning-rate schedulers: the lr sequence of each against values worked out by hand.
#include <cmath>
#include <numbers>

#include "helpers.hpp"
#include "tapegrad/optim/optim.hpp"

using namespace tg;
using namespace tg::optim;

namespace {

Tensor param() {
  Tensor p = zeros({2}, DType::Float64);
  p.requires_grad_();
  return p;
}

// lr of group 0 at epochs 0..n-1 (the constructor sets epoch 0; each step() moves one epoch),
// checking that get_last_lr() and the group's option agree.
std::vector<double> lrs(Optimizer& opt, LRScheduler& s, int n) {
  std::vector<double> out;
  for (int e = 0; e < n; ++e) {
    if (e > 0) s.step();
    REQUIRE(s.last_epoch() == e);
    REQUIRE(s.get_last_lr().size() == opt.param_groups().size());
    REQUIRE(s.get_last_lr()[0] == opt.param_groups()[0].options.at("lr"));
    out.push_back(s.get_last_lr()[0]);
  }
  return out;
}

void require_seq(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("epoch " << i);
    REQUIRE(got[i] == Approx(want[i]).epsilon(1e-12).margin(1e-15));
  }
}

}  // namespace

TEST_CASE("StepLR", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.1});
  StepLR s(opt, 3, 0.5);
  // 0.1 for epochs 0-2, halved every 3 epochs.
  require_seq(lrs(opt, s, 8), {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025});
}

TEST_CASE("MultiStepLR", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  MultiStepLR s(opt, {5, 2}, 0.1);  // milestones given unsorted
  require_seq(lrs(opt, s, 7), {1, 1, 0.1, 0.1, 0.1, 0.01, 0.01});
}

TEST_CASE("ExponentialLR", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.2});
  ExponentialLR s(opt, 0.9);
  // 0.2 * 0.9^e
  require_seq(lrs(opt, s, 5), {0.2, 0.18, 0.162, 0.1458, 0.13122});
}

TEST_CASE("CosineAnnealingLR", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.1});
  CosineAnnealingLR s(opt, 10, 0.001);
  const auto got = lrs(opt, s, 11);
  // Closed form: eta_min + (base - eta_min) * (1 + cos(pi * e / T_max)) / 2.
  for (int e = 0; e <= 10; ++e) {
    INFO("epoch " << e);
    const double want = 0.001 + 0.099 * (1 + std::cos(std::numbers::pi * e / 10)) / 2;
    REQUIRE(got[static_cast<std::size_t>(e)] == Approx(want).epsilon(1e-12));
  }
  // By hand: epoch 0 = base, epoch 5 = midpoint 0.001 + 0.099/2, epoch 10 = eta_min;
  // epoch 2: cos(pi/5) = 0.80901699437 -> 0.001 + 0.099 * 0.904508497 = 0.0905463412.
  REQUIRE(got[0] == Approx(0.1));
  REQUIRE(got[2] == Approx(0.0905463412).epsilon(1e-9));
  REQUIRE(got[5] == Approx(0.0505));
  REQUIRE(got[10] == Approx(0.001));
}

TEST_CASE("LinearWarmup", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.2});
  LinearWarmup s(opt, 4, 0.25);
  // 0.2 * (0.25 + 0.75 * min(e, 4) / 4)
  require_seq(lrs(opt, s, 7), {0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2});
}

TEST_CASE("schedulers scale each group from its own base lr", "[optim][scheduler]") {
  Tensor a = param(), b = param();
  SGD opt(std::vector<ParamGroup>{{{a}, {}}, {{b}, {{"lr", 1.0}}}}, {.lr = 0.1});
  StepLR s(opt, 1, 0.5);
  s.step();
  s.step();
  REQUIRE(s.get_last_lr() == std::vector<double>{0.025, 0.25});
  REQUIRE(s.base_lrs() == std::vector<double>{0.1, 1.0});
  // Resuming at epoch 1.
  s.set_last_epoch(1);
  REQUIRE(s.get_last_lr() == std::vector<double>{0.05, 0.5});
  REQUIRE(opt.param_groups()[1].options.at("lr") == 0.5);
}

TEST_CASE("the optimizer uses the lr the scheduler set", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  StepLR s(opt, 1, 0.5);
  for (int e = 0; e < 3; ++e) {  // lr 1, 0.5, 0.25 with grad 1: p = -(1 + 0.5 + 0.25)
    p.set_grad(ones({2}, DType::Float64));
    opt.step();
    s.step();
  }
  tgtest::require_values(p, {-1.75, -1.75}, 1e-12);
}

TEST_CASE("ReduceLROnPlateau: patience and relative threshold", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  ReduceLROnPlateau s(opt, {.factor = 0.5, .patience = 2});
  // epoch: metric -> best, bad epochs, lr
  //  1: 10     -> 10, 0, 1
  //  2: 9      -> 9, 0, 1
  //  3: 9      -> 9, 1, 1
  //  4: 8.9995 -> not better than 9 * (1 - 1e-4) = 8.9991: bad 2, lr 1
  //  5: 9      -> bad 3 > patience 2: lr 0.5, bad reset to 0
  //  6: 9      -> bad 1;  7: bad 2;  8: bad 3 -> lr 0.25
  //  9: 8      -> better: best 8, bad 0, lr 0.25
  const std::vector<double> metrics = {10, 9, 9, 8.9995, 9, 9, 9, 9, 8};
  const std::vector<double> want = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25};
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    INFO("epoch " << i + 1);
    s.step(metrics[i]);
    REQUIRE(s.get_last_lr()[0] == want[i]);
    REQUIRE(opt.param_groups()[0].options.at("lr") == want[i]);
  }
  REQUIRE(s.best() == 8);
  REQUIRE(s.num_bad_epochs() == 0);
}

TEST_CASE("ReduceLROnPlateau: max mode, cooldown and min_lr", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  ReduceLROnPlateau s(opt,
                      {.mode = PlateauMode::Max, .patience = 0, .cooldown = 2, .min_lr = 0.005});
  //  1: 1   -> best 1
  //  2: 0.5 -> bad 1 > 0: lr 0.1, cooldown 2
  //  3: 0.5 -> cooldown 2 -> 1, bad reset
  //  4: 0.5 -> cooldown 1 -> 0, bad reset
  //  5: 0.5 -> bad 1: lr 0.01, cooldown 2
  //  6, 7: cooldown;  8: lr max(0.001, 0.005) = 0.005;  11: 0.005 stays (min_lr)
  //  12: 2  -> better in max mode: best 2
  const std::vector<double> metrics = {1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2};
  const std::vector<double> want = {1,    0.1,   0.1,   0.1,   0.01,  0.01,
                                    0.01, 0.005, 0.005, 0.005, 0.005, 0.005};
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    INFO("epoch " << i + 1);
    s.step(metrics[i]);
    REQUIRE(s.get_last_lr()[0] == Approx(want[i]).epsilon(1e-12));
  }
  REQUIRE(s.best() == 2);
}

TEST_CASE("ReduceLROnPlateau: absolute threshold", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 1.0});
  ReduceLROnPlateau s(opt, {.patience = 0, .threshold = 0.5, .threshold_mode = ThresholdMode::Abs});
  s.step(10);   // best 10
  s.step(9.6);  // not below 10 - 0.5: reduce to 0.1
  REQUIRE(s.get_last_lr()[0] == Approx(0.1));
  s.step(9.4);  // below 9.5: better
  REQUIRE(s.get_last_lr()[0] == Approx(0.1));
  REQUIRE(s.best() == 9.4);
}

TEST_CASE("errors: scheduler arguments", "[optim][scheduler]") {
  Tensor p = param();
  SGD opt({p}, {.lr = 0.1});
  REQUIRE_THROWS_WITH(StepLR(opt, 0), Catch::Contains("StepLR") && Catch::Contains("step_size"));
  REQUIRE_THROWS_WITH(CosineAnnealingLR(opt, 0), Catch::Contains("T_max"));
  REQUIRE_THROWS_WITH(LinearWarmup(opt, 0), Catch::Contains("warmup_steps"));
  REQUIRE_THROWS_WITH(LinearWarmup(opt, 5, 0.0), Catch::Contains("start_factor"));
  REQUIRE_THROWS_WITH(ReduceLROnPlateau(opt, {.factor = 1.0}), Catch::Contains("factor"));
  REQUIRE_THROWS_WITH(ReduceLROnPlateau(opt, {.patience = -1}), Catch::Contains("patience"));
  REQUIRE_THROWS_WITH(ReduceLROnPlateau(opt, {.min_lr = -1}), Catch::Contains("min_lr"));
  REQUIRE(opt.param_groups()[0].options.at("lr") == 0.1);  // failed constructors changed nothing
}
