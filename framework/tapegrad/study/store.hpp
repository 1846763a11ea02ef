#pragma once
// The results store of the activation study: one SQLite file per study (DIR/results.sqlite),
// shared by several worker processes. Runs are planned once, then claimed, finished or failed;
// each of these is one transaction, so a worker killed at any point leaves a run either
// untouched, 'running' without results (reset_running() puts it back) or complete.
//
// Tables (schema version kSchemaVersion, kept in PRAGMA user_version):
//   study(key, value)                      recipe, machine, commit, ...
//   runs(id, key UNIQUE, arm, model, optimizer, lr, seed, status, reason, worker, started,
//        finished, wall_seconds, parameters, activation_parameters, best_val_epoch,
//        test_at_best_val, test_at_last)  status: 'pending' | 'running' | 'done' | 'failed'
//   epochs(run_id, epoch, train_loss, train_accuracy, val_loss, val_accuracy, test_loss,
//          test_accuracy, seconds)
//   diagnostics(run_id, epoch, layer, metric, value)     one number per layer and epoch
//   series(run_id, epoch, layer, name, data)             a vector: doubles, 8 bytes little-endian
// started and finished are seconds since the Unix epoch (system clock).
//
// Doubles: bound and read as IEEE doubles, so every value round-trips bit-exactly, except
//  - NaN: SQLite stores NaN as NULL; NULL reads back as a quiet NaN (sign and payload are lost).
//    A NaN val_loss (no validation split) therefore stays NaN.
//  - -0.0 in a REAL column reads back as +0.0 (SQLite stores an integral REAL as an integer).
// Series data is stored as raw bytes and keeps every bit pattern, NaN payloads and -0.0 included.
//
// Every SQLite failure is a tg::Error naming the operation, the file and SQLite's message.
// A Store is one connection: use it from one thread at a time, and never across fork() (open a
// new one in the child).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;

namespace tg::study {

enum class RunStatus { pending, running, done, failed };
// "pending", "running", "done", "failed": the strings stored in runs.status.
std::string_view to_string(RunStatus s);

// One run of the plan. id is set by claim() and ignored by plan().
struct RunSpec {
  std::int64_t id = 0;
  std::string key;  // unique, e.g. "lenet5/adam/lr=0.001/relu/seed=3"
  std::string arm;  // activation spec, e.g. "prelu(init=0.1)"
  std::string model;
  std::string optimizer;
  double lr = 0.0;
  std::int64_t seed = 0;
};

struct EpochRow {
  std::int64_t epoch = 0;  // 1-based
  double train_loss = 0.0, train_accuracy = 0.0;
  double val_loss = 0.0, val_accuracy = 0.0;  // NaN: no validation split
  double test_loss = 0.0, test_accuracy = 0.0;
  double seconds = 0.0;
};

// A per-layer scalar: "dead_fraction", "saturated_fraction", "preact_mean", "preact_std",
// "grad_norm", "param_mean", "param_spread", ...
struct DiagnosticRow {
  std::int64_t epoch = 0;
  std::string layer;
  std::string metric;
  double value = 0.0;
};

// A per-layer vector: a histogram, a learned shape f(x) on a grid, ...
struct SeriesRow {
  std::int64_t epoch = 0;
  std::string layer;
  std::string name;
  std::vector<double> data;
};

// Everything a finished run writes, by the run's key.
struct RunResult {
  std::string key;
  double wall_seconds = 0.0;
  std::int64_t parameters = 0;
  std::int64_t activation_parameters = 0;
  std::int64_t best_val_epoch = 0;  // 0: no validation split
  double test_at_best_val = 0.0;
  double test_at_last = 0.0;
  std::vector<EpochRow> epochs;
  std::vector<DiagnosticRow> diagnostics;
  std::vector<SeriesRow> series;
};

// One row of the runs table. A NULL REAL column reads as NaN, a NULL integer as nullopt, a NULL
// reason as "".
struct RunRow {
  std::int64_t id = 0;
  std::string key, arm, model, optimizer;
  double lr = 0.0;
  std::int64_t seed = 0;
  RunStatus status = RunStatus::pending;
  std::string reason;
  std::optional<std::int64_t> worker;
  double started = 0.0, finished = 0.0, wall_seconds = 0.0;
  std::optional<std::int64_t> parameters, activation_parameters, best_val_epoch;
  double test_at_best_val = 0.0, test_at_last = 0.0;
};

// Number of runs in each status.
struct Status {
  std::int64_t pending = 0, running = 0, done = 0, failed = 0;
  std::int64_t total() const { return pending + running + done + failed; }
};

class Store {
 public:
  static constexpr int kSchemaVersion = 1;
  // How long a statement waits for another process's write lock before failing.
  static constexpr int kBusyTimeoutMs = 60'000;

  // Creates the file and the schema, or opens an existing study. tg::Error if the file is not
  // a SQLite database, has a schema version other than kSchemaVersion, or is another
  // program's database (user_version 0 with tables in it).
  static Store open(const std::string& path);

  Store(Store&& other) noexcept;
  Store& operator=(Store&& other) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  const std::string& path() const { return path_; }

  // Adds the runs whose key is not yet in the store, as 'pending', in order (claim() takes them
  // in that order); returns how many were added. Re-planning a study adds nothing twice; a key
  // planned before with a different arm, model, optimizer, lr or seed is a tg::Error.
  std::size_t plan(const std::vector<RunSpec>& runs);
  // Atomically takes the first 'pending' run (lowest id), marks it 'running' by `worker` now.
  // nullopt when nothing is pending.
  std::optional<RunSpec> claim(int worker);
  // Writes the run's epochs, diagnostics and series and marks it 'done', in one transaction.
  // The run must be 'running'; rows left from an earlier attempt are replaced.
  void finish(const RunResult& result);
  // Marks a 'pending' or 'running' run 'failed' with `reason` and removes any rows of it.
  void fail(const std::string& key, const std::string& reason);
  // Puts every 'running' run back to 'pending' (for a study restarting after a kill), deleting
  // its epochs, diagnostics and series; returns how many runs were reset.
  int reset_running();
  // Puts every 'failed' run back to 'pending', its reason cleared; returns how many.
  int retry_failed();
  Status status();

  // Readers. runs() in id order; epochs by epoch; diagnostics and series by (epoch, layer, name).
  std::vector<RunRow> runs();
  std::optional<RunRow> run(const std::string& key);
  std::vector<EpochRow> epochs(std::int64_t run_id);
  std::vector<DiagnosticRow> diagnostics(std::int64_t run_id);
  std::vector<SeriesRow> series(std::int64_t run_id);

  std::map<std::string, std::string> study_info();
  void set_study_info(const std::string& key, const std::string& value);

 private:
  Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* handle(const char* op) const;

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace tg::study
