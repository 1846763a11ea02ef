// train/: the progress bar text, durations, count_correct, evaluate and the JSON run log.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "tapegrad/data/loader.hpp"
#include "tapegrad/nn/linear.hpp"
#include "tapegrad/train/metrics.hpp"
#include "tapegrad/train/progress.hpp"
#include "tapegrad/train/runlog.hpp"

using namespace tg;

TEST_CASE("progress: the bar line has batch, loss, accuracy, speed and ETA", "[train]") {
  // 3 of 10 batches with width 10: 3 '=' then '>' then 6 spaces.
  const std::string s =
      train::ProgressBar::render("epoch 2/5", 3, 10, 10, 0.41234, 0.8512, 6120.4, 75);
  REQUIRE(s == "epoch 2/5 [===>      ] 3/10  loss 0.4123  acc 85.12%  6120 img/s  ETA 1m15s");
  const std::string done = train::ProgressBar::render("e", 10, 10, 4, 0, 1, 0, 0);
  REQUIRE(done == "e [====] 10/10  loss 0.0000  acc 100.00%  0 img/s  ETA 0s");
}

TEST_CASE("progress: durations and a non-terminal stream", "[train]") {
  REQUIRE(train::format_duration(42.4) == "42s");
  REQUIRE(train::format_duration(185) == "3m05s");
  REQUIRE(train::format_duration(3720) == "1h02m");
  REQUIRE(train::format_duration(-1) == "?");
  // A file is not a terminal: nothing is drawn.
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    train::ProgressBar bar(5, {.label = "x", .out = f});
    REQUIRE_FALSE(bar.interactive());
    bar.update(1, 1.0, 0.5, 10);
  }
  REQUIRE(std::ftell(f) == 0);
  // Forced on, it draws with a carriage return.
  {
    train::ProgressBar bar(5, {.label = "x", .out = f, .interactive = 1});
    bar.update(5, 1.0, 0.5, 10);
  }
  REQUIRE(std::ftell(f) > 0);
  std::fclose(f);
}

TEST_CASE("metrics: count_correct and RunningMean", "[train]") {
  // Row argmaxes: 1, 0, 2; targets 1, 2, 2 -> 2 correct.
  const Tensor logits = tensor({0.1, 0.9, 0.0, 5, 1, 2, -1, -2, 3}, {3, 3});
  REQUIRE(train::count_correct(logits, int64_tensor({1, 2, 2}, {3})) == 2);
  REQUIRE_THROWS_WITH(train::count_correct(logits, int64_tensor({1, 2}, {2})),
                      Catch::Contains("expected logits [N, C] and targets [N]"));
  train::RunningMean m;
  m.add(1.0, 3);  // (1*3 + 2*1) / 4 = 1.25
  m.add(2.0, 1);
  REQUIRE(m.mean() == Approx(1.25));
  REQUIRE(m.count() == 4);
}

TEST_CASE("metrics: evaluate gives the mean cross-entropy and accuracy by hand", "[train]") {
  // A 2-class linear model with weight identity and zero bias: logits = inputs.
  auto model = std::make_shared<nn::Linear>(2, 2);
  {
    NoGradGuard ng;
    model->weight.copy_(eye(2));
    model->bias.zero_();
  }
  // Inputs (2, 0) and (0, 0): argmax 0 and (tie) 0; targets 0 and 1 -> accuracy 1/2.
  // Loss: -log softmax: row 1: log(1 + e^-2) = 0.126928; row 2: log 2 = 0.693147. Mean 0.410038.
  auto ds = std::make_shared<data::TensorDataset>(tensor({2, 0, 0, 0}, {2, 2}),
                                                  int64_tensor({0, 1}, {2}));
  data::DataLoader loader(ds, {.batch_size = 1});
  model->train();
  const train::EvalResult r = train::evaluate(*model, loader);
  REQUIRE(r.examples == 2);
  REQUIRE(r.accuracy == Approx(0.5));
  REQUIRE(r.loss == Approx(0.410038).epsilon(1e-5));
  REQUIRE(model->is_training());  // the mode is restored
}

TEST_CASE("run log: JSON with the documented keys round-trips", "[train]") {
  train::RunLog log;
  log.set("model", std::string("lenet5"));
  log.set("activation", std::string("prelu"));
  log.set("parameters", std::int64_t{61710});
  log.set("lr", 0.001);
  log.add_epoch({.epoch = 1,
                 .train_loss = 0.5,
                 .train_accuracy = 0.8,
                 .test_loss = 0.4,
                 .test_accuracy = 0.85,
                 .epoch_seconds = 12.5,
                 .images_per_second = 4800});
  log.add_epoch({.epoch = 2,
                 .train_loss = 0.3,
                 .train_accuracy = 0.9,
                 .test_loss = 0.35,
                 .test_accuracy = 0.1 + 0.77,
                 .epoch_seconds = 12,
                 .images_per_second = 5000});
  const train::RunLog back = train::RunLog::from_json(log.to_json());
  REQUIRE(back.epochs().size() == 2);
  REQUIRE(back.epochs()[1].test_accuracy == 0.1 + 0.77);  // exact: doubles round-trip
  REQUIRE(std::get<std::int64_t>(back.info().at("parameters")) == 61710);
  REQUIRE(std::get<std::string>(back.info().at("model")) == "lenet5");
  const std::string text = log.to_json();
  for (const char* key :
       {"\"model\"", "\"activation\"", "\"parameters\"", "\"train_loss\"", "\"test_loss\"",
        "\"test_accuracy\"", "\"epoch_seconds\"", "\"images_per_second\""})
    REQUIRE(text.find(key) != std::string::npos);
  const auto path = std::filesystem::temp_directory_path() / "tg_runlog_test.json";
  log.write(path.string());
  std::ifstream in(path);
  const std::string read((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(train::RunLog::from_json(read).epochs().size() == 2);
  std::filesystem::remove(path);
  REQUIRE_THROWS_WITH(train::RunLog::from_json("{\"epochs\": [1], \"train_loss\": []}"),
                      Catch::Contains("run log"));
  REQUIRE_THROWS_WITH(train::RunLog::from_json("[1, 2"), Catch::Contains("invalid JSON"));
}

TEST_CASE("run log: validation results and the epoch chosen on them", "[train]") {
  train::RunLog log;
  REQUIRE(log.best_validation_epoch() == 0);
  log.add_epoch({.epoch = 1, .test_accuracy = 0.80, .val_loss = 0.6, .val_accuracy = 0.79});
  log.add_epoch({.epoch = 2, .test_accuracy = 0.84, .val_loss = 0.5, .val_accuracy = 0.83});
  log.add_epoch({.epoch = 3, .test_accuracy = 0.86, .val_loss = 0.5, .val_accuracy = 0.83});
  REQUIRE(log.has_validation());
  REQUIRE(log.best_validation_epoch() == 2);  // the earliest of the tied best
  const std::string text = log.to_json();
  REQUIRE(text.find("\"val_accuracy\"") != std::string::npos);
  REQUIRE(text.find("\"best_validation_epoch\": 2") != std::string::npos);
  const train::RunLog back = train::RunLog::from_json(text);
  REQUIRE(back.epochs()[1].val_accuracy == 0.83);
  REQUIRE(back.best_validation_epoch() == 2);
  REQUIRE(back.info().count("best_validation_epoch") == 0);  // derived, not a setting
  // Without a split there are no validation lists, and reading gives NaN.
  train::RunLog plain;
  plain.add_epoch({.epoch = 1, .test_accuracy = 0.8});
  REQUIRE(plain.to_json().find("val_") == std::string::npos);
  REQUIRE(!plain.has_validation());
  REQUIRE(std::isnan(train::RunLog::from_json(plain.to_json()).epochs()[0].val_accuracy));
}
