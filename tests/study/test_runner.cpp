// The study's plan and runner: the grid and its keys, plan validation, the JSON and TOML forms of
// a plan, the paired design's shared initial draws, and a run resumed from a checkpoint giving the
// uninterrupted run's bits (on synthetic data; examples/check_study_*.{sh,cmake} do it on
// Fashion-MNIST through the study program, with worker processes and a SIGKILL).
#include "helpers.hpp"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "models/models.hpp"
#include "tapegrad/study/plan.hpp"
#include "tapegrad/study/runner.hpp"

using namespace tg;
using Catch::Matchers::Contains;

namespace {

study::Plan small_plan() {
  study::Plan p;
  p.arms = {"relu", "prelu"};
  p.models = {"lenet5"};
  p.seeds = {1, 2};
  return p;
}

study::ModelFactory factory() {
  return [](const train::Recipe& r, Generator* gen) -> std::shared_ptr<nn::Module> {
    return models::make(r.model, {.activation = r.activation, .init = r.init}, gen);
  };
}

// 600 training and 200 test images of noise with random labels: enough to train, evaluate,
// split and probe, without reading a dataset.
train::ClassifierData synthetic_data() {
  Generator gen(11);
  auto images = [&](std::int64_t n) { return randn({n, 1, 28, 28}, DType::Float32, &gen); };
  auto labels = [&](std::int64_t n) {
    std::vector<std::int64_t> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<std::int64_t>(gen.next_u64() % 10);
    return int64_tensor(v);
  };
  std::vector<std::string> classes;
  for (int i = 0; i < 10; ++i) classes.push_back(std::to_string(i));
  train::ClassifierData d;
  d.root = "synthetic";
  d.classes = classes;
  d.all_train = std::make_shared<data::TensorDataset>(images(600), labels(600), classes);
  d.train = d.all_train;
  d.test = std::make_shared<data::TensorDataset>(images(200), labels(200), classes);
  return d;
}

void require_same_result(const study::RunResult& a, const study::RunResult& b) {
  REQUIRE(a.epochs.size() == b.epochs.size());
  for (std::size_t i = 0; i < a.epochs.size(); ++i) {
    const study::EpochRow &x = a.epochs[i], &y = b.epochs[i];
    CHECK(x.epoch == y.epoch);
    CHECK(x.train_loss == y.train_loss);
    CHECK(x.train_accuracy == y.train_accuracy);
    CHECK(x.val_loss == y.val_loss);
    CHECK(x.val_accuracy == y.val_accuracy);
    CHECK(x.test_loss == y.test_loss);
    CHECK(x.test_accuracy == y.test_accuracy);
  }
  REQUIRE(a.diagnostics.size() == b.diagnostics.size());
  for (std::size_t i = 0; i < a.diagnostics.size(); ++i) {
    CHECK(a.diagnostics[i].layer == b.diagnostics[i].layer);
    CHECK(a.diagnostics[i].metric == b.diagnostics[i].metric);
    CHECK(std::bit_cast<std::uint64_t>(a.diagnostics[i].value) ==
          std::bit_cast<std::uint64_t>(b.diagnostics[i].value));
  }
  REQUIRE(a.series.size() == b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) CHECK(a.series[i].data == b.series[i].data);
  CHECK(a.best_val_epoch == b.best_val_epoch);
  CHECK(a.test_at_best_val == b.test_at_best_val);
  CHECK(a.test_at_last == b.test_at_last);
  CHECK(a.parameters == b.parameters);
  CHECK(a.activation_parameters == b.activation_parameters);
}

}  // namespace

TEST_CASE("plan: the grid runs seed by seed, every arm of a seed together, with readable keys") {
  study::Plan p = small_plan();
  p.optimizers = {{"adam", 1e-3}, {"sgd", 0.05}};
  const std::vector<study::RunSpec> runs = study::plan_runs(p);
  REQUIRE(runs.size() == 8);
  CHECK(runs[0].key == "lenet5/adam/lr=0.001/relu/seed=1");
  CHECK(runs[1].key == "lenet5/adam/lr=0.001/prelu/seed=1");
  CHECK(runs[2].key == "lenet5/sgd/lr=0.05/relu/seed=1");
  CHECK(runs[4].key == "lenet5/adam/lr=0.001/relu/seed=2");
  CHECK(runs[7].key == "lenet5/sgd/lr=0.05/prelu/seed=2");
  CHECK(runs[7].arm == "prelu");
  CHECK(runs[7].optimizer == "sgd");
  CHECK(runs[7].lr == 0.05);
  CHECK(runs[7].seed == 2);
  const train::Recipe r = study::run_recipe(p, runs[7]);
  CHECK(r.activation == "prelu");
  CHECK(r.optimizer == "sgd");
  CHECK(r.lr == 0.05);
  CHECK(r.seed == 2);
  CHECK(r.epochs == 3);
  CHECK(r.val_split == 5000);
  CHECK(r.weight_decay == 1e-4);
}

TEST_CASE("plan: invalid plans are errors that name the problem") {
  auto fails = [](study::Plan p, const std::string& what) {
    REQUIRE_THROWS_WITH(study::validate(p, models::names()), Contains(what));
  };
  study::Plan p = small_plan();
  REQUIRE_NOTHROW(study::validate(p, models::names()));
  p.arms = {};
  fails(p, "no activations");
  p = small_plan();
  p.arms.push_back("relu");
  fails(p, "'relu' is listed twice");
  p = small_plan();
  p.arms.push_back("no_such_activation");
  fails(p, "no_such_activation");
  p = small_plan();
  p.models = {"lenet6"};
  fails(p, "unknown model 'lenet6'");
  p = small_plan();
  p.baseline = "swish";
  fails(p, "the baseline 'swish' is not one of the activations");
  p = small_plan();
  p.seeds = {3, 3};
  fails(p, "seed 3 is listed twice");
  p = small_plan();
  p.recipe.val_split = 100;
  fails(p, "probe set (512 images) comes from the validation split");
  p = small_plan();
  p.optimizers = {{"adagrad", 0.1}};
  fails(p, "optimizer 'adagrad'");
}

TEST_CASE("plan: JSON round trip and a TOML study file") {
  study::Plan p = small_plan();
  p.arms = {"relu", "prelu(init=0.1, per_channel=true)"};
  p.optimizers = {{"adamw", 3e-4}};
  p.recipe.limit_train = 1234;
  p.recipe.hidden = {64, 32};
  p.monitor.hist_bins = 20;
  const study::Plan q = study::plan_from_json(study::to_json(p));
  CHECK(q.arms == p.arms);
  CHECK(q.optimizers.size() == 1);
  CHECK(q.optimizers[0].name == "adamw");
  CHECK(q.optimizers[0].lr == 3e-4);
  CHECK(q.recipe.limit_train == 1234);
  CHECK(q.recipe.hidden == std::vector<std::int64_t>{64, 32});
  CHECK(q.monitor.hist_bins == 20);
  CHECK(study::to_json(q) == study::to_json(p));
  REQUIRE_THROWS_WITH(study::plan_from_json("{\"arms\": [\"relu\"]}"), Contains("is missing"));

  tgtest::TempDir dir;
  const std::string path = (dir.path / "study.toml").string();
  tgtest::write_file(path, R"(arms = ["relu", "pau"]
models = ["lenet5", "mlp"]
seeds = 4
baseline = "relu"
[[optimizers]]
name = "sgd"
lr = [0.01, 0.1]
[recipe]
epochs = 2
val_split = 1000
limit_train = 6000
augment = true
[monitor]
probe_size = 256
hist_bins = 24
)");
  const study::Plan t = study::read_plan_toml(path);
  CHECK(t.arms == std::vector<std::string>{"relu", "pau"});
  CHECK(t.models == std::vector<std::string>{"lenet5", "mlp"});
  CHECK(t.seeds == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(t.baseline == "relu");
  REQUIRE(t.optimizers.size() == 2);
  CHECK(t.optimizers[1].name == "sgd");
  CHECK(t.optimizers[1].lr == 0.1);
  CHECK(t.recipe.epochs == 2);
  CHECK(t.recipe.val_split == 1000);
  CHECK(t.recipe.limit_train == 6000);
  CHECK(t.recipe.augment);
  CHECK(t.recipe.weight_decay == 1e-4);  // the study's default where the file is silent
  CHECK(t.probe_size == 256);
  CHECK(t.monitor.hist_bins == 24);
  CHECK(study::plan_runs(t).size() == 2 * 2 * 2 * 4);
  REQUIRE_NOTHROW(study::validate(t, models::names()));

  tgtest::write_file(path, "arms = [\"relu\"]\n[recipe]\nepochs = \"three\"\n");
  REQUIRE_THROWS_WITH(study::read_plan_toml(path),
                      Contains(":3: 'recipe.epochs' must be an integer"));
  tgtest::write_file(path, "arms = [\"relu\"]\nlearning_rate = 0.1\n");
  REQUIRE_THROWS_WITH(study::read_plan_toml(path), Contains(":2: unknown key 'learning_rate'"));
  tgtest::write_file(path, "arms = [\"relu\"\n");
  REQUIRE_THROWS_WITH(study::read_plan_toml(path), Contains(path));
}

TEST_CASE("paired design: the arms of a seed draw the same initial weights, scaled by the gain") {
  // He init: w = gain / sqrt(fan_in) * z with the same draws z for every arm. relu's gain is
  // sqrt(2), prelu's (slope 0.25) sqrt(2 / (1 + 0.25^2)); the output layer has gain 1.
  auto weights = [](const std::string& act, std::uint64_t seed) {
    Generator gen(seed);
    auto net = models::make("lenet5", {.activation = act, .init = "kaiming"}, &gen);
    std::vector<std::vector<double>> out;
    for (auto& [name, p] : net->named_parameters())
      if (name.find("weight") != std::string::npos && p.dim() > 1)
        out.push_back(p.to_vector<double>());
    return out;
  };
  const auto relu = weights("relu", 3), prelu = weights("prelu", 3), other = weights("relu", 4);
  REQUIRE(relu.size() == 5);
  REQUIRE(prelu.size() == 5);
  const double ratio = std::sqrt(2.0) / std::sqrt(2.0 / (1 + 0.25 * 0.25));
  for (std::size_t layer = 0; layer < relu.size(); ++layer) {
    const double expected = layer + 1 == relu.size() ? 1.0 : ratio;
    for (std::size_t i = 0; i < relu[layer].size(); ++i)
      REQUIRE(relu[layer][i] == Approx(expected * prelu[layer][i]).epsilon(1e-6));
  }
  CHECK(relu[0] != other[0]);  // another seed draws other weights
}

TEST_CASE("execute_run: a run resumed from an earlier epoch's checkpoint records the same bits") {
  study::Plan p = small_plan();
  p.arms = {"prelu"};
  p.recipe.val_split = 100;
  p.recipe.epochs = 3;
  p.probe_size = 64;
  const train::ClassifierData data = synthetic_data();
  const study::RunSpec run = study::plan_runs(p)[0];

  const study::RunResult whole = study::execute_run(p, run, factory(), data);
  REQUIRE(whole.epochs.size() == 3);
  CHECK(whole.parameters == 61710);
  CHECK(whole.activation_parameters == 4);
  REQUIRE(whole.best_val_epoch >= 1);
  REQUIRE(whole.best_val_epoch <= 3);
  for (const study::EpochRow& e : whole.epochs)
    CHECK(e.val_accuracy <=
          whole.epochs[static_cast<std::size_t>(whole.best_val_epoch - 1)].val_accuracy);
  CHECK(whole.test_at_best_val ==
        whole.epochs[static_cast<std::size_t>(whole.best_val_epoch - 1)].test_accuracy);
  CHECK(whole.test_at_last == whole.epochs.back().test_accuracy);
  // 4 activation layers x 3 epochs x (5 metrics + prelu's weight mean and std).
  CHECK(whole.diagnostics.size() == 4 * 3 * 7);
  // 4 layers x 3 epochs x (histogram, shape, its low and high edge, prelu's weight).
  CHECK(whole.series.size() == 4 * 3 * 5);
  for (const study::SeriesRow& s : whole.series)
    if (s.name == "param.weight") CHECK(s.data.size() == 1);

  tgtest::TempDir dir;
  const std::string ckpt = (dir.path / "run.ckpt").string();
  study::Plan two = p;
  two.recipe.epochs = 2;  // the same run stopped after epoch 2 ...
  std::vector<std::int64_t> logged;
  const study::RunResult first =
      study::execute_run(two, run, factory(), data, ckpt,
                         [&](std::int64_t epoch, const std::string&) { logged.push_back(epoch); });
  CHECK(logged == std::vector<std::int64_t>{1, 2});
  REQUIRE(std::filesystem::exists(ckpt));
  logged.clear();
  // ... and continued from its checkpoint.
  const study::RunResult resumed =
      study::execute_run(p, run, factory(), data, ckpt,
                         [&](std::int64_t epoch, const std::string&) { logged.push_back(epoch); });
  CHECK(logged == std::vector<std::int64_t>{2, 3});  // "resumed after epoch 2", then epoch 3
  require_same_result(whole, resumed);

  // A checkpoint of another run is not used.
  study::RunSpec other = run;
  other.key = "another run";
  const study::RunResult fresh = study::execute_run(p, other, factory(), data, ckpt);
  require_same_result(whole, fresh);
}

TEST_CASE("execute_run: a diverging run is an error naming the epoch and batch") {
  study::Plan p = small_plan();
  p.arms = {"relu"};
  p.recipe.val_split = 100;
  p.recipe.epochs = 1;
  p.probe_size = 0;
  p.optimizers = {{"sgd", 1e12}};
  const study::RunSpec run = study::plan_runs(p)[0];
  REQUIRE_THROWS_WITH(study::execute_run(p, run, factory(), synthetic_data()),
                      Contains("the loss is") && Contains("epoch 1 batch"));
}
