#include "common/classifier.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/data/loader.hpp"
#include "tapegrad/data/mnist.hpp"
#include "tapegrad/data/transforms.hpp"
#include "tapegrad/io/checkpoint.hpp"
#include "tapegrad/tapegrad.hpp"
#include "tapegrad/train/metrics.hpp"
#include "tapegrad/train/progress.hpp"
#include "tapegrad/train/runlog.hpp"

namespace tg::examples {

namespace {

std::string join(const std::vector<std::int64_t>& v) {
  return fmt::format("{}", fmt::join(v, ","));
}

std::vector<std::int64_t> parse_sizes(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const long long v = std::stoll(item, &used);
      TG_CHECK(used == item.size() && v > 0, "bad size '{}'", item);
      out.push_back(v);
    } catch (const std::logic_error&) {
      fail("hidden sizes: '{}' is not a comma-separated list of positive integers", text);
    }
  }
  return out;
}

std::string get(const std::map<std::string, std::string>& meta, const std::string& key) {
  const auto it = meta.find(key);
  TG_CHECK(it != meta.end(),
           "checkpoint metadata has no '{}' (was it written by train_mlp or "
           "train_cnn?)",
           key);
  return it->second;
}

models::ModelOptions model_options(const std::string& activation, const std::string& init,
                                   const std::string& cell = "tanh", std::int64_t rnn_hidden = 128,
                                   std::int64_t rnn_layers = 1) {
  models::ModelOptions o;
  o.activation = activation;
  o.init = init;
  o.cell = cell;
  o.hidden_size = rnn_hidden;
  o.num_layers = rnn_layers;
  return o;
}

std::int64_t parse_count(const std::map<std::string, std::string>& meta, const std::string& key,
                         std::int64_t fallback) {
  const auto it = meta.find(key);
  if (it == meta.end()) return fallback;
  try {
    return std::stoll(it->second);
  } catch (const std::logic_error&) {
    fail("checkpoint metadata '{}' is '{}', not a number", key, it->second);
  }
}

std::shared_ptr<nn::Sequential> build_model(const std::string& name,
                                            const std::vector<std::int64_t>& hidden,
                                            const models::ModelOptions& o, Generator* gen) {
  if (name == "mlp") {
    std::vector<std::int64_t> sizes{o.in_channels * o.image_size * o.image_size};
    sizes.insert(sizes.end(), hidden.begin(), hidden.end());
    sizes.push_back(o.num_classes);
    return models::mlp(sizes, o, gen);
  }
  return models::make(name, o, gen);
}

}  // namespace

std::string activation_parameter_report(nn::Module& model) {
  std::string out;
  for (auto& [name, m] : model.named_modules()) {
    auto* a = dynamic_cast<act::Activation*>(m);
    if (!a) continue;
    for (auto& [pname, p] : a->named_parameters(false)) {
      const std::vector<double> v = p.to_vector<double>();
      std::string values;
      for (std::size_t i = 0; i < std::min<std::size_t>(v.size(), 8); ++i)
        values += fmt::format(" {:.4f}", v[i]);
      if (v.size() > 8) values += " ...";
      out += fmt::format("  {}.{} [{}]:{}\n", name, pname, v.size(), values);
    }
  }
  return out;
}

std::shared_ptr<nn::Sequential> build_model(const train::Recipe& r, Generator* gen) {
  return build_model(r.model, r.hidden,
                     model_options(r.activation, r.init, r.cell_act, r.rnn_hidden, r.rnn_layers),
                     gen);
}

void add_train_flags(CLI::App& app, TrainConfig& c, bool sequence) {
  app.add_option("--data", c.data, "directory with the IDX files (default: the dataset's)");
  app.add_option("--dataset", c.dataset, "fashion-mnist or mnist")
      ->check(CLI::IsMember({"fashion-mnist", "mnist"}))
      ->capture_default_str();
  if (sequence) {
    // The sequence programs name the recurrent cell, its gate and cell activations and its size.
    app.add_option("--cell", c.model, "the recurrent layer: lstm, gru or rnn")
        ->check(CLI::IsMember({"lstm", "gru", "rnn"}))
        ->capture_default_str();
    app.add_option("--gate,--act", c.activation,
                   "gate activation spec of lstm and gru (rnn: its nonlinearity), e.g. sigmoid, "
                   "\"sigmoid_beta(per_channel=true)\"")
        ->capture_default_str();
    app.add_option("--cell-act", c.cell_act, "cell activation spec of lstm and gru")
        ->capture_default_str();
    app.add_option("--hidden", c.rnn_hidden, "hidden size")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--layers", c.rnn_layers, "stacked recurrent layers")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
  } else {
    app.add_option("--model", c.model,
                   "mlp, lenet5, vgg_small, resnet_small, or a sequence model: lstm, gru, rnn")
        ->capture_default_str();
    app.add_option_function<std::string>(
           "--hidden", [&c](const std::string& s) { c.hidden = parse_sizes(s); },
           "mlp hidden sizes, comma-separated")
        ->default_str(join(c.hidden));
    app.add_option("--act", c.activation, "activation spec, e.g. relu, \"prelu(init=0.1)\", pau")
        ->capture_default_str();
  }
  app.add_option("--init", c.init, "kaiming (with the activation's gain), xavier or default")
      ->check(CLI::IsMember({"kaiming", "xavier", "default"}))
      ->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "sgd, adam or adamw")
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  app.add_option("--lr", c.lr, "learning rate")->capture_default_str();
  app.add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str();
  app.add_option("--weight-decay", c.weight_decay,
                 "weight decay (L2 for sgd/adam, decoupled for adamw)")
      ->capture_default_str();
  app.add_option("--act-lr", c.act_lr, "learning rate of activation parameters (default: --lr)");
  app.add_option("--act-weight-decay", c.act_weight_decay, "weight decay of activation parameters")
      ->capture_default_str();
  app.add_option("--epochs", c.epochs, "epochs")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", c.batch_size, "mini-batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", c.seed, "random seed (init, shuffling, dropout)")->capture_default_str();
  app.add_option("--threads", c.threads, "threads (0: OpenMP's default)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--limit-train", c.limit_train, "use only the first N training images")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--val-split", c.val_split,
                 "hold N training images out for validation (a random split fixed by --seed): "
                 "each epoch is evaluated on them, and the test accuracy is also reported at the "
                 "epoch with the best validation accuracy")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--limit-test", c.limit_test, "use only the first N test images")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--augment", c.augment, "random crop (padding 2) and horizontal flip");
  app.add_option("--clip-grad-norm", c.clip_grad_norm,
                 "scale the gradients to at most this global L2 norm each step (0: off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--normalize,!--no-normalize", c.normalize,
               "standardise pixels with the training set's mean and std (default on)");
  app.add_option("--save", c.save, "write a checkpoint here after every epoch");
  app.add_option("--resume", c.resume, "continue the run saved in this checkpoint");
  app.add_option("--json", c.json, "write the run summary (per-epoch metrics) as JSON here");
  app.add_option("--stop-after", c.stop_after, "stop after this many epochs of this run")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--require-accuracy", c.require_accuracy,
                 "exit with status 1 if the final test accuracy is below this fraction");
  app.add_option("--progress", c.progress, "progress bar: -1 auto, 0 off, 1 on");
  app.add_option("--profile", c.profile,
                 "profile the training: write a Chrome trace (Perfetto, chrome://tracing) here and "
                 "print the per-op and per-module tables");
  app.add_flag("--detect-anomaly", c.detect_anomaly,
               "anomaly mode: stop at the first op that makes a NaN or Inf, forward or backward, "
               "and name it with its line and module");
}

std::shared_ptr<nn::Sequential> model_from_metadata(
    const std::map<std::string, std::string>& meta) {
  const std::string name = get(meta, "model");
  std::vector<std::int64_t> hidden;
  if (name == "mlp") hidden = parse_sizes(get(meta, "hidden"));
  Generator gen(0);
  const auto cell = meta.find("cell");
  return build_model(
      name, hidden,
      model_options(get(meta, "activation"), get(meta, "init"),
                    cell == meta.end() ? "tanh" : cell->second,
                    parse_count(meta, "rnn_hidden", 128), parse_count(meta, "rnn_layers", 1)),
      &gen);
}

int run_training(const TrainConfig& c, const std::string& program) {
  // --- data
  const train::ClassifierData d = train::load_classifier_data(c);
  const auto& train_set = d.train;
  const auto& test_set = d.test;
  const auto& val_set = d.val;
  const double mean = d.mean, sd = d.std;

  // --- model
  train::begin_run(c);
  Generator init_gen(c.seed);
  auto model = build_model(c, &init_gen);
  std::int64_t n_act = 0;
  for (const Tensor& p : nn::activation_parameters(*model)) n_act += p.numel();
  fmt::print("{}: {} with {} ({} init), {} parameters ({} in activations)\n", program, c.model,
             c.activation, c.init, model->num_parameters(), n_act);
  fmt::print("{}", nn::summary(*model, {1, 1, 28, 28}));
  fmt::print("data: {} from {}: {} training, {}{} test images\n", c.dataset, d.root,
             train_set->size(),
             val_set ? fmt::format("{} validation (held out of training), ", val_set->size()) : "",
             test_set->size());

  // --- optimizer: activation parameters in their own group (their own lr, no decay by default)
  train::ClassifierTrainer trainer(*model, c, d);
  optim::Optimizer* opt = &trainer.optimizer();
  const double act_lr = c.act_lr < 0 ? c.lr : c.act_lr;
  fmt::print("optimizer: {} lr {} weight_decay {}{}; batch {}, {} epochs, seed {}, {} threads\n",
             c.optimizer, c.lr, c.weight_decay,
             n_act == 0 ? ""
                        : fmt::format("; activation parameters lr {} weight_decay {}", act_lr,
                                      c.act_weight_decay),
             c.batch_size, c.epochs, c.seed, get_num_threads());

  // --- the run log and metadata that go into checkpoints
  train::RunLog log;
  log.set("program", program);
  log.set("model", c.model);
  log.set("activation", c.activation);
  log.set("init", c.init);
  log.set("dataset", c.dataset);
  log.set("optimizer", c.optimizer);
  log.set("lr", c.lr);
  log.set("weight_decay", c.weight_decay);
  log.set("batch_size", c.batch_size);
  log.set("seed", static_cast<std::int64_t>(c.seed));
  log.set("threads", static_cast<std::int64_t>(get_num_threads()));
  log.set("parameters", model->num_parameters());
  log.set("activation_parameters", n_act);
  log.set("train_images", train_set->size());
  log.set("test_images", test_set->size());
  if (val_set) log.set("val_images", val_set->size());
  std::map<std::string, std::string> meta{
      {"model", c.model},
      {"activation", c.activation},
      {"init", c.init},
      {"dataset", c.dataset},
      {"hidden", join(c.hidden)},
      {"cell", c.cell_act},
      {"rnn_hidden", fmt::format("{}", c.rnn_hidden)},
      {"rnn_layers", fmt::format("{}", c.rnn_layers)},
      {"mean", fmt::format("{}", mean)},
      {"std", fmt::format("{}", sd)},
      {"classes", fmt::format("{}", fmt::join(train_set->classes(), "|"))}};

  std::int64_t start_epoch = 0;
  if (!c.resume.empty()) {
    io::Checkpoint ck = io::load_checkpoint(c.resume);
    for (const char* key : {"model", "activation", "init", "dataset"}) {
      const auto it = ck.metadata.find(key);
      TG_CHECK(it != ck.metadata.end() && it->second == meta[key],
               "--resume {}: the checkpoint was trained with {} '{}', this run asks for '{}'",
               c.resume, key, it == ck.metadata.end() ? "?" : it->second, meta[key]);
    }
    model->load_state_dict(ck.model);
    opt->load_state_dict(ck.optimizer);
    if (ck.rng) default_generator().set_state(*ck.rng);
    start_epoch = ck.epoch;
    if (auto it = ck.metadata.find("run_log"); it != ck.metadata.end()) {
      const train::RunLog old = train::RunLog::from_json(it->second);
      for (const auto& e : old.epochs())
        if (e.epoch <= start_epoch) log.add_epoch(e);
    }
    fmt::print("resumed from {} after epoch {}\n", c.resume, start_epoch);
  }

  // --- training
  const std::int64_t last_epoch =
      c.stop_after > 0 ? std::min(c.epochs, start_epoch + c.stop_after) : c.epochs;
  double final_accuracy = log.epochs().empty() ? 0 : log.epochs().back().test_accuracy;
  std::optional<DetectAnomalyGuard> anomaly;
  if (c.detect_anomaly) {
    anomaly.emplace();
    fmt::print("anomaly mode: on\n");
  }
  std::optional<profiler::Profile> prof;
  if (!c.profile.empty()) prof.emplace();
  for (std::int64_t epoch = start_epoch; epoch < last_epoch; ++epoch) {
    const train::EpochRecord rec =
        trainer.run_epoch(epoch, {.progress = c.progress, .profile = prof ? &*prof : nullptr});
    const double secs = rec.epoch_seconds;
    log.add_epoch(rec);
    final_accuracy = rec.test_accuracy;
    fmt::print(
        "epoch {}/{}  train loss {:.4f} acc {:.2f}%  {}test loss {:.4f} acc {:.2f}%  "
        "{:.1f} s  {:.0f} img/s\n",
        rec.epoch, c.epochs, rec.train_loss, 100 * rec.train_accuracy,
        val_set ? fmt::format("val loss {:.4f} acc {:.2f}%  ", rec.val_loss, 100 * rec.val_accuracy)
                : "",
        rec.test_loss, 100 * rec.test_accuracy, secs, rec.images_per_second);
    std::fflush(stdout);
    if (!c.save.empty()) {
      io::Checkpoint ck;
      ck.model = model->state_dict();
      ck.optimizer = opt->state_dict();
      ck.epoch = epoch + 1;
      ck.rng = default_generator().state();
      ck.metadata = meta;
      ck.metadata["run_log"] = log.to_json(-1);
      io::save_checkpoint(c.save, ck);
    }
    if (!c.json.empty()) log.write(c.json);
  }

  if (prof) {
    prof->stop();
    prof->export_chrome_trace(c.profile);
    fmt::print("profile: {} slices; open {} in https://ui.perfetto.dev or chrome://tracing\n{}\n{}",
               prof->events().size(), c.profile, prof->table(25), prof->module_table());
  }
  if (!c.save.empty()) fmt::print("checkpoint: {}\n", c.save);
  if (!c.json.empty()) fmt::print("run log: {}\n", c.json);
  const std::string report = activation_parameter_report(*model);
  if (!report.empty()) fmt::print("learned activation parameters:\n{}", report);
  if (const std::int64_t best = log.best_validation_epoch(); best > 0) {
    const train::EpochRecord& e = log.epochs()[static_cast<std::size_t>(best - 1)];
    fmt::print(
        "best validation epoch {}: validation accuracy {:.2f}%, test accuracy at that epoch "
        "{:.2f}%\n",
        best, 100 * e.val_accuracy, 100 * e.test_accuracy);
  }
  fmt::print("final test accuracy: {:.2f}%\n", 100 * final_accuracy);
  if (c.require_accuracy > 0 && final_accuracy < c.require_accuracy) {
    fmt::print(stderr, "{}: test accuracy {:.4f} is below the required {:.4f}\n", program,
               final_accuracy, c.require_accuracy);
    return 1;
  }
  return 0;
}

}  // namespace tg::examples
