#include "tapegrad/study/runner.hpp"

#include <bit>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "tapegrad/activations/activation.hpp"
#include "tapegrad/core/error.hpp"
#include "tapegrad/core/threads.hpp"
#include "tapegrad/io/atomic_file.hpp"
#include "tapegrad/io/checkpoint.hpp"

namespace tg::study {

namespace fs = std::filesystem;

namespace {

// ---- the partial result of a run, kept in its checkpoint between epochs. Doubles as the hex
// of their bits, so a resumed run records exactly what an uninterrupted one does.

std::string hex(double v) { return fmt::format("{:016x}", std::bit_cast<std::uint64_t>(v)); }

double unhex(const std::string& s) {
  TG_CHECK(s.size() == 16, "study checkpoint: bad number '{}'", s);
  return std::bit_cast<double>(static_cast<std::uint64_t>(std::stoull(s, nullptr, 16)));
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(line);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

std::string encode_partial(const RunResult& r) {
  std::string out = fmt::format("W\t{}\n", hex(r.wall_seconds));
  for (const EpochRow& e : r.epochs)
    out += fmt::format("E\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", e.epoch, hex(e.train_loss),
                       hex(e.train_accuracy), hex(e.val_loss), hex(e.val_accuracy),
                       hex(e.test_loss), hex(e.test_accuracy), hex(e.seconds));
  for (const DiagnosticRow& d : r.diagnostics)
    out += fmt::format("D\t{}\t{}\t{}\t{}\n", d.epoch, d.layer, d.metric, hex(d.value));
  for (const SeriesRow& s : r.series) {
    out += fmt::format("S\t{}\t{}\t{}", s.epoch, s.layer, s.name);
    for (double v : s.data) {
      out += '\t';
      out += hex(v);
    }
    out += "\n";
  }
  return out;
}

void decode_partial(const std::string& text, RunResult& r) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split(line, '\t');
    TG_CHECK(!f.empty(), "study checkpoint: an empty line");
    if (f[0] == "W" && f.size() == 2) {
      r.wall_seconds = unhex(f[1]);
    } else if (f[0] == "E" && f.size() == 9) {
      r.epochs.push_back({std::stoll(f[1]), unhex(f[2]), unhex(f[3]), unhex(f[4]), unhex(f[5]),
                          unhex(f[6]), unhex(f[7]), unhex(f[8])});
    } else if (f[0] == "D" && f.size() == 5) {
      r.diagnostics.push_back({std::stoll(f[1]), f[2], f[3], unhex(f[4])});
    } else if (f[0] == "S" && f.size() >= 4) {
      SeriesRow s{std::stoll(f[1]), f[2], f[3], {}};
      for (std::size_t i = 4; i < f.size(); ++i) s.data.push_back(unhex(f[i]));
      r.series.push_back(std::move(s));
    } else {
      fail("study checkpoint: a malformed line '{}'", line.substr(0, 60));
    }
  }
}

// "2026-12-07 17:44 UTC"
std::string utc_now_text() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long long>(std::llround(s));
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, t / 60 % 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// The first top-level (or recipe/monitor) field in which two plans differ, for the error that
// refuses to mix two studies in one directory.
std::string plan_difference(const Plan& a, const Plan& b) {
  const Plan pa = plan_from_json(to_json(a)), pb = plan_from_json(to_json(b));
  auto differ = [](const char* what, const auto& x, const auto& y) -> std::string {
    if (x == y) return "";
    return what;
  };
  std::string d;
  if (d.empty()) d = differ("activations", pa.arms, pb.arms);
  if (d.empty()) d = differ("models", pa.models, pb.models);
  if (d.empty()) d = differ("seeds", pa.seeds, pb.seeds);
  if (d.empty()) d = differ("baseline", pa.baseline, pb.baseline);
  if (d.empty()) d = differ("probe size", pa.probe_size, pb.probe_size);
  if (d.empty() && pa.optimizers.size() != pb.optimizers.size()) d = "optimizers";
  for (std::size_t i = 0; d.empty() && i < pa.optimizers.size(); ++i)
    if (pa.optimizers[i].name != pb.optimizers[i].name ||
        pa.optimizers[i].lr != pb.optimizers[i].lr)
      d = "optimizers or learning rates";
  if (d.empty() && to_json(pa) != to_json(pb)) d = "recipe or monitor options";
  return d;
}

void write_text(const std::string& path, const std::string& text) {
  io::write_file_atomic(path, text, "study");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct WorkerContext {
  const Plan* plan;
  std::string dir;
  const ModelFactory* factory;
  int threads;
};

std::string checkpoint_path(const std::string& dir, std::int64_t run_id) {
  return (fs::path(dir) / "checkpoints" / fmt::format("run-{}.ckpt", run_id)).string();
}
std::string status_path(const std::string& dir, int worker) {
  return (fs::path(dir) / "workers" / fmt::format("{}.status", worker)).string();
}

// The body of a worker process: claim, train, record, until nothing is pending.
int worker_main(const WorkerContext& w, int worker) {
  set_num_threads(w.threads);
  train::Recipe base = w.plan->recipe;
  base.val_split = 0;
  const train::ClassifierData data = train::load_classifier_data(base);
  Store store = Store::open(results_path(w.dir));
  const std::string status_file = status_path(w.dir, worker);
  while (const std::optional<RunSpec> run = store.claim(worker)) {
    const std::string ckpt = checkpoint_path(w.dir, run->id);
    fmt::print("worker {}: run {} ({})\n", worker, run->id, run->key);
    std::fflush(stdout);
    write_text(status_file, fmt::format("{}\t0\t{}\n", run->key, w.plan->recipe.epochs));
    try {
      RunResult r = execute_run(
          *w.plan, *run, *w.factory, data, ckpt, [&](std::int64_t epoch, const std::string& line) {
            fmt::print("  {}\n", line);
            std::fflush(stdout);
            write_text(status_file,
                       fmt::format("{}\t{}\t{}\n", run->key, epoch, w.plan->recipe.epochs));
          });
      store.finish(r);
      std::error_code ec;
      fs::remove(ckpt, ec);  // recorded: the checkpoint has done its job
    } catch (const std::exception& e) {
      // The checkpoint stays, for a retry (RunnerOptions::retry_failed).
      fmt::print("  failed: {}\n", e.what());
      store.fail(run->key, e.what());
    }
    std::fflush(stdout);
  }
  std::error_code ec;
  fs::remove(status_file, ec);
  return 0;
}

// What the progress line shows of a worker's current run.
struct WorkerStatus {
  std::string key;
  std::int64_t epoch = 0, epochs = 0;
};

std::optional<WorkerStatus> read_status(const std::string& path) {
  const std::string text = read_text(path);
  const std::vector<std::string> f = split(text.substr(0, text.find('\n')), '\t');
  if (f.size() != 3) return std::nullopt;
  try {
    return WorkerStatus{f[0], std::stoll(f[1]), std::stoll(f[2])};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string short_key(const RunRow& r) { return fmt::format("{} seed {}", r.arm, r.seed); }

}  // namespace

std::string results_path(const std::string& dir) {
  return (fs::path(dir) / "results.sqlite").string();
}

Plan stored_plan(const std::string& dir) {
  TG_CHECK(fs::exists(results_path(dir)), "{}: no study here (no results.sqlite)", dir);
  Store store = Store::open(results_path(dir));
  const auto info = store.study_info();
  const auto it = info.find("plan");
  TG_CHECK(it != info.end(), "{}: the study's database has no plan", dir);
  return plan_from_json(it->second);
}

RunResult execute_run(const Plan& plan, const RunSpec& run, const ModelFactory& factory,
                      const train::ClassifierData& base, const std::string& checkpoint,
                      const std::function<void(std::int64_t, const std::string&)>& log) {
  const auto t0 = std::chrono::steady_clock::now();
  const train::Recipe recipe = run_recipe(plan, run);
  const train::ClassifierData data = train::resplit(base, recipe);
  train::begin_run(recipe);
  Generator init_gen(recipe.seed);
  const std::shared_ptr<nn::Module> model = factory(recipe, &init_gen);
  train::ClassifierTrainer trainer(*model, recipe, data);

  RunResult result;
  result.key = run.key;
  result.parameters = model->num_parameters();
  for (const Tensor& p : nn::activation_parameters(*model))
    result.activation_parameters += p.numel();

  std::optional<ActivationMonitor> monitor;
  data::Example probe;
  if (plan.probe_size > 0 && data.val) {
    bool has_activation = false;
    for (auto& [name, m] : model->named_modules())
      has_activation = has_activation || dynamic_cast<act::Activation*>(m) != nullptr;
    if (has_activation) {
      monitor.emplace(*model, plan.monitor);
      std::vector<std::int64_t> idx(static_cast<std::size_t>(plan.probe_size));
      std::iota(idx.begin(), idx.end(), std::int64_t{0});
      probe = data.val->get_batch(idx);
    }
  }

  std::int64_t start = 0;
  double earlier_wall = 0;
  if (!checkpoint.empty() && fs::exists(checkpoint)) {
    io::Checkpoint ck = io::load_checkpoint(checkpoint);
    const auto key = ck.metadata.find("study_run");
    const auto partial = ck.metadata.find("study_partial");
    if (key != ck.metadata.end() && key->second == run.key && partial != ck.metadata.end()) {
      model->load_state_dict(ck.model);
      trainer.optimizer().load_state_dict(ck.optimizer);
      if (ck.rng) default_generator().set_state(*ck.rng);
      start = ck.epoch;
      decode_partial(partial->second, result);
      earlier_wall = result.wall_seconds;
      TG_CHECK(static_cast<std::int64_t>(result.epochs.size()) == start,
               "{}: the checkpoint has {} epochs of results for epoch {}", checkpoint,
               result.epochs.size(), start);
      if (log) log(start, fmt::format("resumed after epoch {}", start));
    }
  }

  for (std::int64_t epoch = start; epoch < recipe.epochs; ++epoch) {
    const train::EpochRecord rec = trainer.run_epoch(epoch, {.progress = 0});
    result.epochs.push_back({rec.epoch, rec.train_loss, rec.train_accuracy, rec.val_loss,
                             rec.val_accuracy, rec.test_loss, rec.test_accuracy,
                             rec.epoch_seconds});
    if (monitor) {
      std::vector<DiagnosticRow> rows =
          monitor->measure(probe.input, probe.target, rec.epoch, &result.series);
      result.diagnostics.insert(result.diagnostics.end(), rows.begin(), rows.end());
    }
    // Snapshots of the learnable activations' parameters (every value, per channel).
    for (auto& [name, m] : model->named_modules())
      if (auto* a = dynamic_cast<act::Activation*>(m))
        for (auto& [pname, p] : a->named_parameters(false))
          result.series.push_back({rec.epoch, name, "param." + pname, p.to_vector<double>()});
    result.wall_seconds =
        earlier_wall + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (log)
      log(rec.epoch,
          fmt::format("epoch {}/{}: train loss {:.4f}, val acc {:.2f}%, test acc {:.2f}%, {:.1f} s",
                      rec.epoch, recipe.epochs, rec.train_loss, 100 * rec.val_accuracy,
                      100 * rec.test_accuracy, rec.epoch_seconds));
    if (!checkpoint.empty()) {
      io::Checkpoint ck;
      ck.model = model->state_dict();
      ck.optimizer = trainer.optimizer().state_dict();
      ck.epoch = rec.epoch;
      ck.rng = default_generator().state();
      ck.metadata["study_run"] = run.key;
      ck.metadata["study_partial"] = encode_partial(result);
      fs::create_directories(fs::path(checkpoint).parent_path());
      io::save_checkpoint(checkpoint, ck);
    }
  }

  // The epoch is chosen on validation (the earliest best); the test set chooses nothing.
  result.test_at_last = result.epochs.back().test_accuracy;
  if (data.val) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < result.epochs.size(); ++i)
      if (result.epochs[i].val_accuracy > result.epochs[best].val_accuracy) best = i;
    result.best_val_epoch = result.epochs[best].epoch;
    result.test_at_best_val = result.epochs[best].test_accuracy;
  } else {
    result.best_val_epoch = 0;
    result.test_at_best_val = NAN;
  }
  return result;
}

StudyOutcome run_study(const Plan& plan, const std::string& dir, const ModelFactory& factory,
                       const RunnerOptions& options) {
  validate(plan);
  const auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(fs::path(dir) / "checkpoints");
  fs::create_directories(fs::path(dir) / "workers");
  fs::create_directories(fs::path(dir) / "logs");

  // One study process per directory.
  const std::string lock_path = (fs::path(dir) / "study.lock").string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  TG_CHECK(lock_fd >= 0, "{}: cannot open the study's lock file", lock_path);
  // The workers of a study that was just killed take a moment to die (and release the lock).
  for (int attempt = 0; ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0; ++attempt) {
    if (attempt == 50) {
      ::close(lock_fd);
      fail("{}: another `study run` is working on this directory", dir);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  struct LockCloser {
    int fd;
    ~LockCloser() { ::close(fd); }
  } lock_closer{lock_fd};

  const std::vector<RunSpec> runs = plan_runs(plan);
  Status before;
  {
    Store store = Store::open(results_path(dir));
    const auto info = store.study_info();
    if (const auto it = info.find("plan"); it != info.end()) {
      const Plan old = plan_from_json(it->second);
      const std::string diff = plan_difference(old, plan);
      TG_CHECK(diff.empty(),
               "{} holds a study with other {}; continue it with the same settings (`study run "
               "--out {}` alone reuses them) or choose another directory",
               dir, diff, dir);
    } else {
      store.set_study_info("plan", to_json(plan));
      store.set_study_info("created", utc_now_text());
    }
    const train::Recipe& r = plan.recipe;
    const std::map<std::string, std::string> facts{
        {"name", fs::path(dir).filename().string()},
        {"dataset", r.dataset},
        {"epochs", fmt::format("{}", r.epochs)},
        {"batch_size", fmt::format("{}", r.batch_size)},
        {"init", r.init},
        {"val_split", fmt::format("{}", r.val_split)},
        {"limit_train", fmt::format("{}", r.limit_train)},
        {"seeds", fmt::format("{}", fmt::join(plan.seeds, ","))},
        {"baseline", plan.baseline.empty() ? plan.arms.front() : plan.baseline},
        {"probe_size", fmt::format("{}", plan.probe_size)},
        {"pairing",
         "paired by seed: for each seed every arm has the same data order, validation split and "
         "initial weight draws (" +
             r.init +
             " init, scaled by each activation's gain); activation parameters in their own "
             "optimizer group"},
        {"monitor.saturation_threshold", fmt::format("{}", plan.monitor.saturation_threshold)},
        {"monitor.hist_lo", fmt::format("{}", plan.monitor.hist_lo)},
        {"monitor.hist_hi", fmt::format("{}", plan.monitor.hist_hi)},
        {"monitor.hist_bins", fmt::format("{}", plan.monitor.hist_bins)},
        {"monitor.shape_lo", fmt::format("{}", plan.monitor.shape_lo)},
        {"monitor.shape_hi", fmt::format("{}", plan.monitor.shape_hi)},
        {"monitor.shape_points", fmt::format("{}", plan.monitor.shape_points)}};
    for (const auto& [k, v] : facts) store.set_study_info(k, v);
    for (const auto& [k, v] : options.info) store.set_study_info(k, v);
    store.plan(runs);
    store.reset_running();
    if (options.retry_failed) store.retry_failed();
    // Checkpoints of runs that finished (a kill between recording and removing) are stale; a
    // failed run's is kept for a retry.
    std::set<std::string> live;
    for (const RunRow& row : store.runs())
      if (row.status == RunStatus::pending || row.status == RunStatus::failed)
        live.insert(fs::path(checkpoint_path(dir, row.id)).filename().string());
    for (const auto& entry : fs::directory_iterator(fs::path(dir) / "checkpoints"))
      if (live.count(entry.path().filename().string()) == 0) fs::remove(entry.path());
    before = store.status();
  }

  // Workers x threads: fill the cores.
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  int workers = options.workers, threads = options.threads;
  if (workers <= 0 && threads <= 0) {
    workers = cores;
    threads = 1;
  } else if (workers <= 0) {
    workers = std::max(1, cores / threads);
  } else if (threads <= 0) {
    threads = std::max(1, cores / workers);
  }
  if (plan.recipe.threads > 0) threads = plan.recipe.threads;
  workers =
      static_cast<int>(std::min<std::int64_t>(workers, std::max<std::int64_t>(1, before.pending)));

  StudyOutcome outcome;
  outcome.workers = workers;
  outcome.threads = threads;
  if (before.pending == 0) {
    outcome.status = before;
    return outcome;
  }

  const WorkerContext ctx{&plan, dir, &factory, threads};
  const pid_t parent = ::getpid();
  auto spawn = [&](int worker) -> pid_t {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    TG_CHECK(pid >= 0, "study: fork failed for worker {}", worker);
    if (pid > 0) return pid;
    // The child: dies with the study process; its output goes to its log.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    const std::string log =
        (fs::path(dir) / "logs" / fmt::format("worker-{}.log", worker)).string();
    if (!std::freopen(log.c_str(), "a", stdout)) ::_exit(4);
    ::dup2(::fileno(stdout), 2);
    int code = 0;
    try {
      code = worker_main(ctx, worker);
    } catch (const std::exception& e) {
      fmt::print("worker {}: {}\n", worker, e.what());
      code = 2;
    }
    std::fflush(stdout);
    ::_exit(code);
  };
  std::map<pid_t, int> children;
  for (int w = 0; w < workers; ++w) children[spawn(w)] = w;

  const bool live = options.progress < 0 ? ::isatty(::fileno(stdout)) != 0 : false;
  const bool lines = options.progress != 0;
  Store store = Store::open(results_path(dir));
  store.set_study_info("workers", fmt::format("{}", workers));
  store.set_study_info("threads_per_worker", fmt::format("{}", threads));
  const std::int64_t epochs = plan.recipe.epochs;
  std::int64_t shown_finished = before.done + before.failed;
  std::string last_line;
  while (!children.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    int wstatus = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &wstatus, WNOHANG)) > 0;) {
      const auto it = children.find(pid);
      if (it == children.end()) continue;
      const int worker = it->second;
      children.erase(it);
      const bool crashed =
          WIFSIGNALED(wstatus) || (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0);
      if (!crashed) continue;
      const std::string why =
          WIFSIGNALED(wstatus)
              ? fmt::format("the worker process died of signal {} ({})", WTERMSIG(wstatus),
                            strsignal(WTERMSIG(wstatus)))
              : fmt::format("the worker process exited with status {} (see logs/worker-{}.log)",
                            WEXITSTATUS(wstatus), worker);
      for (const RunRow& row : store.runs())
        if (row.status == RunStatus::running && row.worker && *row.worker == worker)
          store.fail(row.key, why);
      if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 2) {
        // The worker could not start (no data, say): the others would fail the same way.
        if (live) fmt::print("\n");
        fmt::print(stderr, "study: worker {} failed; see {}\n", worker,
                   (fs::path(dir) / "logs" / fmt::format("worker-{}.log", worker)).string());
        continue;
      }
      if (store.status().pending > 0) children[spawn(worker)] = worker;
    }

    // Progress: finished runs, the current ones, elapsed time and ETA.
    const Status s = store.status();
    const std::vector<RunRow> rows = store.runs();
    std::int64_t partial = 0;
    std::vector<std::string> current;
    for (const auto& [pid, worker] : children) {
      if (auto st = read_status(status_path(dir, worker))) {
        const auto row = std::find_if(rows.begin(), rows.end(),
                                      [&](const RunRow& r) { return r.key == st->key; });
        if (row == rows.end() || row->status != RunStatus::running) continue;
        partial += st->epoch;
        current.push_back(fmt::format("{} ({}/{})", short_key(*row), st->epoch, st->epochs));
      }
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double done_epochs =
        static_cast<double>((s.done + s.failed - before.done - before.failed) * epochs + partial);
    const double left_epochs = static_cast<double>((s.pending + s.running) * epochs - partial);
    const double eta = done_epochs > 0 ? left_epochs * elapsed / done_epochs : NAN;
    const std::string head =
        fmt::format("study: {}/{} runs done{}", s.done, s.total(),
                    s.failed ? fmt::format(", {} failed", s.failed) : std::string());
    const std::string tail =
        fmt::format("{} elapsed, ETA {}", duration_text(elapsed), duration_text(eta));
    if (lines && s.done + s.failed > shown_finished) {
      // One line per finished run, with its result.
      std::vector<const RunRow*> finished;
      for (const RunRow& r : rows)
        if (r.status == RunStatus::done || r.status == RunStatus::failed) finished.push_back(&r);
      std::sort(finished.begin(), finished.end(),
                [](const RunRow* a, const RunRow* b) { return a->finished < b->finished; });
      for (std::size_t i = static_cast<std::size_t>(shown_finished); i < finished.size(); ++i) {
        const RunRow& r = *finished[i];
        const std::string what =
            r.status == RunStatus::failed
                ? fmt::format("FAILED: {}", r.reason)
                : fmt::format("test acc {:.2f}% at best-val epoch {}, {:.2f}% at the last, {}",
                              100 * r.test_at_best_val, r.best_val_epoch.value_or(0),
                              100 * r.test_at_last, duration_text(r.wall_seconds));
        if (live) fmt::print("\r\033[K");
        fmt::print("[{}/{}] {}: {}\n", i + 1, s.total(), r.key, what);
      }
      shown_finished = static_cast<std::int64_t>(finished.size());
      if (!live) fmt::print("{} · {}\n", head, tail);
      std::fflush(stdout);
    }
    if (live) {
      const std::string line =
          fmt::format("{} · running: {} · {}", head,
                      current.empty() ? "-" : fmt::format("{}", fmt::join(current, ", ")), tail);
      if (line != last_line) {
        fmt::print("\r\033[K{}", line.substr(0, 200));
        std::fflush(stdout);
        last_line = line;
      }
    }
  }
  if (live) fmt::print("\r\033[K");

  outcome.status = store.status();
  outcome.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto info = store.study_info();
  double total = outcome.wall_seconds;
  if (const auto it = info.find("wall_seconds"); it != info.end()) total += std::stod(it->second);
  store.set_study_info("wall_seconds", fmt::format("{:.1f}", total));
  return outcome;
}

}  // namespace tg::study
