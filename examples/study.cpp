// The activation study: does an activation help? Fair multi-seed runs (paired by seed), per-layer
// diagnostics, statistics and an HTML report, from one command:
//
//   ./build/release/examples/study run --acts relu,prelu,swish_beta,pau --seeds 6 --out st
//   ./build/release/examples/study run study.toml --out st     # a full grid from a study file
//   ./build/release/examples/study status st
//   ./build/release/examples/study compare st --baseline relu
//   ./build/release/examples/study report st                   # rebuilds st/report.html
//
// Results go to st/results.sqlite as they are produced. Running `study run` again on the same
// directory continues an interrupted study: finished runs are kept, a half-finished one restarts
// from its last checkpoint. docs/study.md describes the design, the database and the report.
// The installed command runs this file as `tapegrad study` (tools/tapegrad).
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/classifier.hpp"
#include "common/entry.hpp"
#include "tapegrad/study/report.hpp"
#include "tapegrad/study/runner.hpp"
#include "tapegrad/train/runlog.hpp"

#ifndef TG_GIT_COMMIT
#define TG_GIT_COMMIT "unknown"
#endif

namespace {

using namespace tg;
namespace fs = std::filesystem;

// "relu,prelu(init=0.1, per_channel=true),pau": commas inside parentheses belong to a spec.
std::vector<std::string> split_specs(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char ch : text) {
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (ch == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else if (!(cur.empty() && ch == ' ')) {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  TG_CHECK(depth == 0, "'{}': unbalanced parentheses", text);
  return out;
}

std::string machine() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

std::string isa() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__)
  return "AVX2";
#else
  return "portable (SSE2)";
#endif
}

std::string hex(double v) { return fmt::format("{:016x}", std::bit_cast<std::uint64_t>(v)); }

std::string opt_text(const std::optional<std::int64_t>& v) {
  return v ? fmt::format("{}", *v) : "null";
}

// Every recorded number of the study except the timings, doubles as the hex of their bits:
// two studies that computed the same results print the same text.
void dump(const std::string& dir) {
  study::Store store = study::Store::open(study::results_path(dir));
  for (const study::RunRow& r : store.runs()) {
    fmt::print(
        "run {} arm={} model={} optimizer={} lr={} seed={} status={} reason={} params={} "
        "act_params={} best_val_epoch={} test_at_best_val={} test_at_last={}\n",
        r.key, r.arm, r.model, r.optimizer, hex(r.lr), r.seed, study::to_string(r.status), r.reason,
        opt_text(r.parameters), opt_text(r.activation_parameters), opt_text(r.best_val_epoch),
        hex(r.test_at_best_val), hex(r.test_at_last));
    for (const study::EpochRow& e : store.epochs(r.id))
      fmt::print("  epoch {} {} {} {} {} {} {}\n", e.epoch, hex(e.train_loss),
                 hex(e.train_accuracy), hex(e.val_loss), hex(e.val_accuracy), hex(e.test_loss),
                 hex(e.test_accuracy));
    for (const study::DiagnosticRow& d : store.diagnostics(r.id))
      fmt::print("  diag {} {} {} {}\n", d.epoch, d.layer, d.metric, hex(d.value));
    for (const study::SeriesRow& s : store.series(r.id)) {
      std::string values;
      for (double v : s.data) {
        values += ' ';
        values += hex(v);
      }
      fmt::print("  series {} {} {}{}\n", s.epoch, s.layer, s.name, values);
    }
  }
}

// One run's epochs as train_cnn --json writes them, to compare a study run with a hand run.
void write_run_log(const std::string& dir, const std::string& key, const std::string& path) {
  study::Store store = study::Store::open(study::results_path(dir));
  const std::optional<study::RunRow> run = store.run(key);
  TG_CHECK(run.has_value(), "{}: no run '{}'", dir, key);
  train::RunLog log;
  log.set("model", run->model);
  log.set("activation", run->arm);
  log.set("seed", run->seed);
  for (const study::EpochRow& e : store.epochs(run->id)) {
    train::EpochRecord rec;
    rec.epoch = e.epoch;
    rec.train_loss = e.train_loss;
    rec.train_accuracy = e.train_accuracy;
    rec.val_loss = e.val_loss;
    rec.val_accuracy = e.val_accuracy;
    rec.test_loss = e.test_loss;
    rec.test_accuracy = e.test_accuracy;
    rec.epoch_seconds = e.seconds;
    log.add_epoch(rec);
  }
  log.write(path);
}

void status(const std::string& dir) {
  study::Store store = study::Store::open(study::results_path(dir));
  const study::Status s = store.status();
  const auto info = store.study_info();
  auto get = [&](const char* k) {
    const auto it = info.find(k);
    return it == info.end() ? std::string("?") : it->second;
  };
  fmt::print("{}: {} runs: {} done, {} running, {} pending, {} failed\n", dir, s.total(), s.done,
             s.running, s.pending, s.failed);
  fmt::print("recipe: {} epochs, batch {}, {} init, validation split {}, seeds {}; baseline {}\n",
             get("epochs"), get("batch_size"), get("init"), get("val_split"), get("seeds"),
             get("baseline"));
  for (const study::RunRow& r : store.runs()) {
    if (r.status == study::RunStatus::running)
      fmt::print("  running  {} (worker {})\n", r.key, opt_text(r.worker));
    if (r.status == study::RunStatus::failed) fmt::print("  failed   {}: {}\n", r.key, r.reason);
  }
  if (s.running > 0)
    fmt::print(
        "(runs shown as running belong to a study process that is working or was "
        "stopped; `study run --out {}` continues them)\n",
        dir);
}

}  // namespace

TG_EXAMPLE_MAIN(study) {
  const std::string program = tg::examples::program_name(argv[0]);
  CLI::App app{"The activation study: multi-seed paired runs, diagnostics, statistics, a report"};
  tg::examples::name_errors(app, program);
  app.require_subcommand(1);

  // --- run
  CLI::App* run = app.add_subcommand("run", "plan and run a study (or continue one)");
  std::string toml_file, out, acts, models = "lenet5", optimizer = "adam", baseline;
  std::int64_t seeds = 6, probe_size = 512;
  double lr = 1e-3;
  int workers = 0, progress = -1;
  bool no_report = false;
  tg::study::Plan plan;
  tg::train::Recipe& r = plan.recipe;
  run->add_option("file", toml_file, "a study file (TOML) describing the grid");
  run->add_option("--out", out, "the study's directory (results.sqlite, report.html, ...)")
      ->required();
  run->add_option("--acts", acts, "activations to compare, comma-separated (the arms)");
  run->add_option("--model", models,
                  "models, comma-separated: mlp, lenet5, vgg_small, resnet_small, lstm, gru, rnn "
                  "(for lstm and gru the activations are the gates)")
      ->capture_default_str();
  run->add_option("--seeds", seeds, "number of seeds (1..N); every arm runs each seed")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  run->add_option("--baseline", baseline, "the arm to compare with (default: the first)");
  run->add_option("--optimizer", optimizer, "sgd, adam or adamw")
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  run->add_option("--lr", lr, "learning rate")->capture_default_str();
  run->add_option("--momentum", r.momentum, "SGD momentum")->capture_default_str();
  run->add_option("--weight-decay", r.weight_decay, "weight decay")->capture_default_str();
  run->add_option("--act-lr", r.act_lr, "learning rate of activation parameters (default: --lr)");
  run->add_option("--act-weight-decay", r.act_weight_decay, "weight decay of activation parameters")
      ->capture_default_str();
  run->add_option("--epochs", r.epochs, "epochs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run->add_option("--batch-size", r.batch_size, "mini-batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run->add_option("--init", r.init, "kaiming (with the activation's gain), xavier or default")
      ->check(CLI::IsMember({"kaiming", "xavier", "default"}))
      ->capture_default_str();
  run->add_option("--val-split", r.val_split,
                  "training images held out for validation: the epoch is chosen on them")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run->add_option("--limit-train", r.limit_train, "use only the first N training images")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--limit-test", r.limit_test, "use only the first N test images")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--clip-grad-norm", r.clip_grad_norm,
                  "scale the gradients to at most this global L2 norm each step (0: off)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--cell-act", r.cell_act,
                  "sequence models (lstm, gru): the cell activation; the arms are then the gates")
      ->capture_default_str();
  run->add_option("--rnn-hidden", r.rnn_hidden, "sequence models: the hidden size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run->add_option("--rnn-layers", r.rnn_layers, "sequence models: stacked layers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run->add_option("--dataset", r.dataset, "fashion-mnist or mnist")
      ->check(CLI::IsMember({"fashion-mnist", "mnist"}))
      ->capture_default_str();
  run->add_option("--data", r.data, "directory with the IDX files (default: the dataset's)");
  run->add_option("--threads", r.threads, "threads per worker (default: cores / workers)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--workers", workers, "worker processes (default: cores / threads)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--probe-size", probe_size,
                  "validation images the diagnostics are measured on after each epoch (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run->add_option("--progress", progress, "-1 auto, 0 off, 1 one line per finished run");
  run->add_flag("--no-report", no_report, "do not write the report at the end");
  bool retry_failed = false;
  run->add_flag("--retry-failed", retry_failed,
                "run the failed runs again, each from its last checkpoint");

  // --- report, status, compare, dump
  std::string dir;
  CLI::App* report = app.add_subcommand("report", "write DIR/report.html, summary.md and CSVs");
  report->add_option("dir", dir, "the study's directory")->required();
  report->add_option("--baseline", baseline, "the arm to compare with");
  CLI::App* stat = app.add_subcommand("status", "what is done, running, failed");
  stat->add_option("dir", dir, "the study's directory")->required();
  CLI::App* compare = app.add_subcommand("compare", "print the comparison table");
  compare->add_option("dir", dir, "the study's directory")->required();
  compare->add_option("--baseline", baseline, "the arm to compare with");
  CLI::App* dumpc =
      app.add_subcommand("dump", "print every recorded number but the timings (for comparisons)");
  dumpc->add_option("dir", dir, "the study's directory")->required();
  std::string dump_run, dump_json;
  dumpc->add_option("--run", dump_run, "with --json: the run (its key) to write");
  dumpc->add_option("--json", dump_json,
                    "write the run's epochs as a run log (train_cnn --json's format) here");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*stat) {
      status(dir);
      return 0;
    }
    if (*dumpc) {
      if (dump_json.empty()) {
        dump(dir);
      } else {
        write_run_log(dir, dump_run, dump_json);
        fmt::print("wrote {}\n", dump_json);
      }
      return 0;
    }
    if (*report || *compare) {
      TG_CHECK(fs::exists(tg::study::results_path(dir)), "{}: no study here (no results.sqlite)",
               dir);
      tg::study::Store store = tg::study::Store::open(tg::study::results_path(dir));
      const tg::study::ReportOptions ro{.baseline = baseline};
      if (*compare) {
        fmt::print("{}", tg::study::comparison_table(store, ro));
      } else {
        for (const std::string& f : tg::study::write_report(store, dir, ro))
          fmt::print("wrote {}\n", f);
      }
      return 0;
    }

    // --- run: from flags, a study file, or the plan stored in --out.
    if (!toml_file.empty()) {
      TG_CHECK(acts.empty(), "give the activations in the study file or with --acts, not both");
      plan = tg::study::read_plan_toml(toml_file);
    } else if (!acts.empty()) {
      plan.arms = split_specs(acts);
      plan.models = split_specs(models);
      plan.optimizers = {{optimizer, lr}};
      plan.seeds.clear();
      for (std::int64_t s = 1; s <= seeds; ++s) plan.seeds.push_back(s);
      plan.baseline = baseline;
      plan.probe_size = probe_size;
    } else {
      TG_CHECK(fs::exists(tg::study::results_path(out)),
               "{}: no study here; name the activations (--acts relu,prelu) or a study file", out);
      plan = tg::study::stored_plan(out);
      fmt::print("continuing the study in {}\n", out);
    }
    tg::study::validate(plan, tg::models::names());
    const std::int64_t total = static_cast<std::int64_t>(tg::study::plan_runs(plan).size());
    fmt::print(
        "study: {} arms ({}) x {} model(s) x {} optimizer setting(s) x {} seeds = {} runs "
        "of {} epochs; validation split {} images, probe {} images\n",
        plan.arms.size(), fmt::join(plan.arms, ", "), plan.models.size(), plan.optimizers.size(),
        plan.seeds.size(), total, plan.recipe.epochs, plan.recipe.val_split, plan.probe_size);
    std::string command;
    for (int i = 0; i < argc; ++i) {
      if (i > 0) command += ' ';
      command += argv[i];
    }
    tg::study::RunnerOptions ro;
    ro.workers = workers;
    ro.threads = plan.recipe.threads;
    ro.progress = progress;
    ro.retry_failed = retry_failed;
    ro.info = {{"machine", machine()},
               {"isa", isa()},
               {"compiler", fmt::format("GCC {}", __VERSION__)},
               {"commit", TG_GIT_COMMIT},
               {"command", command}};
    const tg::study::ModelFactory factory = [](const tg::train::Recipe& rec, tg::Generator* gen) {
      return std::shared_ptr<tg::nn::Module>(tg::examples::build_model(rec, gen));
    };
    const tg::study::StudyOutcome o = tg::study::run_study(plan, out, factory, ro);
    fmt::print("study: {} of {} runs done, {} failed; {:.1f} s with {} worker(s) x {} thread(s)\n",
               o.status.done, o.status.total(), o.status.failed, o.wall_seconds, o.workers,
               o.threads);
    if (o.status.failed > 0)
      fmt::print(
          "study: `{} run --out {} --retry-failed` runs the failed runs again, each from "
          "its last checkpoint\n",
          program, out);
    if (!no_report) {
      tg::study::Store store = tg::study::Store::open(tg::study::results_path(out));
      const tg::study::ReportOptions rep{.baseline = plan.baseline};
      fmt::print("{}", tg::study::comparison_table(store, rep));
      for (const std::string& f : tg::study::write_report(store, out, rep))
        fmt::print("wrote {}\n", f);
    }
    return o.status.failed > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}
